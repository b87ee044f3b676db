"""Seed 002's marketplace in a run: the `market` component over `env.market.Marketplace`.

Money is the agents' `resources` (an `AgentLedger` over the agent table). Each step, in this order:

1. **Deliveries.** Every escrow awarded in an earlier step is delivered by its worker (unless the worker is
   frozen: then the poster disputes it for non-delivery). The delivery is an interaction of the step's
   batch: initiator = worker, counterparty = poster, effort and signal gaming the worker's own
   (`work_quality`), transfer `tau = -(escrow - fee)` so that the poster pays the worker, terms agreed (the
   bid was accepted and the money is in escrow: only a frozen poster refuses it). Its acceptance, p, the
   levers' costs and the payoffs come from the pipeline like any interaction's. A poster that refuses to pay
   (its type's `refuse` probability, drawn before the delivery) takes the work with `tau = 0`.
2. **Bids accepted.** Each open bounty with bids from an earlier step is awarded by its (unfrozen) poster to
   the bid with the highest score `(reward - price) / reward + w * tanh(reputation of the bidder)`, with
   `w = reputation_weight` for honest posters and 0 for the others (the cheapest bid).
3. **Bounties posted** by the acting agents of the posting types, with probability `post_probability`, at
   most `rate_limits.bounties_per_epoch` (default 3) per agent and epoch, the reward drawn from the type's
   range and taken from the poster's resources (an agent that cannot pay does not post).
4. **Bids** by the acting agents, with probability `bid_probability`, at most `rate_limits.bids_per_epoch`
   (default 5) per agent and epoch, on a bounty chosen by type (a random one, or the highest reward), at the
   type's price range (a share of the reward).

After the step's resolution (`resolved`): a paid delivery the poster took releases its escrow (the escrow
gives the poster back what the interaction's transfer took from it; the fee goes to the marketplace); a
refused payment, or a delivery a frozen poster could not take, files a dispute that records the delivery's
p. At each epoch's end, open bounties whose deadline has come expire (reward back to the poster) and
disputes filed `dispute_resolution_epochs` or more ago are settled: the worker gets the share p of the
escrow (less the fee) when the dispute has a delivery (`quality_rule`), else `dispute_default_split`.

Per type (TYPE_BEHAVIOUR): honest agents post, bid 80-95% of the reward on a random bounty, pick bids by
price and reputation, pay every delivery. Opportunistic agents bid 50-70% on the highest reward, take the
cheapest bid and pay. Deceptive agents bid 70-90% on the highest reward, take the cheapest bid and refuse
to pay half of the deliveries. Adversarial types (adversarial, adaptive_adversary, attacker) post small
bait bounties with a deadline one epoch away, bid 50-70% on the highest reward and refuse to pay every
delivery. Moderators and LLM agents take no part. The quality each worker delivers is its own effort.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from distsafe.core.components import Component, ComponentWork
from distsafe.core.config import OrchestratorConfig
from distsafe.core.state import EngineState
from distsafe.env.market import Bid, Bounty, Marketplace, MarketplaceConfig
from distsafe.metrics.epoch import SECTION_METRICS
from distsafe.models.agent import AgentType
from distsafe.models.agent_table import AgentTable
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType
from distsafe.models.schema import InteractionType

#: rate_limits.bounties_per_epoch / bids_per_epoch when unset (the reference's defaults)
DEFAULT_BOUNTIES_PER_EPOCH = 3
DEFAULT_BIDS_PER_EPOCH = 5


@dataclass(frozen=True)
class Behaviour:
    """One agent type's scripted marketplace behaviour."""

    posts: bool
    #: the reward range as shares of (reward_min, reward_max); deadline in epochs (None: bid_deadline_epochs)
    reward_scale: float = 1.0
    deadline: int | None = None
    bids: bool = True
    bid_low: float = 0.8
    bid_high: float = 0.95
    #: bid on the highest reward (else on a random open bounty)
    highest: bool = False
    #: weigh the bidder's reputation (reputation_weight) when accepting a bid (else: the cheapest)
    by_reputation: bool = False
    #: probability of refusing to pay a delivery (the escrow is then disputed)
    refuse: float = 0.0


_ADVERSARIAL = Behaviour(posts=True, reward_scale=1 / 3, deadline=1, bid_low=0.5, bid_high=0.7, highest=True,
                         refuse=1.0)  # fmt: skip
TYPE_BEHAVIOUR: dict[AgentType, Behaviour] = {
    AgentType.HONEST: Behaviour(posts=True, by_reputation=True),
    AgentType.OPPORTUNISTIC: Behaviour(posts=True, bid_low=0.5, bid_high=0.7, highest=True),
    AgentType.DECEPTIVE: Behaviour(posts=True, bid_low=0.7, bid_high=0.9, highest=True, refuse=0.5),
    AgentType.ADVERSARIAL: _ADVERSARIAL,
    AgentType.ADAPTIVE_ADVERSARY: _ADVERSARIAL,
    AgentType.ATTACKER: _ADVERSARIAL,
}
_NONE = Behaviour(posts=False, bids=False)
#: by AgentType code: the behaviour, and whether the type posts / bids (for vectorized filters)
_BY_CODE: dict[int, Behaviour] = {t.code: TYPE_BEHAVIOUR.get(t, _NONE) for t in AgentType}
_CODES = max(_BY_CODE) + 1
_POSTS = np.array([_BY_CODE.get(c, _NONE).posts for c in range(_CODES)])
_BIDS = np.array([_BY_CODE.get(c, _NONE).bids for c in range(_CODES)])


class AgentLedger:
    """The marketplace's accounts in a run: the agents' `resources`, by agent id."""

    def __init__(self, agents: AgentTable) -> None:
        self.agents = agents
        self._rows: dict[str, int] = {}  # rows looked up so far (an agent's row never changes)

    def row(self, agent_id: str) -> int:
        i = self._rows.get(agent_id)
        if i is None:
            i = self.agents.ids.index_of(agent_id)
            if i is None:
                raise KeyError(agent_id)
            self._rows[agent_id] = i
        return i

    def has(self, agent_id: str) -> bool:
        return agent_id in self._rows or self.agents.ids.index_of(agent_id) is not None

    def balance(self, agent_id: str) -> float:
        return float(self.agents.resources[self.row(agent_id)])

    def add(self, agent_id: str, amount: float) -> None:
        self.agents.resources[self.row(agent_id)] += amount


@dataclass
class _Delivery:
    escrow_id: str
    worker: int
    poster: int
    net: float
    pays: bool


class MarketComponent(Component):
    name = "market"

    def __init__(self, config: MarketplaceConfig) -> None:
        self.config = config
        self.market: Marketplace | None = None
        self._awarded: list[tuple[str, int, int]] = []  # escrow, worker row, poster row: to deliver
        self._delivering: list[_Delivery] = []
        self._bid_step: dict[str, int] = {}  # bounty -> global step of its first bid
        self._poster: dict[str, int] = {}  # bounty -> its poster's row
        self._bidder: dict[str, int] = {}  # bid -> its bidder's row
        self._tick = 0
        self._m: dict[str, float] = {}
        self._totals: dict[str, float] = {k: 0.0 for k in SECTION_METRICS["market"]}

    # --- hooks ---------------------------------------------------------------------------------------
    def start(self, state: EngineState) -> None:
        self.market = Marketplace(self.config, ledger=AgentLedger(state.agents))
        self._reset_epoch()

    def begin_epoch(self, state: EngineState) -> None:
        assert self.market is not None
        self.market.set_epoch(state.env.epoch)
        self._reset_epoch()
        state.agent_array("market_bounties", np.int32, 0)[:] = 0
        state.agent_array("market_bids", np.int32, 0)[:] = 0

    def step(self, state: EngineState) -> ComponentWork | None:
        assert self.market is not None
        self._tick += 1
        rng = state.rngs["market"]
        frozen = state.agents.frozen_mask(state.env.epoch)
        work = self._deliver(state, rng, frozen)
        self._accept_bids(state, frozen)
        acting = state.active[~frozen[state.active]] if state.active.size else state.active
        self._post(state, rng, acting)
        self._bid(state, rng, acting)
        return work

    def resolved(self, state: EngineState, batch: InteractionBatch, rows: slice) -> None:
        assert self.market is not None
        accepted, p = batch.accepted[rows], batch.p[rows]
        for d, acc, q in zip(self._delivering, accepted.tolist(), p.tolist()):
            e = self.market.escrows[d.escrow_id]
            if d.pays and acc:
                s = self.market.release_escrow(d.escrow_id, reimburse_poster=True)
                self._add("escrow_released", 1)
                self._add("market_fees", s.fee)
                self._add("paid_for_bad_work", d.net * (1.0 - q))
                state.emit(EventType.ESCROW_RELEASED, d.poster, {
                    "escrow": d.escrow_id, "bounty": e.bounty_id, "worker": e.to_agent, "amount": d.net,
                    "fee": s.fee, "p": q,
                })  # fmt: skip
            else:
                reason = "refused to pay" if acc else "delivery not taken"
                self._dispute(state, d.escrow_id, d.poster if acc else d.worker, reason, q)
        self._delivering = []

    def end_epoch(self, state: EngineState, batch: InteractionBatch) -> dict[str, float]:
        assert self.market is not None
        nxt = state.env.epoch + 1
        for b in self.market.expire_bounties(nxt):
            self._add("bounties_expired", 1)
            self._bid_step.pop(b.bounty_id, None)
            state.emit(
                EventType.BOUNTY_EXPIRED, self._row(b.poster_id), {"bounty": b.bounty_id, "amount": b.amount}
            )
        for d, s in self.market.auto_resolve_disputes(nxt):
            e = self.market.escrows[d.escrow_id]
            self._add("disputes_resolved", 1)
            self._add("market_fees", s.fee)
            self._add("withheld_from_workers", e.amount - s.fee - s.worker_amount)
            state.emit(EventType.DISPUTE_RESOLVED, None, {
                "dispute": d.dispute_id, "escrow": e.escrow_id, "worker": s.worker_id, "poster": s.poster_id,
                "worker_share": d.worker_share, "worker_amount": s.worker_amount,
                "poster_amount": s.poster_amount, "fee": s.fee,
            })  # fmt: skip
        out = {k: float(self._m.get(k, 0.0)) for k in SECTION_METRICS["market"]}
        out["escrow_held"] = self.market.held()
        n = self._m.get("bounties_posted", 0.0)
        out["avg_bounty"] = self._m.get("reward_sum", 0.0) / n if n else math.nan
        return out

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            k: v for k, v in self._totals.items() if k not in ("escrow_held", "avg_bounty")
        }
        if self.market is not None:
            out.update(self.market.get_stats())
        return out

    # --- the step's parts ----------------------------------------------------------------------------
    def _deliver(
        self, state: EngineState, rng: np.random.Generator, frozen: np.ndarray
    ) -> ComponentWork | None:
        assert self.market is not None
        due, self._awarded = self._awarded, []
        u = rng.random(len(due))
        a = state.agents
        init, cp, tau = [], [], []
        for (eid, worker, poster), draw in zip(due, u.tolist()):
            if frozen[worker]:
                self._dispute(state, eid, poster, "not delivered", None)
                continue
            e = self.market.escrows[eid]
            net = e.amount * (1.0 - self.config.escrow_fee_rate)
            pays = draw >= self._behaviour(a, poster).refuse
            self._delivering.append(_Delivery(eid, worker, poster, net, pays))
            init.append(worker)
            cp.append(poster)
            tau.append(-net if pays else 0.0)
        if not init:
            return None
        return ComponentWork(
            initiator=np.asarray(init, dtype=np.int64), counterparty=np.asarray(cp, dtype=np.int64),
            tau=np.asarray(tau, dtype=np.float64), itype=InteractionType.COLLABORATION, agreed=True,
        )  # fmt: skip

    def _accept_bids(self, state: EngineState, frozen: np.ndarray) -> None:
        assert self.market is not None
        a = state.agents
        for bounty_id, first in list(self._bid_step.items()):
            b = self.market.bounties[bounty_id]
            poster = self._poster[bounty_id]
            if first >= self._tick or frozen[poster]:
                continue
            bids = self.market.pending_bids(bounty_id)
            if not bids:
                continue
            price = np.array([x.proposed_amount for x in bids])
            rows = np.array([self._bidder[x.bid_id] for x in bids], dtype=np.int64)
            w = self.config.reputation_weight if self._behaviour(a, poster).by_reputation else 0.0
            score = (b.amount - price) / b.amount + w * np.tanh(a.reputation[rows])
            best = bids[int(np.argmax(score))]
            e = self.market.accept_bid(bounty_id, best.bid_id)
            del self._bid_step[bounty_id]
            self._awarded.append((e.escrow_id, self._bidder[best.bid_id], poster))
            self._add("bounties_filled", 1)
            state.emit(EventType.BID_ACCEPTED, poster, {
                "bounty": bounty_id, "bid": best.bid_id, "worker": e.to_agent, "escrow": e.escrow_id,
                "amount": e.amount,
            })  # fmt: skip

    def _post(self, state: EngineState, rng: np.random.Generator, acting: np.ndarray) -> None:
        assert self.market is not None
        a, cfg = state.agents, self.config
        n = acting.shape[0]
        u, r = rng.random(size=(n,)), rng.random(size=(n,))
        count = state.agent_array("market_bounties", np.int32, 0)
        limit = state.env.rate_limits.bounties_per_epoch
        limit = DEFAULT_BOUNTIES_PER_EPOCH if limit is None else limit
        # each acting row appears once in a step: the filters hold for the whole loop
        ok = (u < cfg.post_probability) & _POSTS[a.type_code[acting]] & (count[acting] < limit)
        for j in np.flatnonzero(ok).tolist():
            row = int(acting[j])
            beh = _BY_CODE[int(a.type_code[row])]
            lo, hi = cfg.reward_min * beh.reward_scale, cfg.reward_max * beh.reward_scale
            reward = max(lo + (hi - lo) * float(r[j]), cfg.min_bounty_amount)
            if reward <= 0 or a.resources[row] < reward:
                continue
            n_id = self.market.next_id("bounty")
            deadline = state.env.epoch + (beh.deadline or cfg.bid_deadline_epochs)
            self.market.post_bounty(Bounty(n_id, f"{n_id}_task", reward, a.ids[row], deadline))
            count[row] += 1
            self._poster[n_id] = row
            self._add("bounties_posted", 1)
            self._add("reward_sum", reward)
            state.emit(EventType.BOUNTY_POSTED, row, {"bounty": n_id, "amount": reward, "deadline": deadline})

    def _bid(self, state: EngineState, rng: np.random.Generator, acting: np.ndarray) -> None:
        assert self.market is not None
        a, cfg = state.agents, self.config
        n = acting.shape[0]
        u, pick, frac = (rng.random(size=(n,)) for _ in range(3))
        open_b = self.market.open_bounties()
        if not open_b:
            return
        reward = np.array([b.amount for b in open_b])
        by_reward = np.argsort(-reward, kind="stable").tolist()
        own: dict[int, list[int]] = {}  # poster row -> positions of its bounties in open_b (ascending)
        for k, b in enumerate(open_b):
            own.setdefault(self._poster[b.bounty_id], []).append(k)
        count = state.agent_array("market_bids", np.int32, 0)
        limit = state.env.rate_limits.bids_per_epoch
        limit = DEFAULT_BIDS_PER_EPOCH if limit is None else limit
        ok = (u < cfg.bid_probability) & _BIDS[a.type_code[acting]] & (count[acting] < limit)
        for j in np.flatnonzero(ok).tolist():
            row = int(acting[j])
            beh = _BY_CODE[int(a.type_code[row])]
            me = a.ids[row]
            mine = own.get(row, [])
            if len(mine) == len(open_b):
                continue
            b = open_b[self._target(by_reward, mine, float(pick[j]), beh.highest, len(open_b))]
            pending = self.market.pending_bids(b.bounty_id)
            if len(pending) >= cfg.max_bids_per_bounty or any(x.bidder_id == me for x in pending):
                continue
            price = b.amount * (beh.bid_low + (beh.bid_high - beh.bid_low) * float(frac[j]))
            bid = Bid(self.market.next_id("bid"), b.bounty_id, me, price)
            self.market.submit_bid(bid)
            count[row] += 1
            self._bidder[bid.bid_id] = row
            self._bid_step.setdefault(b.bounty_id, self._tick)
            self._add("bids_submitted", 1)
            state.emit(
                EventType.BID_SUBMITTED, row, {"bounty": b.bounty_id, "bid": bid.bid_id, "amount": price}
            )

    # --- helpers -------------------------------------------------------------------------------------
    @staticmethod
    def _target(by_reward: list[int], mine: list[int], pick: float, highest: bool, n: int) -> int:
        """The open bounty a bidder bids on, never one of its own (`mine`, ascending positions): the
        highest reward, or the int(pick x m)-th of the m others in posting order."""
        if highest:
            return next(k for k in by_reward if k not in mine)
        k = int(pick * (n - len(mine)))
        for o in mine:  # the k-th position that is not one of mine
            if o <= k:
                k += 1
            else:
                break
        return k

    def _dispute(self, state: EngineState, escrow_id: str, by: int, reason: str, p: float | None) -> None:
        assert self.market is not None
        d = self.market.file_dispute(escrow_id, state.agents.ids[by], reason, quality=p)
        self._add("disputes_filed", 1)
        payload: dict[str, Any] = {"dispute": d.dispute_id, "escrow": escrow_id, "reason": reason}
        if p is not None:
            payload["p"] = p
        state.emit(EventType.DISPUTE_FILED, by, payload)

    def _row(self, agent_id: str) -> int:
        assert self.market is not None
        ledger = self.market.ledger
        assert isinstance(ledger, AgentLedger)
        return ledger.row(agent_id)

    @staticmethod
    def _behaviour(agents: AgentTable, row: int) -> Behaviour:
        return TYPE_BEHAVIOUR.get(AgentType.from_code(int(agents.type_code[row])), _NONE)

    def _reset_epoch(self) -> None:
        self._m = {}

    def _add(self, key: str, value: float) -> None:
        self._m[key] = self._m.get(key, 0.0) + value
        if key in self._totals:
            self._totals[key] += value


def market_component(config: OrchestratorConfig) -> MarketComponent | None:
    """The run's marketplace, when its `marketplace:` block is there and enabled."""
    mc = config.market_config
    return MarketComponent(mc) if mc is not None and mc.enabled else None
