"""The Dworkin auction in a run (env.auction; how it takes part: env.auction_run's docstring).

Each auction's bidders are the agents not frozen at its epoch's start; their true valuations come from
the run's "auction" stream, their bids from their type's strategy (vectorized over agents), their budgets
from `DworkinAuction.effective_endowments` of each agent's average p so far (the p of every interaction
it initiated, 0.5 before any). The allocation of the action resource gives extra proposals each step until
the next auction; payments move money through the agents' resources (revenue back to the bidders equally).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from distsafe.core.components import Component, ComponentWork
from distsafe.core.config import OrchestratorConfig
from distsafe.core.state import EngineState
from distsafe.env.auction import DworkinAuction
from distsafe.env.auction_run import AuctionRunConfig
from distsafe.metrics.epoch import SECTION_METRICS
from distsafe.models.agent import BAD_ACTOR_TYPES, AgentType
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType
from distsafe.models.schema import InteractionType

_STRATEGY_CODE = {"truthful": 0, "shade": 1, "inflate": 2}
_BAD_CODES = np.array(sorted(t.code for t in BAD_ACTOR_TYPES))


class AuctionComponent(Component):
    """Auctions every `interval_epochs` epochs; the action resource's holders propose more."""

    name = "auction"

    def __init__(self, cfg: AuctionRunConfig, steps_per_epoch: int) -> None:
        self.cfg = cfg
        self.auction = DworkinAuction(cfg)
        self.steps = steps_per_epoch
        self.resources = sorted(cfg.supply_per_agent)  # a canonical order: the log header sorts its keys
        self.k_action = self.resources.index(cfg.action_resource)
        self.supply_per_agent = np.array([cfg.supply_per_agent[r] for r in self.resources])
        #: strategy code by agent-type code
        self.strategy = np.array([_STRATEGY_CODE[cfg.strategy_of(t.value)] for t in AgentType], dtype=np.int8)
        self.holding = np.zeros(0)  # units of the action resource held, by agent row
        self.p_sum = np.zeros(0)
        self.p_n = np.zeros(0)
        self.last: dict[str, float] = {}
        self.held = False
        self.epoch_extra = 0
        self.epoch_extra_accepted = 0
        self.epoch_payments = 0.0
        self.totals = {
            "auctions": 0,
            "converged": 0,
            "envy_free": 0,
            "extra_interactions": 0,
            "payments": 0.0,
        }

    def _grow(self, n: int) -> None:
        if self.holding.shape[0] < n:
            k = n - self.holding.shape[0]
            self.holding = np.concatenate([self.holding, np.zeros(k)])
            self.p_sum = np.concatenate([self.p_sum, np.zeros(k)])
            self.p_n = np.concatenate([self.p_n, np.zeros(k)])

    def bids(self, true_values: np.ndarray, type_codes: np.ndarray) -> np.ndarray:
        """Reported valuations (rows: bidders) from the true ones by each bidder's type strategy."""
        cfg = self.cfg
        strat = self.strategy[type_codes]
        bid = true_values.copy()
        shade = strat == 1
        if shade.any():
            v = true_values[shade]
            top = v.argmax(axis=1)
            out = v / cfg.misreport_factor
            out[np.arange(v.shape[0]), top] = v[np.arange(v.shape[0]), top]
            bid[shade] = out
        inflate = strat == 2
        if inflate.any():
            bid[inflate, self.k_action] = cfg.misreport_factor * true_values[inflate].max(axis=1)
        return bid

    def begin_epoch(self, state: EngineState) -> None:
        a, epoch = state.agents, state.env.epoch
        self._grow(len(a))
        self.held = False
        self.epoch_extra = self.epoch_extra_accepted = 0
        self.epoch_payments = 0.0
        if epoch % self.cfg.interval_epochs:
            return
        rows = np.flatnonzero(~a.frozen_mask(epoch))
        self.holding[:] = 0.0
        if rows.size == 0:
            return
        cfg, rng = self.cfg, state.rngs["auction"]
        true_v = rng.uniform(cfg.valuation_low, cfg.valuation_high, (rows.size, len(self.resources)))
        types = a.type_code[rows].astype(np.int64)
        avg_p = np.where(self.p_n[rows] > 0, self.p_sum[rows] / np.maximum(self.p_n[rows], 1), 0.5)
        budgets = self.auction.effective_endowments(np.clip(avg_p, 0.0, 1.0))
        c = self.auction.clear(self.bids(true_v, types), budgets, self.supply_per_agent * rows.size)
        self.holding[rows] = c.allocation[:, self.k_action]
        pay = np.minimum(c.spent * cfg.token_value, np.maximum(a.resources[rows], 0.0))
        a.resources[rows] += pay.sum() / rows.size - pay  # revenue back in equal shares: money conserved
        true_u = (true_v * c.allocation).sum(axis=1)
        true_envy, true_max, _ = self.auction.envy(true_v, budgets * c.scale, c.allocation, c.prices)
        total_action = float(self.holding.sum())
        bad = np.isin(a.type_code[rows], _BAD_CODES)
        self.held = True
        self.epoch_payments = float(pay.sum())
        self.last = {
            "auction_rounds": float(c.rounds),
            "auction_converged": float(c.converged),
            "auction_scale": c.scale,
            "auction_envy_free": float(c.is_envy_free),
            "auction_envy_count": float(c.envy_count),
            "auction_true_envy_free": float(true_envy == 0),
            "auction_true_envy_count": float(true_envy),
            "auction_true_max_envy": true_max,
            "auction_gini": self.auction.compute_gini_coefficient(c.utility),
            "auction_true_utility": float(true_u.sum()),
            "auction_bad_actor_share": float(c.allocation[bad, self.k_action].sum() / total_action)
            if total_action > 0
            else 0.0,
        }
        t = self.totals
        t["auctions"] += 1
        t["converged"] += int(c.converged)
        t["envy_free"] += int(c.is_envy_free)
        t["payments"] += self.epoch_payments
        state.emit(EventType.AUCTION_CLEARED, payload={
            "bidders": int(rows.size), "rounds": c.rounds, "converged": c.converged,
            "envy_free": c.is_envy_free, "envy_count": c.envy_count, "true_envy_count": true_envy,
            "scale": round(c.scale, 9),
            "prices": {r: round(float(c.prices[k]), 9) for k, r in enumerate(self.resources)},
            "gini": round(self.last["auction_gini"], 9), "payments": round(self.epoch_payments, 9),
        })  # fmt: skip

    def step(self, state: EngineState) -> ComponentWork | None:
        a = state.agents
        n = len(a)
        self._grow(n)
        if n < 2:
            return None
        rows = np.flatnonzero((self.holding[:n] > 0) & ~a.frozen_mask(state.env.epoch))
        if rows.size == 0:
            return None
        rng = state.rngs["auction"]
        prob = np.minimum(1.0, self.holding[rows] * self.cfg.actions_per_unit / self.steps)
        init = rows[rng.random(rows.size) < prob]
        cp = rng.integers(0, n - 1, init.size)
        cp += cp >= init  # anyone but itself
        return ComponentWork(init, cp, np.zeros(init.size), itype=InteractionType.TRADE)

    def resolved(self, state: EngineState, batch: InteractionBatch, rows: slice) -> None:
        self.epoch_extra += rows.stop - rows.start
        self.epoch_extra_accepted += int(np.count_nonzero(batch.accepted[rows]))

    def end_epoch(self, state: EngineState, batch: InteractionBatch) -> dict[str, float]:
        n = len(state.agents)
        self._grow(n)
        if len(batch):
            ok = np.isfinite(batch.p)
            init = batch.initiator[ok].astype(np.int64)
            self.p_sum[:n] += np.bincount(init, weights=batch.p[ok], minlength=n)[:n]
            self.p_n[:n] += np.bincount(init, minlength=n)[:n]
        self.totals["extra_interactions"] += self.epoch_extra
        nan = float("nan")
        out = {key: self.last.get(key, nan) for key in SECTION_METRICS["auction"]}  # the latest auction's
        out["auction_held"] = float(self.held)
        out["auction_extra_interactions"] = float(self.epoch_extra)
        out["auction_extra_accepted"] = float(self.epoch_extra_accepted)
        out["auction_payments"] = self.epoch_payments
        return out

    def summary(self) -> dict[str, Any]:
        return dict(self.totals)


def make_auction(config: OrchestratorConfig) -> AuctionComponent | None:
    """The auction when the run has an `auction:` section."""
    cfg = config.auction_config
    return None if cfg is None else AuctionComponent(cfg, config.steps_per_epoch)
