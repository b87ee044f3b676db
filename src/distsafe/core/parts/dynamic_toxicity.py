"""The engine's glue for dynamic toxicity (env.dynamic_toxicity): at each epoch's end, the epoch's
toxicity flattens the proxy's sigmoid (proxy_drift), may make honest agents leave (trust_erosion), and
moves each agent's quality-estimate bias toward what it met (quality_contagion). Draws (the exits) come
from the run's `dynamic_toxicity` stream; one `dynamic_toxicity` event per mechanism and epoch where it
acts; epoch fields `dt_*` (metrics.epoch SECTION_METRICS["dynamic_toxicity"])."""

from __future__ import annotations

from typing import Any

import numpy as np

from distsafe.agents.policies import ScriptedPolicy
from distsafe.core.components import Component
from distsafe.core.config import OrchestratorConfig
from distsafe.core.state import EngineState
from distsafe.env.dynamic_toxicity import (
    DynamicToxicityConfig,
    choose_exits,
    contagion_update,
    drift_factor,
    exit_probability,
)
from distsafe.models.agent import AgentType
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType

#: frozen_until of an agent that left: past any epoch a run can have
GONE = int(np.iinfo(np.int32).max)


class DynamicToxicity(Component):
    name = "dynamic_toxicity"

    def __init__(self, config: DynamicToxicityConfig):
        self.config = config
        self.on = set(config.enabled)
        self.k0 = 1.0
        self.b0 = 0.0
        self.cumulative = 0.0
        self.history: list[float] = []
        self.bias = np.zeros(0)
        self.exits = 0

    def start(self, state: EngineState) -> None:
        self.k0, self.b0 = float(state.proxy.sigmoid_k), float(state.proxy.sigmoid_bias)
        self._share_bias(state)

    def begin_epoch(self, state: EngineState) -> None:
        self._share_bias(state)  # agents added at the last epoch's end get their (zero) entries

    def _share_bias(self, state: EngineState) -> None:
        """The contagion bias, one entry per agent row, handed to the scripted policies that decide."""
        if "quality_contagion" not in self.on:
            return
        n = len(state.agents)
        if self.bias.shape[0] < n:  # agents added by population dynamics start unbiased
            self.bias = np.concatenate([self.bias, np.zeros(n - self.bias.shape[0])])
        for g in state.groups:
            policy = g.policy if g.policy is not None else getattr(g.agent, "policy", None)
            if isinstance(policy, ScriptedPolicy):
                policy.trust_bias = self.bias

    def end_epoch(self, state: EngineState, batch: InteractionBatch) -> dict[str, float]:
        acc = np.asarray(batch.accepted, dtype=bool)
        rolling = float(np.mean(self.history[-self.config.trust_erosion.window :])) if self.history else 0.0
        if acc.any():
            p = np.asarray(batch.p, dtype=np.float64)[acc]
            toxicity = float(np.mean(1.0 - p))
            self.history.append(toxicity)
            if "proxy_drift" in self.on:
                self._drift(state, toxicity)
            if "trust_erosion" in self.on:
                rolling = self._erode(state)
            if "quality_contagion" in self.on:
                parties = np.stack([batch.initiator[acc], batch.counterparty[acc]]).astype(np.int64)
                self._contagion(state, parties, p)
        return {
            "dt_sigmoid_k": float(state.proxy.sigmoid_k),
            "dt_cumulative_toxicity": self.cumulative,
            "dt_rolling_toxicity": rolling,
            "dt_honest_exits": float(self.exits),
            "dt_bias_mean": float(self.bias[: len(state.agents)].mean()) if self.bias.size else 0.0,
        }

    def _drift(self, state: EngineState, toxicity: float) -> None:
        c = self.config.proxy_drift
        self.cumulative += toxicity
        old = float(state.proxy.sigmoid_k)
        f = drift_factor(self.k0, self.cumulative, c.alpha, c.k_floor)
        state.proxy.sigmoid_k, state.proxy.sigmoid_bias = self.k0 * f, self.b0 * f
        state.emit(
            EventType.DYNAMIC_TOXICITY,
            payload={
                "mechanism": "proxy_drift", "epoch_toxicity": toxicity,
                "cumulative_toxicity": self.cumulative, "sigmoid_k_old": old,
                "sigmoid_k_new": float(state.proxy.sigmoid_k),
            },
        )  # fmt: skip

    def _erode(self, state: EngineState) -> float:
        c = self.config.trust_erosion
        recent = self.history[-c.window :]
        rolling = float(np.mean(recent))
        prob = exit_probability(recent, c.exit_threshold, c.beta)
        if prob <= 0:
            return rolling
        a, epoch = state.agents, state.env.epoch
        honest = np.flatnonzero((a.type_code == AgentType.HONEST.code) & ~a.frozen_mask(epoch))
        gone = choose_exits(honest, prob, c.min_honest, state.rngs["dynamic_toxicity"])
        if gone.size:
            a.frozen_until[gone] = GONE
            self.exits += int(gone.size)
            state.emit(
                EventType.DYNAMIC_TOXICITY,
                payload={
                    "mechanism": "trust_erosion", "rolling_toxicity": rolling, "exit_probability": prob,
                    "agents_exited": [a.ids[int(r)] for r in gone],
                    "remaining_honest": int(honest.size - gone.size),
                },
            )  # fmt: skip
        return rolling

    def _contagion(self, state: EngineState, parties: np.ndarray, p: np.ndarray) -> None:
        c = self.config.quality_contagion
        self._share_bias(state)
        new = contagion_update(self.bias, parties, p, c.gamma, c.neutral)
        moved = np.unique(parties)
        self.bias[:] = new
        state.emit(
            EventType.DYNAMIC_TOXICITY,
            payload={
                "mechanism": "quality_contagion", "agents_updated": int(moved.size),
                "bias_min": float(new[moved].min()), "bias_max": float(new[moved].max()),
                "bias_mean": float(new[moved].mean()),
            },
        )  # fmt: skip

    def summary(self) -> dict[str, Any]:
        return {
            "mechanisms": sorted(self.on), "cumulative_toxicity": self.cumulative, "honest_exits": self.exits,
        }  # fmt: skip


def build(config: OrchestratorConfig) -> Component | None:
    cfg = config.dynamic_toxicity_config
    return DynamicToxicity(cfg) if cfg is not None and cfg.enabled else None
