"""Seed 002's marketplace (section 2.1, `src/env/market.py`): bounties, bids, escrow, disputes and expiry.

The seed's names work as written: `Bounty(bounty_id, task_id, amount, poster_id, deadline)`,
`Bid(bid_id, bounty_id, bidder_id, proposed_amount)`, `Escrow(escrow_id, from_agent, to_agent, amount,
condition, released)` and `Marketplace.post_bounty(bounty)`, `submit_bid(bid)`, `accept_bid(bounty_id,
bid_id)`, `release_escrow(escrow_id)`; disputes as the reference implementation names them
(`file_dispute`, `resolve_dispute`, `auto_resolve_disputes`, `expire_bounties`), with its
`MarketplaceConfig` fields and meanings.

Money. The marketplace moves money between the accounts of a `Ledger` (a dict of balances when used alone,
the agents' `resources` in a run) and holds it meanwhile, so that at every moment

    sum of balances + money held (open bounties' rewards + held escrows) + fees collected = constant.

* `post_bounty` takes the reward from the poster's balance: the bounty holds it until awarded or expired.
* `accept_bid` turns the bounty into an `Escrow` of the bid's price (poster -> bidder) and gives the poster
  back the rest of the reward (reward - price).
* `release_escrow` pays it out: a fee `escrow_fee_rate * amount` to the marketplace, the rest to the worker
  (or, with `reimburse_poster=True`, back to the poster when the poster has paid the worker directly: the
  engine's delivery interaction carries the payment as its transfer, and the escrow funds it).
* `file_dispute` freezes a held escrow (it cannot be released); `resolve_dispute(d, worker_share)` pays the
  fee, then `worker_share` of the rest to the worker and the remainder to the poster: exactly the escrow.
  `auto_resolve_disputes(epoch)` settles those filed `dispute_resolution_epochs` ago or more, at the
  delivery's quality p when the dispute records one (`quality_rule=True`, distsafe's rule) or at
  `dispute_default_split` (the reference's rule).
* `expire_bounties(epoch)`: open bounties whose deadline has come give their reward back to the poster
  (when `auto_expire_bounties`).

Every operation checks everything before it changes anything: bad input (unknown ids, a negative, NaN or
too-small amount, a bid after the deadline or on a closed bounty, a bid of another bounty, a second release)
raises `MarketError` with one line, and leaves the marketplace and the balances as they were.

Length (over ~400 lines): the config, the seed's dataclasses and ten operations, each with the checks that
make it all-or-nothing: one concept, kept in one module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from pydantic import Field, model_validator

from distsafe.models.config_base import ConfigModel


class MarketError(ValueError):
    """A marketplace operation refused (one line); nothing was changed."""


class MarketplaceConfig(ConfigModel):
    """A scenario's `marketplace:` block (the reference implementation's fields and meanings) and
    `OrchestratorConfig.market_config`; the engine's scripted behaviour has its own knobs after them."""

    enabled: bool = True
    #: share of an escrow the marketplace keeps when it is released or a dispute over it is settled
    escrow_fee_rate: float = Field(default=0.02, ge=0, le=1)
    #: the smallest reward a bounty may offer
    min_bounty_amount: float = Field(default=1.0, ge=0)
    #: pending bids a bounty takes at most
    max_bids_per_bounty: int = Field(default=10, ge=1)
    #: epochs a bounty stays open for bids (its deadline is the posting epoch + this)
    bid_deadline_epochs: int = Field(default=3, ge=1)
    #: epochs after which an open dispute is settled automatically
    dispute_resolution_epochs: int = Field(default=2, ge=0)
    #: open bounties past their deadline expire (reward back to the poster)
    auto_expire_bounties: bool = True
    #: the worker's share of a disputed escrow when no delivery quality decides it
    dispute_default_split: float = Field(default=0.5, ge=0, le=1)
    # distsafe's settings (not in the reference's files): the settlement rule and the scripted agents'
    # behaviour in a run (core.parts.market)
    #: settle a dispute at the delivery's p (the probability that the delivered work is good) when there
    #: was a delivery; False: always at dispute_default_split, as the reference does
    quality_rule: bool = True
    #: per agent and step, the probability that a scripted agent that may post a bounty posts one
    post_probability: float = Field(default=0.05, ge=0, le=1)
    #: per agent and step, the probability that a scripted agent bids on an open bounty
    bid_probability: float = Field(default=0.3, ge=0, le=1)
    #: rewards of the bounties the scripted agents post are drawn uniformly from [reward_min, reward_max]
    reward_min: float = Field(default=5.0, ge=0)
    reward_max: float = Field(default=15.0, ge=0)
    #: weight of the bidder's reputation (tanh) against the price saving in an honest poster's choice of bid
    reputation_weight: float = Field(default=0.5, ge=0)

    @model_validator(mode="after")
    def _rewards(self) -> MarketplaceConfig:
        if self.reward_min > self.reward_max:
            raise ValueError(f"reward_min {self.reward_min} is above reward_max {self.reward_max}")
        return self


class BountyStatus(StrEnum):
    OPEN = "open"
    AWARDED = "awarded"
    COMPLETED = "completed"
    DISPUTED = "disputed"
    SETTLED = "settled"  # a dispute over its escrow was settled
    EXPIRED = "expired"


class BidStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class EscrowStatus(StrEnum):
    HELD = "held"
    DISPUTED = "disputed"
    RELEASED = "released"
    SETTLED = "settled"  # paid out by a dispute's settlement


@dataclass
class Bounty:
    """The seed's bounty: `amount` is the reward, `deadline` the epoch from which no bid is taken."""

    bounty_id: str
    task_id: str
    amount: float
    poster_id: str
    deadline: int
    status: BountyStatus = BountyStatus.OPEN
    created_epoch: int = 0
    escrow_id: str | None = None


@dataclass
class Bid:
    bid_id: str
    bounty_id: str
    bidder_id: str
    proposed_amount: float
    status: BidStatus = BidStatus.PENDING


@dataclass
class Escrow:
    """The seed's escrow: `amount` held from `from_agent` (the poster) for `to_agent` (the worker)."""

    escrow_id: str
    from_agent: str
    to_agent: str
    amount: float
    condition: str = "task_completed"
    released: bool = False
    bounty_id: str = ""
    status: EscrowStatus = EscrowStatus.HELD


@dataclass
class Dispute:
    dispute_id: str
    escrow_id: str
    filed_by: str
    filed_epoch: int
    reason: str = ""
    #: the delivery's p when there was a delivery (what `quality_rule` settles at), else None
    quality: float | None = None
    resolved: bool = False
    worker_share: float | None = None


@dataclass(frozen=True)
class Settlement:
    """Where an escrow's money went: worker + poster + fee == the escrow's amount."""

    escrow_id: str
    worker_id: str
    poster_id: str
    worker_amount: float
    poster_amount: float
    fee: float


class Ledger(Protocol):
    """Accounts the marketplace takes money from and pays into."""

    def has(self, agent_id: str) -> bool: ...
    def balance(self, agent_id: str) -> float: ...
    def add(self, agent_id: str, amount: float) -> None: ...


@dataclass
class DictLedger:
    """Balances by agent id (the marketplace used alone)."""

    balances: dict[str, float] = field(default_factory=dict)

    def has(self, agent_id: str) -> bool:
        return agent_id in self.balances

    def balance(self, agent_id: str) -> float:
        return self.balances[agent_id]

    def add(self, agent_id: str, amount: float) -> None:
        self.balances[agent_id] += amount


def _amount(what: str, value: object, *, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MarketError(f"{what} must be a finite number, not {value!r}")
    if value < 0 or (positive and value == 0):
        raise MarketError(f"{what} must be {'positive' if positive else 'non-negative'}, not {value!r}")
    return float(value)


class Marketplace:
    """Bounties, bids, escrows and disputes over the accounts of `ledger` (see the module's docstring).

    `epoch` is the marketplace's clock (bids need `epoch < deadline`); `set_epoch`, `expire_bounties` and
    `auto_resolve_disputes` move it on."""

    def __init__(
        self,
        config: MarketplaceConfig | None = None,
        ledger: Ledger | None = None,
        balances: dict[str, float] | None = None,
    ) -> None:
        if ledger is not None and balances is not None:
            raise MarketError("give a ledger or balances, not both")
        self.config = config or MarketplaceConfig()
        self.ledger: Ledger = ledger if ledger is not None else DictLedger(dict(balances or {}))
        self.epoch = 0
        self.bounties: dict[str, Bounty] = {}
        self.bids: dict[str, Bid] = {}
        self.escrows: dict[str, Escrow] = {}
        self.disputes: dict[str, Dispute] = {}
        self._bids_of: dict[str, list[str]] = {}
        self._dispute_of: dict[str, str] = {}  # escrow -> its dispute
        self._open: dict[str, Bounty] = {}  # the open bounties, in posting order
        self.fees_collected = 0.0
        self._n = 0  # ids made by the marketplace (`next_id`)

    # --- ids and money -------------------------------------------------------------------------------
    def next_id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}_{self._n}"

    def deposit(self, agent_id: str, amount: float) -> None:
        """Open `agent_id`'s account (DictLedger) or add to it."""
        amount = _amount("deposit", amount, positive=False)
        if not isinstance(self.ledger, DictLedger):
            raise MarketError("deposit: this marketplace's accounts are held outside it")
        self.ledger.balances[agent_id] = self.ledger.balances.get(agent_id, 0.0) + amount

    def held(self) -> float:
        """Money the marketplace holds: open bounties' rewards and unsettled escrows."""
        open_b = float(sum(b.amount for b in self._open.values()))
        return open_b + sum(
            e.amount for e in self.escrows.values() if e.status in (EscrowStatus.HELD, EscrowStatus.DISPUTED)
        )

    def set_epoch(self, epoch: int) -> None:
        if epoch < self.epoch:
            raise MarketError(f"the clock cannot go back from epoch {self.epoch} to {epoch}")
        self.epoch = int(epoch)

    def _agent(self, what: str, agent_id: str) -> None:
        if not self.ledger.has(agent_id):
            raise MarketError(f"{what}: unknown agent {agent_id!r}")

    def _bounty(self, bounty_id: str) -> Bounty:
        b = self.bounties.get(bounty_id)
        if b is None:
            raise MarketError(f"unknown bounty {bounty_id!r}")
        return b

    def _escrow(self, escrow_id: str) -> Escrow:
        e = self.escrows.get(escrow_id)
        if e is None:
            raise MarketError(f"unknown escrow {escrow_id!r}")
        return e

    # --- the seed's four operations ------------------------------------------------------------------
    def post_bounty(self, bounty: Bounty) -> None:
        """Open `bounty`, its reward taken from the poster's balance into the marketplace."""
        amount = _amount(f"bounty {bounty.bounty_id!r}: amount", bounty.amount)
        self._agent(f"bounty {bounty.bounty_id!r}", bounty.poster_id)
        if bounty.bounty_id in self.bounties:
            raise MarketError(f"bounty {bounty.bounty_id!r} exists already")
        if amount < self.config.min_bounty_amount:
            raise MarketError(f"bounty {bounty.bounty_id!r}: amount {amount} is below min_bounty_amount "
                              f"{self.config.min_bounty_amount}")  # fmt: skip
        if isinstance(bounty.deadline, bool) or not isinstance(bounty.deadline, int):
            raise MarketError(f"bounty {bounty.bounty_id!r}: deadline must be an epoch (int)")
        if bounty.deadline <= self.epoch:
            raise MarketError(f"bounty {bounty.bounty_id!r}: deadline {bounty.deadline} is not after epoch "
                              f"{self.epoch}")  # fmt: skip
        have = self.ledger.balance(bounty.poster_id)
        if have < amount:
            raise MarketError(
                f"bounty {bounty.bounty_id!r}: {bounty.poster_id!r} has {have:g}, not {amount:g}"
            )
        self.ledger.add(bounty.poster_id, -amount)
        bounty.amount, bounty.status, bounty.created_epoch = amount, BountyStatus.OPEN, self.epoch
        self.bounties[bounty.bounty_id] = bounty
        self._open[bounty.bounty_id] = bounty
        self._bids_of[bounty.bounty_id] = []

    def submit_bid(self, bid: Bid) -> None:
        """Bid on an open bounty before its deadline: not the poster's own, at most one pending bid per
        bidder, at most `max_bids_per_bounty` pending, a price in (0, reward]."""
        b = self._bounty(bid.bounty_id)
        price = _amount(f"bid {bid.bid_id!r}: proposed_amount", bid.proposed_amount)
        self._agent(f"bid {bid.bid_id!r}", bid.bidder_id)
        if bid.bid_id in self.bids:
            raise MarketError(f"bid {bid.bid_id!r} exists already")
        if b.status is not BountyStatus.OPEN:
            raise MarketError(f"bid {bid.bid_id!r}: bounty {b.bounty_id!r} is {b.status.value}")
        if self.epoch >= b.deadline:
            raise MarketError(f"bid {bid.bid_id!r}: bounty {b.bounty_id!r}'s deadline (epoch {b.deadline}) "
                              f"has passed (epoch {self.epoch})")  # fmt: skip
        if bid.bidder_id == b.poster_id:
            raise MarketError(f"bid {bid.bid_id!r}: {bid.bidder_id!r} cannot bid on its own bounty")
        if price > b.amount:
            raise MarketError(f"bid {bid.bid_id!r}: {price:g} is above the reward {b.amount:g}")
        pending = [
            self.bids[i] for i in self._bids_of[b.bounty_id] if self.bids[i].status is BidStatus.PENDING
        ]
        if len(pending) >= self.config.max_bids_per_bounty:
            raise MarketError(f"bid {bid.bid_id!r}: bounty {b.bounty_id!r} has max_bids_per_bounty "
                              f"({self.config.max_bids_per_bounty}) bids")  # fmt: skip
        if any(p.bidder_id == bid.bidder_id for p in pending):
            raise MarketError(f"bid {bid.bid_id!r}: {bid.bidder_id!r} has a pending bid on {b.bounty_id!r}")
        bid.proposed_amount, bid.status = price, BidStatus.PENDING
        self.bids[bid.bid_id] = bid
        self._bids_of[b.bounty_id].append(bid.bid_id)

    def accept_bid(self, bounty_id: str, bid_id: str) -> Escrow:
        """The poster takes `bid_id` (a pending bid of this bounty): an escrow of its price, the rest of the
        reward back to the poster, the other bids rejected."""
        b = self._bounty(bounty_id)
        bid = self.bids.get(bid_id)
        if bid is None:
            raise MarketError(f"unknown bid {bid_id!r}")
        if bid.bounty_id != bounty_id:
            raise MarketError(f"bid {bid_id!r} is a bid on {bid.bounty_id!r}, not on {bounty_id!r}")
        if b.status is not BountyStatus.OPEN:
            raise MarketError(f"bounty {bounty_id!r} is {b.status.value}")
        if bid.status is not BidStatus.PENDING:
            raise MarketError(f"bid {bid_id!r} is {bid.status.value}")
        escrow = Escrow(self.next_id("escrow"), b.poster_id, bid.bidder_id, bid.proposed_amount,
                        bounty_id=bounty_id)  # fmt: skip
        self.ledger.add(b.poster_id, b.amount - bid.proposed_amount)
        self.escrows[escrow.escrow_id] = escrow
        b.status, b.escrow_id = BountyStatus.AWARDED, escrow.escrow_id
        del self._open[bounty_id]
        bid.status = BidStatus.ACCEPTED
        for other in self._bids_of[bounty_id]:
            if self.bids[other].status is BidStatus.PENDING:
                self.bids[other].status = BidStatus.REJECTED
        return escrow

    def release_escrow(self, escrow_id: str, *, reimburse_poster: bool = False) -> Settlement:
        """Pay a held escrow out: the fee to the marketplace, the rest to the worker (or back to the poster
        with `reimburse_poster`, when the poster has paid the worker that much directly). Once only; not
        while disputed."""
        e = self._escrow(escrow_id)
        if e.status is EscrowStatus.DISPUTED:
            raise MarketError(f"escrow {escrow_id!r} is disputed; a settlement pays it out")
        if e.status is not EscrowStatus.HELD:
            raise MarketError(f"escrow {escrow_id!r} was paid out already ({e.status.value})")
        fee = e.amount * self.config.escrow_fee_rate
        net = e.amount - fee
        self.ledger.add(e.from_agent if reimburse_poster else e.to_agent, net)
        self.fees_collected += fee
        e.released, e.status = True, EscrowStatus.RELEASED
        self.bounties[e.bounty_id].status = BountyStatus.COMPLETED
        worker, poster = (0.0, net) if reimburse_poster else (net, 0.0)
        return Settlement(escrow_id, e.to_agent, e.from_agent, worker, poster, fee)

    # --- disputes and expiry (the reference's names) -------------------------------------------------
    def file_dispute(
        self, escrow_id: str, filed_by: str, reason: str = "", quality: float | None = None
    ) -> Dispute:
        """Dispute a held escrow (by its poster or worker); `quality`: the delivery's p, if delivered."""
        e = self._escrow(escrow_id)
        if filed_by not in (e.from_agent, e.to_agent):
            raise MarketError(f"escrow {escrow_id!r}: {filed_by!r} is neither its poster nor its worker")
        if e.status is not EscrowStatus.HELD:
            raise MarketError(f"escrow {escrow_id!r} is {e.status.value}; only a held escrow is disputed")
        if quality is not None:
            quality = _amount("dispute quality", quality, positive=False)
            if quality > 1:
                raise MarketError(f"dispute quality must be in [0, 1], not {quality}")
        d = Dispute(self.next_id("dispute"), escrow_id, filed_by, self.epoch, str(reason), quality)
        self.disputes[d.dispute_id] = d
        self._dispute_of[escrow_id] = d.dispute_id
        e.status = EscrowStatus.DISPUTED
        self.bounties[e.bounty_id].status = BountyStatus.DISPUTED
        return d

    def resolve_dispute(self, dispute_id: str, worker_share: float) -> Settlement:
        """Settle a dispute: the fee to the marketplace, `worker_share` (in [0, 1]) of the rest to the
        worker, the remainder to the poster."""
        d = self.disputes.get(dispute_id)
        if d is None:
            raise MarketError(f"unknown dispute {dispute_id!r}")
        share = _amount("worker_share", worker_share, positive=False)
        if share > 1:
            raise MarketError(f"worker_share must be in [0, 1], not {share}")
        if d.resolved:
            raise MarketError(f"dispute {dispute_id!r} was settled already")
        e = self.escrows[d.escrow_id]
        fee = e.amount * self.config.escrow_fee_rate
        net = e.amount - fee
        to_worker = net * share
        to_poster = net - to_worker
        self.ledger.add(e.to_agent, to_worker)
        self.ledger.add(e.from_agent, to_poster)
        self.fees_collected += fee
        d.resolved, d.worker_share = True, share
        e.status = EscrowStatus.SETTLED
        self.bounties[e.bounty_id].status = BountyStatus.SETTLED
        return Settlement(e.escrow_id, e.to_agent, e.from_agent, to_worker, to_poster, fee)

    def settlement_share(self, dispute: Dispute) -> float:
        """The worker's share an automatic settlement pays: the delivery's p under `quality_rule` when the
        dispute has one, else `dispute_default_split`."""
        if self.config.quality_rule and dispute.quality is not None:
            return dispute.quality
        return self.config.dispute_default_split

    def auto_resolve_disputes(self, epoch: int) -> list[tuple[Dispute, Settlement]]:
        """Settle the open disputes filed `dispute_resolution_epochs` or more before `epoch` (in filing
        order), each at `settlement_share`."""
        self.set_epoch(epoch)
        wait = self.config.dispute_resolution_epochs
        due = [d for d in self.disputes.values() if not d.resolved and epoch - d.filed_epoch >= wait]
        return [(d, self.resolve_dispute(d.dispute_id, self.settlement_share(d))) for d in due]

    def expire_bounties(self, epoch: int) -> list[Bounty]:
        """With `auto_expire_bounties`: open bounties whose deadline is `epoch` or earlier expire, their
        reward back to the poster and their pending bids rejected (in posting order)."""
        self.set_epoch(epoch)
        if not self.config.auto_expire_bounties:
            return []
        out = [b for b in self._open.values() if b.deadline <= epoch]
        for b in out:
            b.status = BountyStatus.EXPIRED
            del self._open[b.bounty_id]
            self.ledger.add(b.poster_id, b.amount)
            for i in self._bids_of[b.bounty_id]:
                if self.bids[i].status is BidStatus.PENDING:
                    self.bids[i].status = BidStatus.REJECTED
        return out

    # --- views ---------------------------------------------------------------------------------------
    def open_bounties(self) -> list[Bounty]:
        """Bounties taking bids now (open, deadline not reached), in posting order."""
        return [b for b in self._open.values() if self.epoch < b.deadline]

    def pending_bids(self, bounty_id: str) -> list[Bid]:
        return [self.bids[i] for i in self._bids_of[self._bounty(bounty_id).bounty_id]
                if self.bids[i].status is BidStatus.PENDING]  # fmt: skip

    def dispute_of(self, escrow_id: str) -> Dispute | None:
        d = self._dispute_of.get(escrow_id)
        return self.disputes[d] if d is not None else None

    def get_stats(self) -> dict[str, float]:
        """Counts and totals (the reference's `get_stats`, flat)."""
        by = {s: 0 for s in BountyStatus}
        for b in self.bounties.values():
            by[b.status] += 1
        out: dict[str, float] = {
            "total_bounties": len(self.bounties),
            "total_bids": len(self.bids),
            "total_escrows": len(self.escrows),
            "total_disputes": len(self.disputes),
            "total_reward_posted": sum(b.amount for b in self.bounties.values()),
            "money_held": self.held(),
            "fees_collected": self.fees_collected,
        }
        out.update({f"bounties_{s.value}": float(n) for s, n in by.items()})
        return out
