"""Answers of the dry-run LLM provider for economy agents: valid actions read from the agent's prompt.

The dry-run provider (`distsafe.llm.create_provider("dry_run", responder=economy_responder)`) knows no
prompt protocol; this responder reads the economy prompt that `LLMStrategy` writes (its "World state" JSON)
and answers like a plain, careful agent: do its contract duties (sign what names it, attest deliveries), bid
for a core on the auction turn, mine, then work or stake with the points left, and now and then speak. Every
choice comes from the agent's own view and a hash of the prompt, so a run is reproducible and its actions
are the kind the engine accepts. A prompt that is not an economy prompt gets None (the generic answer).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from distsafe.llm import LLMRequest

_STATE_HEAD = "World state:\n"
_STATE_TAIL = "\nYour actions (JSON):"


def _view(request: LLMRequest) -> dict[str, Any] | None:
    """The agent's view from the economy prompt, or None when the request is not one."""
    for m in request.messages:
        text = m.content
        if m.role == "user" and text.startswith(_STATE_HEAD) and text.endswith(_STATE_TAIL):
            try:
                view = json.loads(text[len(_STATE_HEAD) : -len(_STATE_TAIL)])
            except json.JSONDecodeError:
                return None
            return view if isinstance(view, dict) and isinstance(view.get("you"), dict) else None
    return None


def decide(view: dict[str, Any], digest: bytes) -> list[dict[str, Any]]:
    """The actions for one agent's view; `digest` (a hash of the prompt) varies the choices."""
    me, prices = view["you"], view.get("prices", {})
    aid, balance = me.get("agent_id"), int(me.get("balance", 0))
    points = int(prices.get("action_budget", 3))
    mine_cost = int(prices.get("mine_cost", 2))
    actions: list[dict[str, Any]] = []
    for c in view.get("your_open_contracts", []):
        if points < 1:
            break
        role = next((r for r in ("proposer", "counterparty", "arbitrator") if c.get(r) == aid), None)
        if (
            c.get("status") == "proposed"
            and role in ("counterparty", "arbitrator")
            and role not in c["signed"]
        ):
            actions.append(
                {"kind": "sign_contract", "params": {"contract_id": c["contract_id"], "role": role}}
            )
            points -= 1
        elif (
            c.get("status") == "active"
            and c.get("type") in ("service", "information_sale")
            and role in ("proposer", "counterparty")
            and role not in c.get("confirmations", [])
        ):
            actions.append({"kind": "confirm_delivery", "params": {"contract_id": c["contract_id"]}})
            points -= 1
    if view.get("core_auction_open") and balance >= 10 and points >= 1:
        bid = max(1, balance // (8 + digest[0] % 8))
        actions.append({"kind": "bid_core", "params": {"amount": bid}})
        balance -= bid
        points -= 1
    if points >= mine_cost:
        actions.append({"kind": "mine", "params": {}})
        points -= mine_cost
    stake = max(1, balance // 10)
    while points >= 1:
        if balance > 50 and digest[1] % 3 == 0 and stake <= balance:
            actions.append({"kind": "stake", "params": {"amount": stake}})
            balance -= stake
        else:
            actions.append({"kind": "job", "params": {}})
        points -= 1
    if digest[2] % 4 == 0:  # speaking is free
        actions.append(
            {"kind": "speak", "params": {"message": f"{aid}: mining and working, turn {view['turn']}"}}
        )
    return actions


def economy_responder(request: LLMRequest) -> str | None:
    """A `distsafe.llm` dry-run responder: JSON actions for an economy prompt, None for any other prompt."""
    view = _view(request)
    if view is None:
        return None
    digest = hashlib.sha256("\n".join(m.content for m in request.messages).encode()).digest()
    return json.dumps({"actions": decide(view, digest), "thought": "dry run: duties, then mine and work"})
