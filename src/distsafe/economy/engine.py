"""The authoritative world: turn processing, billing, blocks, dividends, interest and the supply invariant.

Pure Python with no HTTP or SQL. `Engine.apply_turn` takes a validated `TurnRequest` and returns a
`TurnResult`; every random draw comes from `random.Random(f"{seed}:{turn}")`, so the same config, agents
and actions give the same ledger.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import dataclass, field
from typing import Any, Iterator

from . import contracts as C
from .actions import Action, ActionBody, Bundle, TurnRequest
from .blockchain import (Block, burn_weight, decay_burn, genesis_block, make_block, mine_weight, run_lottery,
                         stake_weight)
from .config import WorldConfig
from .crypto import verify
from .state import TERMINAL_STATUSES, AgentState, Contract, InvariantError, Listing, Reject


@dataclass
class ActionResult:
    agent_id: str
    kind: str
    nonce: int
    accepted: bool
    reason: str = ""
    ref: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"agent_id": self.agent_id, "kind": self.kind, "nonce": self.nonce,
                "accepted": self.accepted, "reason": self.reason, "ref": self.ref}


@dataclass
class TurnResult:
    turn: int
    results: list[ActionResult]
    blocks: list[Block]
    supply: dict[str, Any]
    rejected: int = 0
    events: list[tuple[int, str, str, int, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"turn": self.turn, "accepted": len(self.results) - self.rejected, "rejected": self.rejected,
                "results": [r.to_dict() for r in self.results], "blocks": [b.to_dict() for b in self.blocks],
                "supply": self.supply}


class Engine:
    """World state plus the rules. Construct with `Engine.genesis(cfg, {agent_id: public_key_hex})`."""

    def __init__(self, cfg: WorldConfig) -> None:
        self.cfg = cfg
        self.turn = 0
        self.agents: dict[str, AgentState] = {}
        self.contracts: dict[str, Contract] = {}
        self.listings: dict[str, Listing] = {}
        self.chain: list[Block] = []
        self.minted = 0
        self.burned = 0
        self.destroyed_interest = 0
        self.fee_pool = 0
        self.pending_fees = 0
        self.burned_by: dict[str, int] = {}
        self.speech: list[tuple[int, str, str]] = []
        self._open: dict[str, None] = {}
        self._reset_turn_buffers()

    # ----------------------------------------------------------------- construction

    @classmethod
    def genesis(cls, cfg: WorldConfig, keys: dict[str, str]) -> "Engine":
        eng = cls(cfg)
        for aid, pk in keys.items():
            eng.agents[aid] = AgentState(agent_id=aid, public_key=pk, balance=cfg.genesis_balance)
            eng.minted += cfg.genesis_balance
        eng.chain.append(genesis_block(cfg.seed))
        eng.check_invariant()
        return eng

    def _reset_turn_buffers(self) -> None:
        self.events: list[tuple[int, str, str, int, str]] = []
        self.dirty_contracts: set[str] = set()
        self.dirty_listings: set[str] = set()
        self.new_speech: list[tuple[int, str, str]] = []
        self.tx_rows: list[tuple] = []

    def event(self, kind: str, agent_id: str, amount: int, ref: str = "") -> None:
        self.events.append((self.turn, kind, agent_id, amount, ref))

    def open_contracts(self) -> Iterator[str]:
        for cid, c in self.contracts.items():
            if c.status not in TERMINAL_STATUSES:
                yield cid

    @property
    def active_pools(self) -> dict[str, list[str]]:
        pools: dict[str, list[str]] = {}
        for cid in self.open_contracts():
            c = self.contracts[cid]
            if c.type == "pool" and c.status == "active":
                pools.setdefault(c.proposer, []).append(cid)
                pools.setdefault(c.counterparty, []).append(cid)
        return pools

    def _burn(self, amount: int, reason: str) -> None:
        self.burned += amount
        self.burned_by[reason] = self.burned_by.get(reason, 0) + amount

    # ----------------------------------------------------------------- supply

    def supply(self) -> dict[str, Any]:
        balances = sum(a.balance for a in self.agents.values())
        staked = sum(a.staked for a in self.agents.values())
        bids = sum(a.locked_bid for a in self.agents.values())
        escrow = sum(self.contracts[cid].escrow_total for cid in self.open_contracts())
        total = balances + staked + bids + escrow + self.fee_pool + self.pending_fees
        expected = self.minted - self.burned - self.destroyed_interest
        return {"total": total, "expected": expected, "invariant_ok": total == expected,
                "minted": self.minted, "burned": self.burned, "destroyed_interest": self.destroyed_interest,
                "burned_by": dict(sorted(self.burned_by.items())),
                "components": {"balances": balances, "staked": staked, "locked_bids": bids, "escrow": escrow,
                               "fee_pool": self.fee_pool, "pending_fees": self.pending_fees}}

    def check_invariant(self) -> dict[str, Any]:
        s = self.supply()
        if not s["invariant_ok"]:
            raise InvariantError(f"supply {s['total']} != minted - burned - destroyed = {s['expected']}")
        for a in self.agents.values():
            if a.staked < 0 or a.locked_bid < 0:
                raise InvariantError(f"agent {a.agent_id} has negative stake or bid lock")
        for c in self.contracts.values():
            if any(v < 0 for v in c.escrow.values()):
                raise InvariantError(f"contract {c.contract_id} has negative escrow")
            if c.status in TERMINAL_STATUSES and c.escrow_total != 0:
                raise InvariantError(f"closed contract {c.contract_id} still holds escrow")
        if self.fee_pool < 0 or self.pending_fees < 0:
            raise InvariantError("negative fee pool")
        return s

    # ----------------------------------------------------------------- the turn

    def rng(self, salt: str = "") -> random.Random:
        return random.Random(f"{self.cfg.seed}:{self.turn}:{salt}")

    def apply_turn(self, req: TurnRequest) -> TurnResult:
        """Apply one turn. The caller has checked `req.turn == self.turn + 1` and that agents exist."""
        self._reset_turn_buffers()
        self.turn = req.turn
        units: list[Action | Bundle] = [*req.actions, *req.bundles]
        by_agent: dict[str, list[tuple[int, Action | Bundle]]] = {}
        for i, u in enumerate(units):
            by_agent.setdefault(u.agent_id, []).append((i, u))
        order = sorted(by_agent)
        self.rng("order").shuffle(order)
        results: list[list[ActionResult]] = [[] for _ in units]
        budget: dict[str, int] = {}
        self._miners: set[str] = set()
        self._bids: list[tuple[int, str]] = []
        for aid in order:
            for i, unit in sorted(by_agent[aid], key=lambda t: (t[1].nonce, t[0])):
                results[i] = self._apply_unit(unit, budget)
        self._bill_inference(req.usage)
        if self.turn == self.cfg.core_auction_turn:
            self._resolve_auction()
        blocks = self._produce_blocks()
        self._pay_dividends()
        C.maintain(self)
        self._charge_interest()
        for a in self.agents.values():
            if a.burn_score:
                a.burn_score = decay_burn(a.burn_score, self.cfg)
        supply = self.check_invariant()
        res = [r for rs in results for r in rs]
        rejected = sum(1 for r in res if not r.accepted)
        for unit, rs in zip(units, results):
            for body, r in zip(unit.bodies(), rs):
                self.tx_rows.append((self.turn, r.agent_id, r.kind, r.nonce,
                                     json.dumps(body.params, sort_keys=True), int(r.accepted), r.reason,
                                     r.ref))
        return TurnResult(self.turn, res, blocks, supply, rejected, list(self.events))

    def _apply_unit(self, unit: Action | Bundle, budget: dict[str, int]) -> list[ActionResult]:
        """Check the signature, turn and nonce of a signed action or bundle once, then apply its actions."""
        bodies = unit.bodies()
        agent = self.agents.get(unit.agent_id)
        reason = ""
        if agent is None:
            reason = f"unknown agent {unit.agent_id!r}"
        elif unit.signature is None:
            reason = "unsigned action"
        elif not verify(agent.public_key, unit.signed_payload(), unit.signature):
            reason = "signature does not verify for this agent"
        elif unit.turn != self.turn:
            reason = f"action signed for turn {unit.turn}, current turn is {self.turn}"
        elif unit.nonce <= agent.last_nonce:
            reason = f"replayed nonce {unit.nonce} (last used {agent.last_nonce})"
        if reason or agent is None:
            return [ActionResult(unit.agent_id, b.kind, unit.nonce, False, reason) for b in bodies]
        agent.last_nonce = unit.nonce
        return [self._apply_action(agent, b, unit.nonce, budget) for b in bodies]

    def _apply_action(self, agent: AgentState, body: ActionBody, nonce: int,
                      budget: dict[str, int]) -> ActionResult:
        res = ActionResult(agent.agent_id, body.kind, nonce, False)
        try:
            cost = self.cfg.action_cost(body.kind)
            spent = budget.get(agent.agent_id, 0)
            if spent + cost > self.cfg.action_budget:
                raise Reject(f"action budget exhausted ({spent}/{self.cfg.action_budget} used, {body.kind} "
                             f"costs {cost})")
            res.ref = getattr(self, "_do_" + body.kind)(agent, body.parsed_params(), nonce)
            budget[agent.agent_id] = spent + cost
            res.accepted = True
        except Reject as exc:
            res.reason = str(exc)
        return res

    # ----------------------------------------------------------------- actions

    @staticmethod
    def _need(agent: AgentState, amount: int, what: str) -> None:
        if amount > agent.balance:
            raise Reject(f"insufficient balance for {what}: needs {amount}, has {agent.balance}")

    def _do_mine(self, a: AgentState, p: Any, nonce: int) -> None:
        if a.agent_id in self._miners:
            raise Reject("already mined this turn")
        self._miners.add(a.agent_id)

    def _do_stake(self, a: AgentState, p: Any, nonce: int) -> None:
        self._need(a, p.amount, "stake")
        a.balance -= p.amount
        a.staked += p.amount
        a.stake_locked_until = self.turn + self.cfg.stake_lock_turns

    def _do_unstake(self, a: AgentState, p: Any, nonce: int) -> None:
        if p.amount > a.staked:
            raise Reject(f"cannot unstake {p.amount}: only {a.staked} staked")
        if self.turn < a.stake_locked_until:
            raise Reject(f"stake locked until turn {a.stake_locked_until}")
        a.staked -= p.amount
        a.balance += p.amount

    def _do_burn(self, a: AgentState, p: Any, nonce: int) -> None:
        self._need(a, p.amount, "burn")
        a.balance -= p.amount
        a.burn_score += p.amount
        self._burn(p.amount, "burn")

    def _do_study(self, a: AgentState, p: Any, nonce: int) -> None:
        if a.study_level >= self.cfg.max_study_level:
            raise Reject(f"already at max study level {self.cfg.max_study_level}")
        self._need(a, self.cfg.study_cost, "study")
        a.balance -= self.cfg.study_cost
        a.study_level += 1
        self._burn(self.cfg.study_cost, "study")

    def _do_job(self, a: AgentState, p: Any, nonce: int) -> None:
        wage = int(self.cfg.job_wage * (1.0 + self.cfg.study_bonus * a.study_level))
        a.balance += wage
        self.minted += wage
        self.event("wage", a.agent_id, wage)

    def _do_transfer(self, a: AgentState, p: Any, nonce: int) -> None:
        to = self.agents.get(p.to)
        if to is None:
            raise Reject(f"unknown recipient {p.to!r}")
        if to is a:
            raise Reject("cannot transfer to yourself")
        self._need(a, p.amount + p.fee, "transfer")
        a.balance -= p.amount + p.fee
        to.balance += p.amount
        self.pending_fees += p.fee
        self.event("transfer_in", to.agent_id, p.amount, a.agent_id)

    def _do_propose_contract(self, a: AgentState, p: Any, nonce: int) -> str:
        return C.propose(self, a.agent_id, nonce, p).contract_id

    def _do_sign_contract(self, a: AgentState, p: Any, nonce: int) -> str:
        return C.sign(self, a.agent_id, p).contract_id

    def _do_confirm_delivery(self, a: AgentState, p: Any, nonce: int) -> str:
        return C.confirm(self, a.agent_id, p.contract_id).contract_id

    def _do_dispute_delivery(self, a: AgentState, p: Any, nonce: int) -> str:
        return C.dispute(self, a.agent_id, p.contract_id, p.reason).contract_id

    def _do_arbitrator_ruling(self, a: AgentState, p: Any, nonce: int) -> str:
        return C.rule(self, a.agent_id, p).contract_id

    def _do_sell_information(self, a: AgentState, p: Any, nonce: int) -> str:
        if len(p.content) > self.cfg.max_info_chars:
            raise Reject(f"information longer than {self.cfg.max_info_chars} characters")
        lid = f"L{len(self.listings) + 1}"
        h = hashlib.sha256(p.content.encode()).hexdigest()
        self.listings[lid] = Listing(lid, a.agent_id, p.topic, p.price, p.content, h, self.turn)
        self.dirty_listings.add(lid)
        return lid

    def _do_bid_core(self, a: AgentState, p: Any, nonce: int) -> None:
        if self.turn != self.cfg.core_auction_turn:
            raise Reject(f"cores are auctioned on turn {self.cfg.core_auction_turn} only")
        if a.locked_bid:
            raise Reject("already bid in this auction")
        self._need(a, p.amount, "core bid")
        a.balance -= p.amount
        a.locked_bid = p.amount
        self._bids.append((p.amount, a.agent_id))

    def _do_speak(self, a: AgentState, p: Any, nonce: int) -> None:
        if len(p.message) > self.cfg.max_speech_chars:
            raise Reject(f"message longer than {self.cfg.max_speech_chars} characters")
        row = (self.turn, a.agent_id, p.message)
        self.speech.append(row)
        self.new_speech.append(row)

    # ----------------------------------------------------------------- end of turn

    def _bill_inference(self, usage: dict[str, int]) -> None:
        cfg = self.cfg
        for aid in sorted(usage):
            tokens = usage[aid]
            a = self.agents[aid]
            a.output_tokens += tokens
            billable = max(0, tokens - cfg.commons_threshold)
            fee = math.ceil(billable * cfg.inference_price_per_1k / 1000)
            if fee:
                a.balance -= fee  # inference already happened: the bill may push the balance negative
                a.inference_paid += fee
                self.fee_pool += fee
                self.event("inference_fee", aid, -fee)

    def _resolve_auction(self) -> None:
        bids = sorted(self._bids, key=lambda b: (-b[0], b[1]))
        for rank, (amount, aid) in enumerate(bids):
            a = self.agents[aid]
            a.locked_bid = 0
            if rank < self.cfg.num_cores:
                a.cores += 1
                self._burn(amount, "core_auction")
                self.event("core_won", aid, -amount)
            else:
                a.balance += amount
                self.event("bid_refund", aid, amount)

    def _award(self, winner: str, amount: int, ref: str) -> None:
        keep = C.pool_shares(self, winner, amount, ref)
        self.agents[winner].balance += keep
        self.agents[winner].blocks_won += 1
        self.event("block_reward", winner, keep, ref)

    def _produce_blocks(self) -> list[Block]:
        cfg = self.cfg
        if not self._miners:
            return []
        rng = self.rng("lottery")
        out: list[Block] = []
        miners = sorted(self._miners)
        cands = [(m, "mine", mine_weight(self.agents[m].study_level, cfg)) for m in miners]
        win = run_lottery(cands, rng)
        if win is None:
            return []
        fees, self.pending_fees = self.pending_fees, 0
        self.minted += cfg.mine_block_reward
        tip = self.chain[-1]
        blk = make_block(tip.height + 1, self.turn, "mine", win[0], win[2], cfg.mine_block_reward, fees,
                         tip.hash)
        self.chain.append(blk)
        out.append(blk)
        self._award(win[0], cfg.mine_block_reward + fees, f"block:{blk.height}")
        # Slimcoin rule: the tip is now a mine block, so one stake/burn block may follow it.
        pos: list[tuple[str, str, float]] = []
        for aid in sorted(self.agents):
            a = self.agents[aid]
            if a.staked > 0:
                pos.append((aid, "stake", stake_weight(a.staked, cfg)))
            if a.burn_score > 0:
                pos.append((aid, "burn", burn_weight(a.burn_score, cfg)))
        win = run_lottery(pos, rng)
        if win is not None:
            self.minted += cfg.stake_block_reward
            tip = self.chain[-1]
            blk = make_block(tip.height + 1, self.turn, win[1], win[0], win[2], cfg.stake_block_reward, 0,
                             tip.hash)
            self.chain.append(blk)
            out.append(blk)
            self._award(win[0], cfg.stake_block_reward, f"block:{blk.height}")
        return out

    def _pay_dividends(self) -> None:
        owners = sorted((aid, a.cores) for aid, a in self.agents.items() if a.cores)
        total = sum(c for _, c in owners)
        if not total or self.fee_pool < total:
            return
        per_core = self.fee_pool // total
        for aid, cores in owners:
            amount = per_core * cores
            self.agents[aid].balance += amount
            self.agents[aid].dividends += amount
            self.event("dividend", aid, amount)
        self.fee_pool -= per_core * total

    def _charge_interest(self) -> None:
        rate = self.cfg.negative_interest_rate
        if rate <= 0:
            return
        for a in self.agents.values():
            if a.balance < 0:
                interest = math.ceil(-a.balance * rate)
                a.balance -= interest
                self.destroyed_interest += interest
                self.event("interest_destroyed", a.agent_id, -interest)

    # ----------------------------------------------------------------- views

    def agent_view(self, aid: str) -> dict[str, Any]:
        a = self.agents[aid]
        d = a.public()
        d["open_contracts"] = [cid for cid in self.open_contracts() if self.contracts[cid].role_of(aid)]
        d["purchased_information"] = {lid: l.content for lid, l in self.listings.items() if aid in l.buyers}
        return d

    def blocks_by_kind(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for b in self.chain:
            out[b.kind] = out.get(b.kind, 0) + 1
        return out

    def contracts_by_status(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.contracts.values():
            out[c.status] = out.get(c.status, 0) + 1
        return dict(sorted(out.items()))

    def state_view(self, include_agents: bool = True) -> dict[str, Any]:
        tip = self.chain[-1]
        d: dict[str, Any] = {
            "turn": self.turn, "supply": self.supply(),
            "chain": {"height": tip.height, "tip_hash": tip.hash, "tip_kind": tip.kind,
                      "blocks_by_kind": self.blocks_by_kind(),
                      "recent": [b.to_dict() for b in self.chain[-6:]]},
            "cores": {aid: a.cores for aid, a in sorted(self.agents.items()) if a.cores},
            "contracts_by_status": self.contracts_by_status(),
            "open_contracts": [self.contracts[cid].summary() for cid in self.open_contracts()],
            "listings": [l.public() for l in self.listings.values()],
            "speech": [{"turn": t, "agent_id": a, "message": m} for t, a, m in self.speech[-20:]],
        }
        if include_agents:
            d["agents"] = [a.public() for _, a in sorted(self.agents.items())]
        return d
