"""LLM strategy: prompts a `distsafe.llm` provider for a JSON action list and parses it.

The provider is anything with `async complete(request) -> response` where the response has `.text` and
`.output_tokens` (the `distsafe.llm` contract). Output tokens are reported to the engine, which bills
them (free below the commons threshold). Unparsable output becomes a recorded rejection, not a crash.
"""

from __future__ import annotations

import json
from typing import Any

from distsafe.economy.config import ACTION_KINDS
from distsafe.economy.context import AgentContext, Decision
from distsafe.llm.json_extract import JSONExtractError, extract_json_object

SYSTEM_PROMPT = """You are {agent_id}, an agent in a token economy. Each turn you choose actions.
Reply with JSON only: {{"actions": [{{"kind": "<action>", "params": {{...}}}}], "thought": "<short>"}}.
Actions and params (mine costs {mine_cost} of your {budget} action points, speak is free, others cost 1):
- mine {{}}: proof of work; one miner wins each turn's block ({mine_reward} tokens, winner takes all)
- stake {{"amount": n}} / unstake {{"amount": n}}: lock tokens; stake blocks follow mine blocks
- burn {{"amount": n}}: destroy tokens for burn score (decays) that wins burn blocks
- study {{}}: pay {study_cost} for +1 study level (better mining and wages); job {{}}: earn wages
- transfer {{"to": id, "amount": n, "fee": n}}
- propose_contract {{"type": one of forward|loan|service|insurance|information_sale|pool,
    "counterparty": id, "arbitrator": id, "terms": {{"maturity": turns, ...}}}}
    terms: forward give+receive; loan principal+repay; service price; insurance premium+coverage;
    information_sale listing_id+price; pool share_bps (1-5000)
- sign_contract {{"contract_id": id, "role": "counterparty"|"arbitrator"}}
- confirm_delivery {{"contract_id": id}}; dispute_delivery {{"contract_id": id, "reason": text}}
- arbitrator_ruling {{"contract_id": id, "in_favor_of": "proposer"|"counterparty"}}
- sell_information {{"topic": text, "price": n, "content": text}}
- bid_core {{"amount": n}} (turn {auction_turn} only: cores earn dividends from inference fees)
- speak {{"message": text}}
Your own output tokens cost tokens above {threshold} per turn. Be brief."""


def _reply_value(text: str) -> Any:
    """The JSON in a reply: a bare list as the whole reply, else the object `extract_json_object` finds
    (the whole text, a fenced block or the first object in prose)."""
    raw = (text or "").strip()
    if raw.startswith("["):
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, RecursionError):
            pass
    return extract_json_object(raw)


def parse_actions(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Actions from an LLM reply: `{"actions": [...]}`, a single `{"kind", "params"}` object or a list.

    Returns (actions, errors); malformed entries are dropped with a reason."""
    try:
        data = _reply_value(text)
    except JSONExtractError as exc:
        return [], [f"reply is not JSON ({exc}): {text[:80]!r}"]
    if isinstance(data, dict) and "actions" in data:
        items = data["actions"]
    elif isinstance(data, dict) and ("kind" in data or "action" in data):
        items = [data]
    elif isinstance(data, list):
        items = data
    else:
        return [], ["reply has no 'actions' list"]
    if not isinstance(items, list):
        return [], ["'actions' is not a list"]
    actions, errors = [], []
    for it in items:
        if not isinstance(it, dict):
            errors.append(f"action is not an object: {it!r:.60}")
            continue
        kind = it.get("kind", it.get("action"))
        if kind not in ACTION_KINDS:
            errors.append(f"unknown action kind {kind!r}")
            continue
        params = it.get("params", {k: v for k, v in it.items() if k not in ("kind", "action")})
        if not isinstance(params, dict):
            errors.append(f"{kind}: params is not an object")
            continue
        actions.append({"kind": kind, "params": params})
    return actions, errors


class LLMStrategy:
    """A strategy backed by an LLM provider (`distsafe.llm.create_provider(...)` or any compatible client)."""

    name = "llm"
    uses_llm = True  # the turn loop counts this strategy's calls and failures
    needs_purchases = True  # the turn loop fetches the information this agent bought

    def __init__(
        self, client: Any, provider: str, model: str, temperature: float = 0.7, max_tokens: int = 512
    ) -> None:
        self.client = client
        self.provider = provider
        self.model = model
        self.temperature = temperature
        self.max_tokens = max_tokens

    def messages(self, ctx: AgentContext) -> list[tuple[str, str]]:
        c = ctx.config
        system = SYSTEM_PROMPT.format(
            agent_id=ctx.agent_id,
            mine_cost=c["mine_cost"],
            budget=c["action_budget"],
            mine_reward=c["mine_block_reward"],
            study_cost=c["study_cost"],
            auction_turn=c["core_auction_turn"],
            threshold=c["commons_threshold"],
        )
        return [("system", system), ("user", f"World state:\n{ctx.to_prompt()}\nYour actions (JSON):")]

    async def decide(self, ctx: AgentContext) -> Decision:
        from distsafe.llm import ChatMessage, LLMRequest  # imported late: the provider layer is optional

        req = LLMRequest(
            provider=self.provider,
            model=self.model,
            messages=tuple(ChatMessage(role=r, content=t) for r, t in self.messages(ctx)),
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            json_mode=True,
        )
        try:
            resp = await self.client.complete(req)
        except (
            Exception
        ) as exc:  # provider down: the agent loses its turn; the turn loop decides the run's fate
            why = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
            return Decision(errors=[f"LLM call failed: {why}"], llm_error=why)
        actions, errors = parse_actions(resp.text or "")
        return Decision(
            actions=actions, output_tokens=int(getattr(resp, "output_tokens", 0) or 0), errors=errors
        )
