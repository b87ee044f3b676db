"""What each agent sees per turn, built once per turn from `GET /state`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Decision:
    """A strategy's answer: action dicts `{"kind", "params"}`, the LLM output tokens it cost, parse errors,
    and `llm_error` when the strategy's model could not be asked at all (server down, provider error)."""

    actions: list[dict[str, Any]] = field(default_factory=list)
    output_tokens: int = 0
    errors: list[str] = field(default_factory=list)
    llm_error: str | None = None


@dataclass
class AgentContext:
    turn: int  # the turn being decided (state turn + 1)
    agent_id: str
    me: dict[str, Any]
    agents: dict[str, dict[str, Any]]  # shared across contexts of one turn
    contracts: list[dict[str, Any]]  # open contracts naming this agent
    listings: list[dict[str, Any]]
    speech: list[dict[str, Any]]
    tip_kind: str
    config: dict[str, Any]
    purchased: dict[str, str] = field(default_factory=dict)
    all_ids: list[str] = field(default_factory=list)  # sorted agent ids, shared across contexts

    def role_in(self, c: dict[str, Any]) -> str | None:
        for role in ("proposer", "counterparty", "arbitrator"):
            if c[role] == self.agent_id:
                return role
        return None

    def to_prompt(self, max_items: int = 12) -> str:
        """Compact JSON for an LLM prompt (lists truncated to `max_items`)."""
        others = sorted(a for a in self.agents if a != self.agent_id)[:max_items]
        view = {
            "turn": self.turn,
            "you": {
                k: self.me[k]
                for k in (
                    "agent_id",
                    "balance",
                    "staked",
                    "burn_score",
                    "study_level",
                    "cores",
                    "blocks_won",
                    "stake_locked_until",
                )
            },
            "core_auction_open": self.turn == self.config.get("core_auction_turn"),
            "chain_tip": self.tip_kind,
            "other_agents": others,
            "your_open_contracts": [
                {
                    k: c[k]
                    for k in (
                        "contract_id",
                        "type",
                        "proposer",
                        "counterparty",
                        "arbitrator",
                        "status",
                        "terms",
                        "confirmations",
                        "maturity_turn",
                    )
                }
                | {"signed": c["signed"]}
                for c in self.contracts[:max_items]
            ],
            "listings": self.listings[-max_items:],
            "recent_speech": self.speech[-max_items:],
            "information_you_bought": {k: v[:300] for k, v in list(self.purchased.items())[-max_items:]},
            "prices": {
                k: self.config[k]
                for k in (
                    "mine_block_reward",
                    "stake_block_reward",
                    "study_cost",
                    "job_wage",
                    "commons_threshold",
                    "inference_price_per_1k",
                    "arbitrator_collateral",
                    "action_budget",
                    "mine_cost",
                )
            },
        }
        return json.dumps(view, sort_keys=True, default=str)


def build_contexts(
    state: dict[str, Any], config: dict[str, Any], agent_ids: list[str]
) -> dict[str, AgentContext]:
    agents = {a["agent_id"]: a for a in state["agents"]}
    by_party: dict[str, list[dict[str, Any]]] = {}
    for c in state["open_contracts"]:
        for role in ("proposer", "counterparty", "arbitrator"):
            by_party.setdefault(c[role], []).append(c)
    turn = state["turn"] + 1
    all_ids = sorted(agents)
    out = {}
    for aid in agent_ids:
        out[aid] = AgentContext(
            turn=turn,
            agent_id=aid,
            me=agents[aid],
            agents=agents,
            contracts=by_party.get(aid, []),
            listings=state["listings"],
            speech=state["speech"],
            tip_kind=state["chain"]["tip_kind"],
            config=config,
            all_ids=all_ids,
        )
    return out
