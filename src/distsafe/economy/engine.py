"""The authoritative world: its state, the turn (signature checks, action order, budget), the supply
invariant and the read views.

Pure Python with no HTTP or SQL. `Engine.apply_turn` takes a validated `TurnRequest` and returns a
`TurnResult`. The rule of each action is in `rules`, the end of a turn (billing, auction, blocks, dividends,
interest) in `upkeep`, contracts in `contracts`. Every random draw comes from a numpy stream of the world
seed for its purpose and turn (`streams`), so the same config, agents and actions give the same ledger.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from distsafe.economy import contracts, upkeep
from distsafe.economy.actions import ActionBody, Bundle, InvalidUnit, LedgerAction, TurnRequest
from distsafe.economy.blockchain import Block, decay_burn, genesis_block
from distsafe.economy.config import WorldConfig
from distsafe.economy.crypto import verify
from distsafe.economy.limits import INT64_MAX, NONCE_WINDOW, SUPPLY_CAP
from distsafe.economy.records import TERMINAL_STATUSES, Account, Contract, InvariantError, Listing, Reject
from distsafe.economy.rules import ACTION_RULES
from distsafe.economy.streams import Purpose, stream

SPEECH_KEPT = 20  # recent speech lines kept in memory (the views show these; the store keeps all)


def _params_json(body: ActionBody) -> str:
    return json.dumps(body.params, sort_keys=True)


@dataclass
class ActionResult:
    agent_id: str
    kind: str
    nonce: int
    accepted: bool
    reason: str = ""
    ref: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "kind": self.kind,
            "nonce": self.nonce,
            "accepted": self.accepted,
            "reason": self.reason,
            "ref": self.ref,
        }


@dataclass
class TurnResult:
    turn: int
    results: list[ActionResult]
    blocks: list[Block]
    supply: dict[str, Any]
    rejected: int = 0
    events: list[tuple[int, str, str, int, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "turn": self.turn,
            "accepted": len(self.results) - self.rejected,
            "rejected": self.rejected,
            "results": [r.to_dict() for r in self.results],
            "blocks": [b.to_dict() for b in self.blocks],
            "supply": self.supply,
        }


class Engine:
    """World state plus the rules. Construct with `Engine.genesis(cfg, {agent_id: public_key_hex})`."""

    def __init__(self, cfg: WorldConfig) -> None:
        self.cfg = cfg
        self.turn = 0
        self.agents: dict[str, Account] = {}
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
    def genesis(cls, cfg: WorldConfig, keys: dict[str, str]) -> Engine:
        eng = cls(cfg)
        for aid, pk in keys.items():
            eng.agents[aid] = Account(agent_id=aid, public_key=pk, balance=cfg.genesis_balance)
            eng.minted += cfg.genesis_balance
        eng.chain.append(genesis_block(cfg.seed))
        eng.check_invariant()
        return eng

    def _reset_turn_buffers(self) -> None:
        self.events: list[tuple[int, str, str, int, str]] = []
        self.dirty_contracts: set[str] = set()
        self.dirty_listings: set[str] = set()
        self.new_speech: list[tuple[int, str, str]] = []
        self.tx_rows: list[tuple[Any, ...]] = []
        self.miners: set[str] = set()  # who mined this turn (once each)
        self.bids: list[tuple[int, str]] = []  # (amount, agent_id) core bids of this turn

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

    def mint(self, amount: int) -> int:
        """Create up to `amount` tokens (never past `SUPPLY_CAP`); returns how many were created."""
        room = SUPPLY_CAP - (self.minted - self.burned - self.destroyed_interest)
        amount = max(0, min(amount, room))
        self.minted += amount
        return amount

    def burn(self, amount: int, reason: str) -> None:
        """Destroy `amount` tokens, counted under `reason`."""
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
        return {
            "total": total,
            "expected": expected,
            "invariant_ok": total == expected,
            "minted": self.minted,
            "burned": self.burned,
            "destroyed_interest": self.destroyed_interest,
            "burned_by": dict(sorted(self.burned_by.items())),
            "components": {
                "balances": balances,
                "staked": staked,
                "locked_bids": bids,
                "escrow": escrow,
                "fee_pool": self.fee_pool,
                "pending_fees": self.pending_fees,
            },
        }

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
        # every stored integer fits SQLite's 64 bits (the limits in config make this hold; this is the net)
        held = [s["total"], self.fee_pool, self.pending_fees]
        for a in self.agents.values():
            held += (a.balance, a.staked, a.locked_bid)
        if any(abs(v) > INT64_MAX for v in held):
            raise InvariantError("a holding is outside the ledger's 64-bit range")
        return s

    # ----------------------------------------------------------------- the turn

    def rng(self, purpose: Purpose) -> np.random.Generator:
        """This turn's random stream for `purpose` (a child of the world seed's root SeedSequence)."""
        return stream(self.cfg.seed, purpose, self.turn)

    def apply_turn(self, req: TurnRequest, max_actions_per_agent: int | None = None) -> TurnResult:
        """Apply one turn. The caller has checked `req.turn == self.turn + 1`.

        A malformed unit (`InvalidUnit`) or one naming an unknown agent is rejected alone. Each agent's
        verified units may carry at most `max_actions_per_agent` actions in the turn (None: no cap); the
        units past it are rejected. On an exception the engine is left half-changed: the caller discards it
        (the service reloads it from its file)."""
        self._reset_turn_buffers()
        self.turn = req.turn
        units = req.units()
        results: list[list[ActionResult]] = [[] for _ in units]
        by_agent: dict[str, list[tuple[int, LedgerAction | Bundle]]] = {}
        for i, u in enumerate(units):
            if isinstance(u, InvalidUnit):
                results[i] = [ActionResult(u.agent_id, u.kind, u.nonce, False, u.reason)]
            elif u.agent_id not in self.agents:
                reason = f"unknown agent {u.agent_id!r}"
                results[i] = [ActionResult(u.agent_id, b.kind, u.nonce, False, reason) for b in u.bodies()]
            else:
                by_agent.setdefault(u.agent_id, []).append((i, u))
        order = sorted(by_agent)
        order = [order[i] for i in self.rng(Purpose.ACTION_ORDER).permutation(len(order))]
        budget: dict[str, int] = {}
        counted: dict[str, int] = {}
        for aid in order:
            for i, unit in sorted(by_agent[aid], key=lambda t: (t[1].nonce, t[0])):
                results[i] = self._apply_unit(unit, budget, counted, max_actions_per_agent)
        upkeep.bill_inference(self, req.usage)
        if self.turn == self.cfg.core_auction_turn:
            upkeep.resolve_auction(self)
        blocks = upkeep.produce_blocks(self)
        upkeep.pay_dividends(self)
        contracts.maintain(self)
        upkeep.charge_interest(self)
        for a in self.agents.values():
            if a.burn_score:
                a.burn_score = decay_burn(a.burn_score, self.cfg)
        del self.speech[:-SPEECH_KEPT]  # what the views show; the rest is in the store
        supply = self.check_invariant()
        res = [r for rs in results for r in rs]
        rejected = sum(1 for r in res if not r.accepted)
        for u, rs in zip(units, results):
            params = ["{}"] if isinstance(u, InvalidUnit) else [_params_json(b) for b in u.bodies()]
            for p, r in zip(params, rs):
                self.tx_rows.append(
                    (self.turn, r.agent_id, r.kind, r.nonce, p, int(r.accepted), r.reason, r.ref)
                )
        return TurnResult(self.turn, res, blocks, supply, rejected, list(self.events))

    def _apply_unit(
        self,
        unit: LedgerAction | Bundle,
        budget: dict[str, int],
        counted: dict[str, int],
        max_actions: int | None,
    ) -> list[ActionResult]:
        """Check the signature, turn and nonce of a signed action or bundle once, then apply its actions."""
        bodies = unit.bodies()
        agent = self.agents.get(unit.agent_id)
        reason = ""
        done = counted.get(unit.agent_id, 0)
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
        elif unit.nonce > agent.last_nonce + NONCE_WINDOW:
            reason = f"nonce {unit.nonce} jumps more than {NONCE_WINDOW} past the last ({agent.last_nonce})"
        elif max_actions is not None and done + len(bodies) > max_actions:
            reason = f"more than {max_actions} actions of {unit.agent_id} in one turn (max_actions_per_agent)"
        if reason or agent is None:
            return [ActionResult(unit.agent_id, b.kind, unit.nonce, False, reason) for b in bodies]
        counted[unit.agent_id] = done + len(bodies)
        agent.last_nonce = unit.nonce
        return [self._apply_action(agent, b, unit.nonce, budget) for b in bodies]

    def _apply_action(
        self, agent: Account, body: ActionBody, nonce: int, budget: dict[str, int]
    ) -> ActionResult:
        res = ActionResult(agent.agent_id, body.kind, nonce, False)
        try:
            cost = self.cfg.action_cost(body.kind)
            spent = budget.get(agent.agent_id, 0)
            if spent + cost > self.cfg.action_budget:
                raise Reject(
                    f"action budget exhausted ({spent}/{self.cfg.action_budget} used, {body.kind} "
                    f"costs {cost})"
                )
            res.ref = ACTION_RULES[body.kind](self, agent, body.parsed_params(), nonce)
            budget[agent.agent_id] = spent + cost
            res.accepted = True
        except Reject as exc:
            res.reason = str(exc)
        return res

    # ----------------------------------------------------------------- views

    def agent_view(self, aid: str, purchases: bool = True) -> dict[str, Any]:
        """One agent; `purchases`: with the content of the information it bought (for the agent only)."""
        a = self.agents[aid]
        d = a.public()
        d["open_contracts"] = [cid for cid in self.open_contracts() if self.contracts[cid].role_of(aid)]
        if purchases:
            d["purchased_information"] = {
                lid: x.content for lid, x in self.listings.items() if aid in x.buyers
            }
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
            "turn": self.turn,
            "supply": self.supply(),
            "chain": {
                "height": tip.height,
                "tip_hash": tip.hash,
                "tip_kind": tip.kind,
                "blocks_by_kind": self.blocks_by_kind(),
                "recent": [b.to_dict() for b in self.chain[-6:]],
            },
            "cores": {aid: a.cores for aid, a in sorted(self.agents.items()) if a.cores},
            "contracts_by_status": self.contracts_by_status(),
            "open_contracts": [self.contracts[cid].summary() for cid in self.open_contracts()],
            "listings": [x.public() for x in self.listings.values()],
            "speech": [{"turn": t, "agent_id": a, "message": m} for t, a, m in self.speech[-SPEECH_KEPT:]],
        }
        if include_agents:
            d["agents"] = [a.public() for _, a in sorted(self.agents.items())]
        return d
