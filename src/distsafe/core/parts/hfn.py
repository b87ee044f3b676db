"""Seed 003's high-frequency negotiation in a run: the order book (`env.hfn`) and its scripted traders
(`env.hfn_agents`) as an engine component.

Each engine step runs `ticks_per_step` ticks of the book: the traders act (frozen agents do not trade and
their resting orders are cancelled), the tick is processed (batch clearing, the crash detector, the
circuit breaker). Every fill of the step is one interaction of the step's batch: initiator the seller
(who delivers the resource), counterparty the buyer, tau = -(cash paid) (the buyer pays the seller), agreed
(a matched order); its hidden quality is drawn from the seller's own effort (`work_quality`), as for any
work an agent delivers. Events: `hfn_flash_crash`, `hfn_market_halted`, `hfn_market_resumed`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from distsafe.core.components import Component, ComponentWork
from distsafe.core.config import OrchestratorConfig
from distsafe.core.state import EngineState
from distsafe.env.fairness import gini_coefficient as gini
from distsafe.env.hfn import SCALE, HFNEngine
from distsafe.env.hfn_agents import HFNRunConfig, HFNTraders, assign
from distsafe.models.agent import AgentType
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType

_TYPE_OF_CODE = {t.code: t.value for t in AgentType}


class HFNComponent(Component):
    name = "hfn"

    def __init__(self, cfg: HFNRunConfig) -> None:
        self.cfg = cfg
        self.engine: HFNEngine | None = None
        self.traders: HFNTraders | None = None
        self.rows = np.zeros(0, dtype=np.int64)  # market account -> agent row
        #: (tick, price, halted) of every tick of the run: the figure's data
        self.ticks: list[tuple[int, float, bool]] = []
        self._epoch: dict[str, Any] = {}
        self._p_sum, self._p_n = 0.0, 0
        #: (last tick of the step, mean p of its accepted fills, how many) per step with fills
        self.step_p: list[tuple[int, float, int]] = []
        #: the run's interactions from fills, those accepted, and the cash their buyers paid (-tau)
        self.interactions, self.accepted, self.cash_paid = 0, 0, 0.0

    def start(self, state: EngineState) -> None:
        cfg = self.cfg
        a = state.agents
        ids = list(a.ids)
        types = [_TYPE_OF_CODE[int(c)] for c in a.type_code.tolist()]
        entries = assign(cfg, ids, types)
        rows = np.array([r for r, e in enumerate(entries) if e is not None], dtype=np.int64)
        chosen = [e for e in entries if e is not None]
        self.engine = HFNEngine(cfg, seed=state.rngs["hfn"], resource=cfg.resource)
        # each trader's cash: its population's, else the section's, else (starting_cash: null) its resources
        res = a.resources[rows].tolist()
        cash = [
            e.cash if e.cash is not None else cfg.starting_cash if cfg.starting_cash is not None else r
            for e, r in zip(chosen, res)
        ]
        inv = [e.inventory if e.inventory is not None else cfg.starting_inventory for e in chosen]
        self.engine.register_agents(
            [ids[r] for r in rows.tolist()], np.clip(np.asarray(cash, dtype=np.float64), 0.0, 1e9), inv
        )
        self.rows = rows
        self.traders = HFNTraders(cfg, chosen)

    def begin_epoch(self, state: EngineState) -> None:
        eng = self.engine
        assert eng is not None
        self._epoch = {"trades": 0, "volume": 0.0, "crashes": 0, "halted": 0, "price_min": math.inf}
        self._p_sum, self._p_n = 0.0, 0

    def step(self, state: EngineState) -> ComponentWork | None:
        eng, tr = self.engine, self.traders
        assert eng is not None and tr is not None
        blocked = state.agents.frozen_mask(state.env.epoch)[self.rows]
        if blocked.any():
            eng.cancel(np.flatnonzero(blocked))
        rng = state.rngs["hfn"]
        sellers, buyers, pay = [], [], []
        for _ in range(self.cfg.ticks_per_step):
            was_halted = eng.halted
            tr.act(eng, rng, eng.current_tick + 1, blocked)
            t = eng.process_tick()
            tr.record(t.market_price)
            self.ticks.append((t.tick_number, t.market_price, t.halted))
            ep = self._epoch
            ep["halted"] += int(t.halted)
            if was_halted and not t.halted:
                state.emit(
                    EventType.HFN_MARKET_RESUMED, None, {"tick": t.tick_number, "price": t.market_price}
                )
            f = eng.last_fills
            if f.n:
                ep["trades"] += f.n
                ep["volume"] += t.volume
                ep["price_min"] = min(ep["price_min"], t.market_price)
                keep = f.buyer != f.seller  # a self-match moves nothing: no interaction
                sellers.append(self.rows[f.seller[keep]])
                buyers.append(self.rows[f.buyer[keep]])
                pay.append(f.pay[keep] / SCALE)
            if t.crash:
                ep["crashes"] += 1
                crash = eng.get_crash_history()[-1]
                trigger = crash.trigger_agent_ids[0] if crash.trigger_agent_ids else None
                row = state.agents.ids.index_of(trigger) if trigger is not None else None
                state.emit(EventType.HFN_FLASH_CRASH, row, {
                    "tick": t.tick_number, "price": t.market_price, "pre_crash_price": crash.pre_crash_price,
                    "drop": crash.price_drop_pct, "severity": crash.severity,
                    "sellers": crash.trigger_agent_ids,
                })  # fmt: skip
                if eng.halted:
                    state.emit(EventType.HFN_MARKET_HALTED, None, {
                        "tick": t.tick_number, "until_tick": eng.halt_until,
                    })  # fmt: skip
        if not sellers:
            return None
        return ComponentWork(
            initiator=np.concatenate(sellers), counterparty=np.concatenate(buyers), tau=-np.concatenate(pay),
            agreed=True,
        )  # fmt: skip

    def resolved(self, state: EngineState, batch: InteractionBatch, rows: slice) -> None:
        acc = batch.accepted[rows]
        self.interactions += int(acc.size)
        self.accepted += int(acc.sum())
        self.cash_paid += float(-batch.tau[rows].sum())
        if acc.any():
            p = batch.p[rows][acc]
            self._p_sum += float(p.sum())
            self._p_n += int(acc.sum())
            tick = self.engine.current_tick if self.engine is not None else 0
            self.step_p.append((tick, float(p.mean()), int(p.size)))

    def end_epoch(self, state: EngineState, batch: InteractionBatch) -> dict[str, float]:
        eng = self.engine
        assert eng is not None
        ep = self._epoch
        return {
            "hfn_trades": float(ep["trades"]),
            "hfn_volume": float(ep["volume"]),
            "hfn_price": float(eng.market_price),
            "hfn_price_min": float(ep["price_min"]) if ep["trades"] else float("nan"),
            "hfn_crashes": float(ep["crashes"]),
            "hfn_halted_ticks": float(ep["halted"]),
            "hfn_speed_gini": eng.speed_advantage_gini(),
            "hfn_trade_p": self._p_sum / self._p_n if self._p_n else float("nan"),
        }

    def summary(self) -> dict[str, Any]:
        eng = self.engine
        if eng is None:
            return {}
        crashes = [c.to_dict() for c in eng.get_crash_history()]
        for c in crashes:
            if math.isinf(c["volume_ratio"]):
                c["volume_ratio"] = None
        return {
            "ticks": eng.current_tick,
            "trades": eng.trades_total,
            "volume": eng.volume_total / SCALE,
            "price": eng.market_price,
            "crashes": crashes,
            "halted_ticks": eng.halted_ticks,
            "speed_gini": eng.speed_advantage_gini(),
            "traders": int(self.rows.size),
            "interactions": self.interactions,
            "accepted": self.accepted,
            "fill_gini_by_agent": gini(eng.filled_qty.astype(np.float64)),
        }


def build(config: OrchestratorConfig) -> Component | None:
    """The `hfn` component when the run's config has an `hfn:` section."""
    return HFNComponent(config.hfn_config) if config.hfn_config is not None else None
