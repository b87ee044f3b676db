"""Scripted strategies, so that an economy runs with no LLM.

Every strategy first does its contract duties (sign what names it, rule on disputes it arbitrates, attest
deliveries), then its own plan within the action budget. Randomness comes from
a numpy stream of the seed for this agent and turn (`streams.Purpose.STRATEGY_DECISIONS`), so runs are
reproducible.

The cheater signs everything, never delivers, sells junk information and tries a forged transfer and a
replayed action now and then (the `_forge_as` / `_replay_last` hooks the turn loop honours).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Protocol

import numpy as np

from distsafe.economy.config import ATTESTED_TYPES
from distsafe.economy.context import AgentContext, Decision
from distsafe.economy.streams import Purpose, agent_key, stream

JUNK_MIN_CHARS = 40  # buyers dispute purchased information shorter than this


class Strategy(Protocol):
    name: str

    async def decide(self, ctx: AgentContext) -> Decision: ...


class TurnPlan:
    def __init__(self, ctx: AgentContext) -> None:
        self.ctx = ctx
        self.left = int(ctx.config["action_budget"])
        self.actions: list[dict[str, Any]] = []

    def cost(self, kind: str) -> int:
        return int(self.ctx.config["mine_cost"]) if kind == "mine" else (0 if kind == "speak" else 1)

    def add(self, kind: str, **params: Any) -> bool:
        c = self.cost(kind)
        if c > self.left:
            return False
        self.left -= c
        self.actions.append({"kind": kind, "params": params})
        return True


def _lock_needed(c: dict[str, Any], role: str) -> int:
    if role == "arbitrator":
        return int(c["collateral"])
    t = c["terms"]
    if c["type"] == "forward":
        return int(t.get("receive", 0))
    return int(t.get("coverage", 0)) if c["type"] == "insurance" else 0


def _ruling(ctx: AgentContext, c: dict[str, Any]) -> str:
    """Arbitration heuristic: an undelivered claim favours the buyer; otherwise the better track record."""
    by = (c.get("dispute") or {}).get("by", "proposer")
    if by == "proposer" and "counterparty" not in c["confirmations"]:
        return "proposer"
    p, q = ctx.agents[c["proposer"]], ctx.agents[c["counterparty"]]
    return "counterparty" if q["rulings_lost"] < p["rulings_lost"] else "proposer"


def do_duties(plan: TurnPlan, honest: bool = True, max_points: int | None = None) -> None:
    ctx = plan.ctx
    stop_at = plan.left - (max_points if max_points is not None else plan.left)
    balance = int(ctx.me["balance"])
    for c in ctx.contracts:
        if plan.left <= stop_at:
            return
        role = ctx.role_in(c)
        if c["status"] == "proposed" and role in ("counterparty", "arbitrator") and role not in c["signed"]:
            need = _lock_needed(c, role)
            if need <= balance - 5 and plan.add("sign_contract", contract_id=c["contract_id"], role=role):
                balance -= need
        elif c["status"] == "disputed" and role == "arbitrator" and honest:
            plan.add("arbitrator_ruling", contract_id=c["contract_id"], in_favor_of=_ruling(ctx, c))
        elif c["status"] == "active" and c["type"] in ATTESTED_TYPES and role != "arbitrator":
            confirmed = c["confirmations"]
            if role == "counterparty" and honest and "counterparty" not in confirmed:
                plan.add("confirm_delivery", contract_id=c["contract_id"])
            elif role == "proposer" and "proposer" not in confirmed:
                if "counterparty" in confirmed:
                    if c["type"] == "information_sale" and _info_chars(ctx, c) < JUNK_MIN_CHARS:
                        plan.add("dispute_delivery", contract_id=c["contract_id"], reason="junk information")
                    else:
                        plan.add("confirm_delivery", contract_id=c["contract_id"])
                elif ctx.turn >= int(c["maturity_turn"]):
                    plan.add("dispute_delivery", contract_id=c["contract_id"], reason="not delivered")


def _info_chars(ctx: AgentContext, c: dict[str, Any]) -> int:
    lid = c["terms"].get("listing_id", "")
    if lid in ctx.purchased:
        return len(ctx.purchased[lid])
    return next((int(x["content_chars"]) for x in ctx.listings if x["listing_id"] == lid), JUNK_MIN_CHARS)


def _rng(ctx: AgentContext, seed: int) -> np.random.Generator:
    return stream(seed, Purpose.STRATEGY_DECISIONS, agent_key(ctx.agent_id), ctx.turn)


def _others(ctx: AgentContext, rng: np.random.Generator, k: int) -> list[str]:
    """k distinct agents other than this one (empty when the world is too small)."""
    ids = ctx.all_ids or sorted(ctx.agents)
    if len(ids) <= k:
        return []
    picks = rng.choice(len(ids), size=k + 1, replace=False)
    return [ids[i] for i in picks if ids[i] != ctx.agent_id][:k]


class ScriptedStrategy(ABC):
    name = "base"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    async def decide(self, ctx: AgentContext) -> Decision:
        plan = TurnPlan(ctx)
        self.plan(plan, _rng(ctx, self.seed))
        return Decision(actions=plan.actions)

    @abstractmethod
    def plan(self, plan: TurnPlan, rng: np.random.Generator) -> None:
        """Add this strategy's actions to the plan."""

    @staticmethod
    def auction(plan: TurnPlan, amount: int) -> None:
        if plan.ctx.turn == plan.ctx.config["core_auction_turn"] and plan.ctx.me["balance"] >= amount:
            plan.add("bid_core", amount=amount)


class Miner(ScriptedStrategy):
    """Bids for a core, mines every turn, insures against a dry spell now and then, studies when rich."""

    name = "miner"

    def plan(self, plan: TurnPlan, rng: np.random.Generator) -> None:
        ctx = plan.ctx
        self.auction(plan, 12 + int(rng.integers(10)))
        do_duties(plan, max_points=1)
        bal = int(ctx.me["balance"])
        if bal < 0:
            plan.add("job")
        plan.add("mine")
        if ctx.turn % 7 == 3 and bal > 30:
            pair = _others(ctx, rng, 2)
            if pair:
                plan.add(
                    "propose_contract",
                    type="insurance",
                    counterparty=pair[0],
                    arbitrator=pair[1],
                    terms={"premium": 2, "coverage": 10, "maturity": 5},
                )
        elif bal > 80 and ctx.me["study_level"] < 2:
            plan.add("study")


class Staker(ScriptedStrategy):
    """Stakes most of its balance, works, burns a little for burn score, unstakes when short."""

    name = "staker"

    def plan(self, plan: TurnPlan, rng: np.random.Generator) -> None:
        ctx = plan.ctx
        do_duties(plan, max_points=2)
        bal, staked = int(ctx.me["balance"]), int(ctx.me["staked"])
        if bal > 40:
            plan.add("stake", amount=bal - 30)
        elif bal < 5 and staked > 0 and ctx.turn >= ctx.me["stake_locked_until"]:
            plan.add("unstake", amount=min(staked, 20))
        if ctx.turn % 4 == 0 and bal > 15:
            plan.add("burn", amount=3)
        plan.add("job")


class Trader(ScriptedStrategy):
    """Sells information, buys others', writes service, loan and forward contracts, pays tips."""

    name = "trader"

    def plan(self, plan: TurnPlan, rng: np.random.Generator) -> None:
        ctx = plan.ctx
        do_duties(plan, max_points=2)
        bal = int(ctx.me["balance"])
        if ctx.turn % 5 == 1:
            plan.add(
                "sell_information",
                topic=f"block odds t{ctx.turn}",
                price=3,
                content=f"report: at turn {ctx.turn} mine weight leads stake weight; "
                f"{ctx.agent_id} expects {int(rng.integers(1, 9))} blocks per pool member",
            )
            if rng.random() < 0.3:
                plan.add("speak", message=f"{ctx.agent_id}: new market report on sale for 3 tokens")
        pick = ctx.turn % 4
        trio = _others(ctx, rng, 2)
        if not trio or bal < 15:
            plan.add("job")
            return
        cp, arb = trio
        if pick == 0:
            buy = [x for x in ctx.listings if x["seller"] != ctx.agent_id and ctx.agent_id not in x["buyers"]]
            if buy:
                lst = buy[int(rng.integers(len(buy)))]
                others = [a for a in _others(ctx, rng, 3) if a != lst["seller"]]
                if others:
                    plan.add(
                        "propose_contract",
                        type="information_sale",
                        counterparty=lst["seller"],
                        arbitrator=others[0],
                        terms={"listing_id": lst["listing_id"], "price": lst["price"], "maturity": 2},
                    )
        elif pick == 1:
            plan.add(
                "propose_contract",
                type="service",
                counterparty=cp,
                arbitrator=arb,
                terms={"price": 5, "maturity": 2},
            )
        elif pick == 2 and bal > 30:
            plan.add(
                "propose_contract",
                type="loan",
                counterparty=cp,
                arbitrator=arb,
                terms={"principal": 10, "repay": 12, "maturity": 4},
            )
        else:
            plan.add(
                "propose_contract",
                type="forward",
                counterparty=cp,
                arbitrator=arb,
                terms={"give": 4, "receive": 3, "maturity": 3},
            )
        if rng.random() < 0.2:
            plan.add("transfer", to=cp, amount=1, fee=1)
        plan.add("job")


class PoolOrganiser(ScriptedStrategy):
    """Forms mining pools by bilateral pool contracts with miners, and mines itself."""

    name = "pool_organiser"

    def plan(self, plan: TurnPlan, rng: np.random.Generator) -> None:
        ctx = plan.ctx
        self.auction(plan, 10)
        do_duties(plan, max_points=1)
        pooled = {
            c["counterparty"] for c in ctx.contracts if c["type"] == "pool" and c["proposer"] == ctx.agent_id
        }
        trio = _others(ctx, rng, 2)
        if trio and trio[0] not in pooled and ctx.me["balance"] > 5:
            plan.add(
                "propose_contract",
                type="pool",
                counterparty=trio[0],
                arbitrator=trio[1],
                terms={"share_bps": 2500, "maturity": 10},
            )
            if ctx.turn % 5 == 0:
                plan.add("speak", message=f"{ctx.agent_id}: pool open, 25% of block rewards shared both ways")
        plan.add("mine")


class Cheater(ScriptedStrategy):
    """Takes payment and never delivers, sells junk, forges and replays actions."""

    name = "cheater"

    def plan(self, plan: TurnPlan, rng: np.random.Generator) -> None:
        ctx = plan.ctx
        do_duties(plan, honest=False, max_points=1)
        if ctx.turn % 3 == 0:
            victim = _others(ctx, rng, 1)
            if victim:
                plan.actions.append(
                    {
                        "kind": "transfer",
                        "_forge_as": victim[0],
                        "params": {"to": ctx.agent_id, "amount": 5, "fee": 0},
                    }
                )
        if ctx.turn % 4 == 2:
            plan.actions.append({"kind": "replay", "_replay_last": True, "params": {}})
        if ctx.turn % 5 == 2:
            plan.add("sell_information", topic="guaranteed block tips", price=4, content="trust me")
        plan.add("mine")


STRATEGIES: dict[str, type[ScriptedStrategy]] = {
    "miner": Miner,
    "staker": Staker,
    "trader": Trader,
    "pool_organiser": PoolOrganiser,
    "cheater": Cheater,
}
DEFAULT_MIX: tuple[str, ...] = (
    "miner",
    "staker",
    "trader",
    "miner",
    "pool_organiser",
    "staker",
    "trader",
    "cheater",
)


def assign_strategies(
    agent_ids: list[str], seed: int = 0, mix: tuple[str, ...] = DEFAULT_MIX
) -> dict[str, ScriptedStrategy]:
    for m in mix:
        if m not in STRATEGIES:
            raise ValueError(f"unknown strategy {m!r}; choose from {sorted(STRATEGIES)}")
    return {aid: STRATEGIES[mix[i % len(mix)]](seed) for i, aid in enumerate(agent_ids)}
