"""The order book inside a run: the `hfn:` section (`HFNRunConfig`) and the scripted traders
(`HFNTraders`), vectorized over agents, that `core.parts.hfn` drives each tick.

Strategies (one code per trading agent; every number below is a per-population setting):

  market_maker   quotes around an anchor A = w F + (1 - w) P (F the fundamental value, P the last price):
                 a bid at A (1 - spread) and an ask at A (1 + spread), replacing its previous quotes
  value          trades toward its own estimate of the value, V = F (1 + noise e) with e ~ N(0, 1) drawn
                 anew each time it acts: when P < V (1 - threshold) it bids its limit V (1 - threshold),
                 when P > V (1 + threshold) it asks V (1 + threshold); the dispersion of the
                 estimates is what makes value traders trade with each other and with the market makers
  momentum       follows the last `lookback_ticks` return r: sells at P (1 - aggression) when r < -threshold,
                 buys at P (1 + aggression) when r > threshold
  fast_trader    a market maker with low latency and a tight spread, except from run tick `dump_tick` for
                 `dump_ticks` ticks, when it sells `dump_fraction` of its free holding each tick in
                 `order_rate` orders at P (1 - dump_depth): the dump that can set off a flash crash
  none           does not trade

Each acting agent first cancels its resting orders, then sizes its orders to what it holds: a bid to its
free cash, an ask to its free holding (so the book's funds check refuses nothing a strategy sends on
purpose). An agent acts in a tick with probability `activity` (fast traders: every tick).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import numpy as np
from pydantic import ConfigDict, Field, field_validator, model_validator

from distsafe.env.hfn import MAX_PRICE, SCALE, HFNConfig, HFNEngine
from distsafe.models.agent import AgentType
from distsafe.models.config_base import ConfigModel

_TYPES = tuple(t.value for t in AgentType)


def _known_type(t: str) -> None:
    if t not in _TYPES:
        raise ValueError(f"unknown agent type {t!r}; known: {', '.join(_TYPES)}")


class HFNStrategy(StrEnum):
    MARKET_MAKER = "market_maker"
    VALUE = "value"
    MOMENTUM = "momentum"
    FAST_TRADER = "fast_trader"
    NONE = "none"


_CODES = {s: k for k, s in enumerate(HFNStrategy)}

#: each strategy's settings when a population does not give them
DEFAULTS: dict[HFNStrategy, dict[str, float]] = {
    HFNStrategy.MARKET_MAKER: {"latency_ms": 5.0, "activity": 0.5, "quantity": 1.0, "spread": 0.02},
    HFNStrategy.VALUE: {"latency_ms": 8.0, "activity": 0.3, "quantity": 1.0, "threshold": 0.01},
    HFNStrategy.MOMENTUM: {"latency_ms": 3.0, "activity": 0.5, "quantity": 1.0, "threshold": 0.03},
    HFNStrategy.FAST_TRADER: {"latency_ms": 0.2, "activity": 1.0, "quantity": 2.0, "spread": 0.005},
    HFNStrategy.NONE: {},
}
_COMMON: dict[str, float] = {
    "latency_ms": 5.0, "activity": 0.5, "quantity": 1.0, "spread": 0.02, "anchor_weight": 0.5,
    "threshold": 0.03, "noise": 0.03, "lookback_ticks": 5, "aggression": 0.05, "order_rate": 5,
    "dump_tick": -1, "dump_ticks": 20, "dump_fraction": 0.5, "dump_depth": 0.5,
}  # fmt: skip
PARAMS = tuple(_COMMON)

#: which agent types trade, and how, when no population entry names them
DEFAULT_BY_TYPE: dict[str, HFNStrategy] = {
    "honest": HFNStrategy.MARKET_MAKER,
    "opportunistic": HFNStrategy.MOMENTUM,
    "deceptive": HFNStrategy.MOMENTUM,
    "adversarial": HFNStrategy.FAST_TRADER,
    "adaptive_adversary": HFNStrategy.FAST_TRADER,
}


class HFNPopulation(ConfigModel):
    """Who trades with which strategy: the agents whose id starts with `prefix` + "_" (a population's
    `id_prefix`, or its type when it has none) or, with `agent_type`, every agent of that type. The first
    entry that matches an agent wins; unset numbers take the strategy's defaults."""

    model_config = ConfigDict(extra="forbid")

    prefix: str | None = None
    agent_type: str | None = None
    strategy: HFNStrategy
    cash: float | None = Field(default=None, ge=0, le=1e9)
    inventory: float | None = Field(default=None, ge=0, le=1e9)
    latency_ms: float | None = Field(default=None, ge=0, le=1e6)
    activity: float | None = Field(default=None, ge=0, le=1)
    quantity: float | None = Field(default=None, gt=0, le=1e6)
    spread: float | None = Field(default=None, ge=0, lt=1)
    anchor_weight: float | None = Field(default=None, ge=0, le=1)
    threshold: float | None = Field(default=None, ge=0, lt=1)
    noise: float | None = Field(default=None, ge=0, le=1)
    lookback_ticks: int | None = Field(default=None, ge=1, le=1000)
    aggression: float | None = Field(default=None, ge=0, lt=1)
    order_rate: int | None = Field(default=None, ge=1, le=1000)
    dump_tick: int | None = Field(default=None, ge=1)
    dump_ticks: int | None = Field(default=None, ge=1)
    dump_fraction: float | None = Field(default=None, gt=0, le=1)
    dump_depth: float | None = Field(default=None, gt=0, lt=1)

    @model_validator(mode="after")
    def _one_match(self) -> HFNPopulation:
        if (self.prefix is None) == (self.agent_type is None):
            raise ValueError("give exactly one of 'prefix' and 'agent_type'")
        if self.agent_type is not None:
            _known_type(self.agent_type)
        return self

    def value(self, name: str) -> float:
        v = getattr(self, name)
        return float(v if v is not None else DEFAULTS[self.strategy].get(name, _COMMON[name]))


class HFNRunConfig(HFNConfig):
    """A scenario's `hfn:` block (`OrchestratorConfig.hfn_config`): the market's settings (`HFNConfig`)
    and how a run drives it."""

    #: order-book ticks per engine step
    ticks_per_step: int = Field(default=10, ge=1, le=10_000)
    #: the resource traded
    resource: str = Field(default="compute", min_length=1, max_length=64)
    #: the value the market makers and value traders anchor to
    fundamental_value: float = Field(default=1.0, gt=0, le=MAX_PRICE)
    #: each trader's starting cash in the market (None: its `resources`) and holding of the resource
    starting_cash: float | None = Field(default=100.0, ge=0, le=1e9)
    starting_inventory: float = Field(default=10.0, ge=0, le=1e9)
    #: population entries, checked in order before `by_type`
    populations: list[HFNPopulation] = Field(default_factory=list)
    #: the strategy of each agent type no population entry names (absent types do not trade)
    by_type: dict[str, HFNStrategy] = Field(default_factory=lambda: dict(DEFAULT_BY_TYPE))

    @field_validator("by_type")
    @classmethod
    def _types(cls, v: dict[str, HFNStrategy]) -> dict[str, HFNStrategy]:
        for t in v:
            _known_type(t)
        return v


class HFNTraders:
    """The trading agents' strategy codes and settings as columns (one row per market account)."""

    def __init__(self, cfg: HFNRunConfig, entries: list[HFNPopulation]) -> None:
        self.cfg = cfg
        self.code = np.array([_CODES[e.strategy] for e in entries], dtype=np.int64)
        self.p = {k: np.array([e.value(k) for e in entries], dtype=np.float64) for k in PARAMS}
        self.n = len(entries)
        self.prices: list[float] = [cfg.initial_price]

    def act(self, eng: HFNEngine, rng: np.random.Generator, tick: int, blocked: np.ndarray) -> None:
        """This tick's cancels and orders (`tick`: the run's tick about to be processed; `blocked`: rows
        that may not trade now, e.g. frozen agents)."""
        n, p, code, cfg = self.n, self.p, self.code, self.cfg
        P, F = eng.market_price, cfg.fundamental_value
        hist = np.asarray(self.prices[-1001:])
        past = hist[np.maximum(hist.size - 1 - p["lookback_ticks"].astype(np.int64), 0)]
        ret = P / past - 1.0
        acts = (rng.random(n) < p["activity"]) & ~blocked & (code != _CODES[HFNStrategy.NONE])
        is_ = {s: code == _CODES[s] for s in HFNStrategy}
        dumping = (
            is_[HFNStrategy.FAST_TRADER]
            & (tick >= p["dump_tick"])
            & (tick < p["dump_tick"] + p["dump_ticks"])
        )
        dumping &= p["dump_tick"] > 0
        th = p["threshold"]
        V = F * np.maximum(1.0 + p["noise"] * rng.standard_normal(n), 1e-3)
        val_on = is_[HFNStrategy.VALUE] & ((P < V * (1 - th)) | (P > V * (1 + th)))
        mom_on = is_[HFNStrategy.MOMENTUM] & (np.abs(ret) > th)
        quoting = is_[HFNStrategy.MARKET_MAKER] | (is_[HFNStrategy.FAST_TRADER] & ~dumping)
        acts &= quoting | val_on | mom_on | dumping
        who = np.flatnonzero(acts)
        if who.size == 0:
            return
        eng.cancel(who)
        free_c, free_i = eng.free_cash()[who], eng.free_inventory()[who]
        orders: list[tuple[np.ndarray, int, np.ndarray, np.ndarray]] = []  # rows, side, qty, price

        def add(mask: np.ndarray, side: int, qty: np.ndarray, price: np.ndarray, pos: np.ndarray) -> None:
            orders.append((who[pos][mask], side, qty[mask], price[mask]))

        pos = np.arange(who.size)
        q, r = p["quantity"][who], who
        # quoting: market makers and fast traders outside their dump
        m = quoting[r]
        anchor = p["anchor_weight"][r] * F + (1 - p["anchor_weight"][r]) * P
        add(m, 1, q, anchor * (1 - p["spread"][r]), pos)
        add(m, -1, q, anchor * (1 + p["spread"][r]), pos)
        # value traders
        v = V[r]
        add(val_on[r] & (P < v), 1, q, v * (1 - th[r]), pos)
        add(val_on[r] & (P > v), -1, q, v * (1 + th[r]), pos)
        # momentum traders
        add(mom_on[r] & (ret[r] < 0), -1, q, P * (1 - p["aggression"][r]), pos)
        add(mom_on[r] & (ret[r] > 0), 1, q, P * (1 + p["aggression"][r]), pos)
        # the dump: order_rate asks per dumping agent
        d = np.flatnonzero(dumping[r])
        if d.size:
            k = p["order_rate"][r[d]].astype(np.int64)
            rep = np.repeat(d, k)
            dq = np.repeat(free_i[d] * p["dump_fraction"][r[d]] / k, k)
            add(
                np.ones(rep.size, dtype=bool),
                -1,
                dq,
                np.full(rep.size, P) * (1 - p["dump_depth"][r[rep]]),
                rep,
            )
        self._send(eng, orders, who, free_c, free_i)

    def _send(
        self, eng: HFNEngine, orders: list[tuple[np.ndarray, int, np.ndarray, np.ndarray]], who: np.ndarray,
        free_c: np.ndarray, free_i: np.ndarray,
    ) -> None:  # fmt: skip
        if not orders:
            return
        rows = np.concatenate([o[0] for o in orders])
        side = np.concatenate([np.full(o[0].size, o[1]) for o in orders])
        qty = np.concatenate([o[2] for o in orders])
        price = np.clip(np.concatenate([o[3] for o in orders]), 1e-6, MAX_PRICE)
        # size each order to the agent's free balance of its side, shared evenly among its orders of
        # that side (floored to the smallest lot)
        at = np.searchsorted(who, rows)
        bid = side == 1
        n_side = np.zeros((who.size, 2))
        np.add.at(n_side, (at, bid.astype(np.int64)), 1.0)
        share = np.where(bid, free_c[at] / price, free_i[at]) / n_side[at, bid.astype(np.int64)]
        qty = np.floor(np.minimum(qty, share * (1 - 1e-9)) * SCALE) / SCALE
        ok = qty >= 1.0 / SCALE
        if ok.any():
            eng.submit_orders(rows[ok], side[ok], qty[ok], price[ok], self.p["latency_ms"][rows[ok]])

    def record(self, price: float) -> None:
        self.prices.append(price)
        if len(self.prices) > 2048:
            del self.prices[:1024]


def assign(cfg: HFNRunConfig, ids: list[str], types: list[str]) -> list[HFNPopulation | None]:
    """Each agent's entry: the first population that matches it, else its type's default, else None."""
    out: list[HFNPopulation | None] = []
    by_type = {t: HFNPopulation(agent_type=t, strategy=s) for t, s in cfg.by_type.items()}
    for aid, t in zip(ids, types):
        hit: Any = None
        for e in cfg.populations:
            if (e.prefix is not None and aid.startswith(e.prefix + "_")) or e.agent_type == t:
                hit = e
                break
        hit = hit if hit is not None else by_type.get(t)
        out.append(None if hit is None or hit.strategy == HFNStrategy.NONE else hit)
    return out
