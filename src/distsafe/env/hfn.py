"""Seed 003's high-frequency negotiation: a columnar order book cleared in batches, latency noise,
price-time priority, a flash-crash detector and the circuit breaker that halts the market.

The book is two sets of numpy columns (bids, asks: account, remaining quantity, limit price, effective
arrival time, sequence number). Every `batch_interval_ticks` ticks the book clears in one vectorized pass:
each side is sorted by price, then by effective arrival time (submission time + the order's own latency +
uniform noise in [0, latency_noise_ms]) when `priority_by_speed`, else by submission order; the cumulative
quantities of the two sides are merged into segments, each segment one fill between one bid and one ask,
and a segment trades while its bid's limit is at or above its ask's limit, at the midpoint of the pair
(the seed's "cleared at midpoint price"). No Python loop runs per order.

Ledger: quantities and cash are held as int64 micro-units (`SCALE` per unit), so a fill moves exactly the
same integer amount out of one account and into another: assets and cash are conserved exactly. An order
reserves what it may spend (a bid: ceil(quantity x limit) of cash; an ask: its quantity of the resource);
an order that needs more than the agent's free (unreserved) cash or holding is refused, never capped
(`submit_orders` admits one agent's orders of a call in order until its free balance runs out). A fill
pays floor(quantity x midpoint) <= quantity x bid limit, so no account goes negative.

Bad orders (zero, negative or non-finite quantity or price, unknown order type, unknown agent, another
resource) raise `HFNOrderError` with one line and change nothing. Orders refused by the market's rules
(halted, over the per-tick rate limit, not enough free cash or holding) are counted, not raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ConfigDict, Field

from distsafe.env.fairness import gini_coefficient as gini
from distsafe.env.hfn_book import Book, Fills, clear_book
from distsafe.env.hfn_crash import FlashCrashDetector, FlashCrashEvent
from distsafe.models.config_base import ConfigModel

#: micro-units per unit of the resource and per unit of cash
SCALE = 1_000_000
#: the largest quantity (units) and price (cash per unit) an order may carry: their product in
#: micro-units stays far below int64's range
MAX_QUANTITY = 1e6
MAX_PRICE = 1e6
ORDER_TYPES = ("bid", "ask", "cancel")
__all__ = [
    "FlashCrashDetector",
    "FlashCrashEvent",
    "HFNConfig",
    "HFNEngine",
    "HFNOrder",
    "HFNOrderError",
    "HFNTick",
]


class HFNOrderError(ValueError):
    """A malformed order (one line); the book and the accounts are left as they were."""


class HFNConfig(ConfigModel):
    """The seed's HFN configuration, the flash-crash detector's parameters and the standalone accounts."""

    model_config = ConfigDict(extra="forbid")

    tick_duration_ms: float = Field(default=100.0, gt=0)
    max_orders_per_tick: int = Field(default=10, ge=1)
    latency_noise_ms: float = Field(default=10.0, ge=0)
    priority_by_speed: bool = True
    batch_interval_ticks: int = Field(default=5, ge=1)
    halt_duration_ticks: int = Field(default=20, ge=1)
    #: the market price before the first trade
    initial_price: float = Field(default=1.0, gt=0, le=MAX_PRICE)
    # the flash-crash detector (seed's "Flash Crash Detection" table)
    price_drop_threshold: float = Field(default=0.1, gt=0, lt=1)
    window_ticks: int = Field(default=10, ge=2)
    volume_spike_factor: float = Field(default=3.0, ge=0)
    #: True: a detected crash halts the market for halt_duration_ticks; False: detected and recorded only
    circuit_breaker: bool = True
    #: standalone use (the seed's Quick Start): an agent id seen for the first time opens an account with
    #: default_cash and default_inventory; False: only `register_agents` opens accounts
    open_accounts: bool = True
    default_cash: float = Field(default=100.0, ge=0, le=1e9)
    default_inventory: float = Field(default=10.0, ge=0, le=1e9)


@dataclass
class HFNOrder:
    """One order: "bid" (buy), "ask" (sell) or "cancel" (all of the agent's resting orders)."""

    agent_id: str = ""
    order_type: str = "bid"
    resource_type: str = ""
    quantity: float = 0.0
    price: float = 0.0
    #: submission time within the current tick, ms from its start, in [0, tick_duration_ms)
    timestamp_ms: float = 0.0
    #: the agent's own latency (ms); the engine adds uniform noise in [0, latency_noise_ms]
    latency_ms: float = 0.0
    #: set by the engine when the order is accepted (its sequence number)
    order_id: int = -1


@dataclass
class HFNTick:
    """The market at the end of one tick."""

    tick_number: int = 0
    orders_submitted: int = 0
    orders_rejected: int = 0
    orders_cancelled: int = 0
    orders_executed: int = 0  # fills (one bid against one ask)
    volume: float = 0.0  # units traded this tick
    market_price: float = 1.0  # the last clearing's volume-weighted midpoint price
    bid_ask_spread: float = 0.0  # best ask - best bid after the tick (0 when a side is empty or crossed)
    volatility: float = 0.0
    halted: bool = False  # the market was halted during this tick (no clearing, no new orders)
    crash: bool = False  # a flash crash was detected at this tick

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class HFNEngine:
    """The order book of one resource, its accounts, the clock, the detector and the circuit breaker."""

    def __init__(
        self,
        config: HFNConfig | None = None,
        seed: int | np.random.Generator | None = None,
        resource: str = "",
    ) -> None:
        """`seed`: an int, or a numpy Generator to draw the latency noise from (a run's `hfn` stream)."""
        self.config = config if config is not None else HFNConfig()
        c = self.config
        self.detector = FlashCrashDetector(c.price_drop_threshold, c.window_ticks, c.volume_spike_factor)
        self.rng = np.random.default_rng(seed)
        self.resource = resource  # "" until the first order names it
        self.current_tick = 0
        self.market_price = float(c.initial_price)
        self.halted = False
        self.halt_until = 0
        self.halted_ticks = 0
        self.bids, self.asks = Book(), Book()
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        z = np.zeros(0, dtype=np.int64)
        self.cash, self.inv, self.cash_held, self.inv_held = z.copy(), z.copy(), z.copy(), z.copy()
        self.tick_orders = z.copy()  # orders (cancels included) this tick, per account
        self.submitted_qty = z.copy()  # bid/ask quantity ever submitted, per account
        self.filled_qty = z.copy()
        self.seq = 0
        self.last_fills = Fills.empty()
        self.trades_total = 0
        self.volume_total = 0
        self._tick = HFNTick(tick_number=0, market_price=self.market_price)
        self.history: list[HFNTick] = []

    # accounts ---------------------------------------------------------------------------------------
    def register_agents(self, ids: list[str], cash: Any, inventory: Any) -> np.ndarray:
        """Open accounts (cash and holding in units, scalars or one per id); returns their indices."""
        cash_u = _to_micro(np.broadcast_to(np.asarray(cash, dtype=np.float64), (len(ids),)), "cash")
        inv_u = _to_micro(np.broadcast_to(np.asarray(inventory, dtype=np.float64), (len(ids),)), "inventory")
        dup = [i for i in ids if i in self.index] or ([] if len(set(ids)) == len(ids) else ids)
        if dup:
            raise HFNOrderError(f"agent {dup[0]!r} already has an account")
        start = len(self.ids)
        self.ids.extend(ids)
        self.index.update({a: start + k for k, a in enumerate(ids)})
        zeros = np.zeros(len(ids), dtype=np.int64)
        self.cash, self.inv = np.concatenate([self.cash, cash_u]), np.concatenate([self.inv, inv_u])
        self.cash_held = np.concatenate([self.cash_held, zeros])
        self.inv_held = np.concatenate([self.inv_held, zeros])
        self.tick_orders = np.concatenate([self.tick_orders, zeros])
        self.submitted_qty = np.concatenate([self.submitted_qty, zeros])
        self.filled_qty = np.concatenate([self.filled_qty, zeros])
        return np.arange(start, start + len(ids))

    def balances(self, agent_id: str) -> tuple[float, float]:
        """(cash, holding) of an agent, in units."""
        k = self.index[agent_id]
        return float(self.cash[k]) / SCALE, float(self.inv[k]) / SCALE

    def free_cash(self) -> np.ndarray:
        """Each account's cash not reserved by its resting bids (units)."""
        return (self.cash - self.cash_held) / SCALE

    def free_inventory(self) -> np.ndarray:
        return (self.inv - self.inv_held) / SCALE

    # orders -----------------------------------------------------------------------------------------
    def submit_order(self, order: HFNOrder) -> bool:
        """One order (the seed's API): True if it rests on the book (or the cancel was applied); False if
        the market refused it (halted, rate limit, not enough free cash or holding)."""
        if order.order_type not in ORDER_TYPES:
            raise HFNOrderError(f"order type {order.order_type!r} is not one of {', '.join(ORDER_TYPES)}")
        if order.resource_type and self.resource and order.resource_type != self.resource:
            raise HFNOrderError(f"this market trades {self.resource!r}, not {order.resource_type!r}")
        if order.agent_id not in self.index and not self.config.open_accounts:
            raise HFNOrderError(f"unknown agent {order.agent_id!r}")
        if order.order_type == "cancel":
            idx = np.array([self.index[order.agent_id]]) if order.agent_id in self.index else np.zeros(0, int)
            return bool(self.cancel(idx).all()) if idx.size else True
        side = 1 if order.order_type == "bid" else -1
        _check_orders(np.array([order.quantity]), np.array([order.price]), self.config,
                      np.array([order.timestamp_ms]), np.array([order.latency_ms]))  # fmt: skip
        if order.agent_id not in self.index:
            c = self.config
            self.register_agents([order.agent_id], c.default_cash, c.default_inventory)
        if not self.resource:
            self.resource = order.resource_type
        ok = self.submit_orders(
            np.array([self.index[order.agent_id]]), np.array([side]), np.array([order.quantity]),
            np.array([order.price]), np.array([order.latency_ms]), np.array([order.timestamp_ms]),
        )  # fmt: skip
        if ok[0]:
            order.order_id = self.seq - 1
        return bool(ok[0])

    def submit_orders(
        self, agent: Any, side: Any, quantity: Any, price: Any, latency_ms: Any = 0.0, timestamp_ms: Any = 0.0
    ) -> np.ndarray:
        """Many orders at once (side +1 bid, -1 ask): the vectorized path. Returns which were accepted;
        raises HFNOrderError (nothing applied) if any order is malformed."""
        agent = np.asarray(agent, dtype=np.int64).ravel()
        n = agent.shape[0]
        side = np.broadcast_to(np.asarray(side), (n,))
        q = np.broadcast_to(np.asarray(quantity, dtype=np.float64), (n,))
        px = np.broadcast_to(np.asarray(price, dtype=np.float64), (n,))
        lat = np.broadcast_to(np.asarray(latency_ms, dtype=np.float64), (n,))
        ts = np.broadcast_to(np.asarray(timestamp_ms, dtype=np.float64), (n,))
        if n == 0:
            return np.zeros(0, dtype=bool)
        if agent.min() < 0 or agent.max() >= len(self.ids):
            bad = int(agent[(agent < 0) | (agent >= len(self.ids))][0])
            raise HFNOrderError(f"unknown agent index {bad} (the market has {len(self.ids)} accounts)")
        if not np.isin(side, (1, -1)).all():
            raise HFNOrderError("order side must be +1 (bid) or -1 (ask)")
        _check_orders(q, px, self.config, ts, lat)
        qu = np.rint(q * SCALE).astype(np.int64)
        if self.halted:
            self._tick.orders_submitted += n
            self._tick.orders_rejected += n
            return np.zeros(n, dtype=bool)
        bid = side == 1
        need = np.where(bid, np.ceil(qu * px).astype(np.int64), qu)
        # one agent's orders in call order: an order is admitted while the agent's rank of it is within the
        # rate limit and the running total of what its orders of that side reserve fits its free balance
        idx = np.arange(n)
        by_agent = np.argsort(agent, kind="stable")
        a_s = agent[by_agent]
        a_start = np.r_[True, a_s[1:] != a_s[:-1]]
        rank = np.empty(n, dtype=np.int64)
        rank[by_agent] = idx - np.repeat(np.flatnonzero(a_start), np.diff(np.r_[np.flatnonzero(a_start), n]))
        order = np.argsort(agent * 2 + (~bid), kind="stable")  # by agent, bids first, call order
        a_s, bid_s, need_s = agent[order], bid[order], need[order]
        grp_start = np.r_[True, (a_s[1:] != a_s[:-1]) | (bid_s[1:] != bid_s[:-1])]
        run = np.cumsum(need_s)
        run -= np.repeat(run[grp_start] - need_s[grp_start], np.diff(np.r_[np.flatnonzero(grp_start), n]))
        free = np.where(bid_s, self.cash[a_s] - self.cash_held[a_s], self.inv[a_s] - self.inv_held[a_s])
        ok_s = (run <= free) & (rank[order] < self.config.max_orders_per_tick - self.tick_orders[a_s])
        ok = np.empty(n, dtype=bool)
        ok[order] = ok_s
        np.add.at(self.tick_orders, agent, 1)
        self._tick.orders_submitted += n
        self._tick.orders_rejected += int(n - ok.sum())
        sel = np.flatnonzero(ok)
        if sel.size == 0:
            return ok
        now = self.current_tick * self.config.tick_duration_ms + ts[sel]
        eff = now + lat[sel] + self.rng.uniform(0.0, self.config.latency_noise_ms, sel.size)
        seqs = np.arange(self.seq, self.seq + sel.size, dtype=np.int64)
        self.seq += sel.size
        for book, m in ((self.bids, bid[sel]), (self.asks, ~bid[sel])):
            if m.any():
                book.add(agent[sel][m], qu[sel][m], px[sel][m], eff[m], seqs[m])
        np.add.at(self.cash_held, agent[sel][bid[sel]], need[sel][bid[sel]])
        np.add.at(self.inv_held, agent[sel][~bid[sel]], need[sel][~bid[sel]])
        np.add.at(self.submitted_qty, agent[sel], qu[sel])
        return ok

    def cancel(self, agent: Any) -> np.ndarray:
        """Cancel every resting order of these accounts (each cancel counts against the rate limit);
        returns which cancels were applied. Cancels are allowed while the market is halted."""
        agent = np.asarray(agent, dtype=np.int64).ravel()
        if agent.size and (agent.min() < 0 or agent.max() >= len(self.ids)):
            raise HFNOrderError(f"unknown agent index (the market has {len(self.ids)} accounts)")
        ok = self.tick_orders[agent] < self.config.max_orders_per_tick
        np.add.at(self.tick_orders, agent, 1)
        self._tick.orders_submitted += agent.size
        self._tick.orders_rejected += int(agent.size - ok.sum())
        who = np.zeros(len(self.ids), dtype=bool)
        who[agent[ok]] = True
        self._tick.orders_cancelled += self.bids.drop(who) + self.asks.drop(who)
        self._reserve()
        return ok

    def _reserve(self) -> None:
        self.cash_held = self.bids.held(len(self.ids), bids=True)
        self.inv_held = self.asks.held(len(self.ids), bids=False)

    # the clock --------------------------------------------------------------------------------------
    def process_tick(self) -> HFNTick:
        """End the current tick: clear the book at batch ticks (unless halted), detect crashes, halt or
        resume; returns the tick's record and starts the next tick."""
        c, t = self.config, self._tick
        self.current_tick += 1
        t.tick_number = self.current_tick
        if self.halted and self.current_tick >= self.halt_until:
            self.halted = False
        t.halted = self.halted
        self.last_fills = Fills.empty()
        if not self.halted and self.current_tick % c.batch_interval_ticks == 0:
            self._clear()
        if self.halted:
            self.halted_ticks += 1
        bb, ba = self.bids.best(1), self.asks.best(-1)
        t.bid_ask_spread = max(0.0, ba - bb) if self.bids.n and self.asks.n else 0.0
        t.market_price = self.market_price
        t.volatility = self.detector.volatility()
        crash = self.detector.update(self.current_tick, self.market_price, t.volume, self._sellers())
        if crash is not None:
            t.crash = True
            if c.circuit_breaker:
                self.halt(c.halt_duration_ticks)
        self.history.append(t)
        self.tick_orders[:] = 0
        self._tick = HFNTick(tick_number=self.current_tick + 1, market_price=self.market_price)
        return t

    def _clear(self) -> None:
        f = clear_book(self.bids, self.asks, self.config.priority_by_speed)
        if f.n == 0:
            return
        # pay: floor(q x midpoint) micro-units, never more than a buyer holds
        pay = np.floor(f.qty * f.price).astype(np.int64)
        spent = np.bincount(f.buyer, pay, minlength=len(self.ids)).astype(np.int64)
        over = np.maximum(spent - self.cash, 0)
        if over.any():  # float rounding at the very top of the range: take it off the buyer's last fill
            last = np.full(len(self.ids), -1)
            np.maximum.at(last, f.buyer, np.arange(f.n))
            who = np.flatnonzero(over)
            pay[last[who]] -= over[who]
        f.pay = pay
        np.subtract.at(self.cash, f.buyer, pay)
        np.add.at(self.cash, f.seller, pay)
        np.add.at(self.inv, f.buyer, f.qty)
        np.subtract.at(self.inv, f.seller, f.qty)
        np.add.at(self.filled_qty, f.buyer, f.qty)
        np.add.at(self.filled_qty, f.seller, f.qty)
        self._reserve()
        vol = int(f.qty.sum())
        self.market_price = float(np.dot(f.qty.astype(np.float64), f.price) / vol)
        self.last_fills = f
        self.trades_total += f.n
        self.volume_total += vol
        self._tick.orders_executed = f.n
        self._tick.volume = vol / SCALE

    def _sellers(self, top: int = 5) -> list[str]:
        f = self.last_fills
        if f.n == 0:
            return []
        tot = np.bincount(f.seller, f.qty)
        return [self.ids[int(k)] for k in np.argsort(-tot, kind="stable")[:top] if tot[k] > 0]

    def halt(self, duration_ticks: int | None = None) -> None:
        """Halt the market (no clearing, no new bids or asks) for `duration_ticks` ticks."""
        self.halted = True
        self.halt_until = self.current_tick + 1 + int(duration_ticks or self.config.halt_duration_ticks)

    # reports ----------------------------------------------------------------------------------------
    @property
    def is_halted(self) -> bool:
        return self.halted

    def get_tick_history(self) -> list[HFNTick]:
        return list(self.history)

    def get_crash_history(self) -> list[FlashCrashEvent]:
        return self.detector.get_crash_history()

    def get_order_book_depth(self) -> dict[str, float]:
        return {
            "bids": self.bids.n,
            "asks": self.asks.n,
            "total_bid_volume": float(self.bids.qty.sum()) / SCALE,
            "total_ask_volume": float(self.asks.qty.sum()) / SCALE,
        }

    def speed_advantage_gini(self) -> float:
        """Gini, over the agents that submitted bids or asks, of the share of their submitted quantity that
        was filled: 0 when every agent's orders fill alike; near 1 when a few (the fastest, under
        price-time priority) take the fills. 0 before any order."""
        who = self.submitted_qty > 0
        if not who.any():
            return 0.0
        return gini(self.filled_qty[who] / self.submitted_qty[who])


def _to_micro(x: np.ndarray, what: str) -> np.ndarray:
    if not np.isfinite(x).all() or (x < 0).any() or (x > 1e9).any():
        raise HFNOrderError(f"{what} must be finite and in [0, 1e9]")
    return np.rint(x * SCALE).astype(np.int64)


def _check_orders(q: np.ndarray, px: np.ndarray, c: HFNConfig, ts: np.ndarray, lat: np.ndarray) -> None:
    """Raise HFNOrderError naming the first malformed value."""
    for name, v, hi in (("quantity", q, MAX_QUANTITY), ("price", px, MAX_PRICE)):
        bad = ~(np.isfinite(v) & (v > 0) & (v <= hi))
        if bad.any():
            raise HFNOrderError(f"{name} {float(v[bad][0])!r} must be a finite number in (0, {hi:g}]")
    small = np.rint(q * SCALE) < 1
    if small.any():
        raise HFNOrderError(f"quantity {float(q[small][0])!r} is below the smallest lot, 1e-6")
    bad = ~(np.isfinite(ts) & (ts >= 0) & (ts < c.tick_duration_ms))
    if bad.any():
        raise HFNOrderError(f"timestamp_ms {float(ts[bad][0])!r} must be in [0, {c.tick_duration_ms:g})")
    bad = ~(np.isfinite(lat) & (lat >= 0) & (lat <= 1e9))
    if bad.any():
        raise HFNOrderError(f"latency_ms {float(lat[bad][0])!r} must be a finite number >= 0")
