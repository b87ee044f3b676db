"""The permeability component (seed 003 "Permeability Model"; a scenario's `permeability:` block): the
sandbox's boundary (`boundaries.permeability`) applied to the run's interactions.

At each epoch's end, the epoch's interactions cross the boundary step by step: each accepted interaction is a
flow with the effective permeability of its initiator, computed from

    threat   the recent toxicity: an exponential moving average over steps of each step's mean 1 - p of
             accepted interactions (weight `threat_smoothing`; carried across epochs); a step's flows see the
             threat of the steps before it
    trust    the initiator's identity trust score when the identity component is on (column `trust_score`),
             else from its reputation: 1 / (1 + exp(-reputation)) (0.5 at reputation 0)

and the boundary decides (stream "permeability", two draws per interaction) which flows cross, which carry
harm out (spillovers: external harm) and which contagious flows it blocks. The harm is the outside world's;
it changes nothing inside the run. Epoch fields: mean effective permeability of the flows, the threat at the
epoch's end, flows crossed, spillovers, blocked, the epoch's and the run's external harm, the epoch's
containment rate (blocked / contagious; 1 when nothing was contagious).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from distsafe.boundaries.permeability import PermeabilityEngineConfig, PermeabilityModel
from distsafe.core.components import Component
from distsafe.core.config import OrchestratorConfig
from distsafe.core.state import EngineState
from distsafe.models.columns import InteractionBatch


class PermeabilityComponent(Component):
    name = "permeability"

    def __init__(self, config: PermeabilityEngineConfig) -> None:
        self.config = config
        self.model: PermeabilityModel | None = None
        self.threat = 0.0

    def start(self, state: EngineState) -> None:
        self.model = PermeabilityModel(self.config, rng=state.rngs["permeability"])

    def _trust(self, state: EngineState) -> np.ndarray:
        col = state.extra_columns.get("trust_score")
        if col is not None and col.shape[0] == len(state.agents):
            return np.asarray(col, dtype=np.float64)
        out: np.ndarray = 1.0 / (1.0 + np.exp(-np.asarray(state.agents.reputation, dtype=np.float64)))
        return out

    def end_epoch(self, state: EngineState, batch: InteractionBatch) -> dict[str, float]:
        model = self.model
        if model is None:
            raise RuntimeError("the permeability component was not started")
        a = self.config.threat_smoothing
        n = len(batch)
        threat_row = np.zeros(n)
        if n:
            steps, inv = np.unique(batch.step, return_inverse=True)
            acc = batch.accepted.astype(np.float64)
            n_acc = np.bincount(inv, weights=acc, minlength=steps.shape[0])
            tox = np.bincount(inv, weights=acc * (1.0 - batch.p), minlength=steps.shape[0])
            before = np.zeros(steps.shape[0])
            for k in range(steps.shape[0]):  # steps per epoch: a short loop of scalars
                before[k] = self.threat
                if n_acc[k] > 0:
                    self.threat = (1.0 - a) * self.threat + a * tox[k] / n_acc[k]
            threat_row = before[inv]
        trust = self._trust(state)
        init = np.asarray(batch.initiator, dtype=np.int64)
        perm = np.asarray(model.compute_effective_permeability(threat_row, trust[init] if n else np.zeros(0)))
        perm = np.broadcast_to(perm, (n,))
        res = model.spill(np.asarray(batch.p, dtype=np.float64), np.asarray(batch.accepted, dtype=bool), perm)
        acc_mask = np.asarray(batch.accepted, dtype=bool)
        spilled, blocked = int(np.count_nonzero(res.spilled)), int(np.count_nonzero(res.blocked))
        model.state.threat_level = self.threat
        return {
            "effective_permeability": float(perm[acc_mask].mean()) if acc_mask.any() else float("nan"),
            "threat_level": self.threat,
            "flows_crossed": float(np.count_nonzero(res.crossed)),
            "spillovers": float(spilled),
            "spillovers_blocked": float(blocked),
            "external_harm": float(res.harm.sum()),
            "cumulative_external_harm": model.state.cumulative_external_harm,
            "containment_rate": blocked / (spilled + blocked) if spilled + blocked else 1.0,
        }

    def summary(self) -> dict[str, Any]:
        if self.model is None:
            return {}
        st = self.model.state
        return {
            "flows_total": st.flows_total, "flows_crossed": st.flows_crossed,
            "spillovers": st.total_spillovers, "blocked": st.total_blocked,
            "cumulative_external_harm": st.cumulative_external_harm,
            "containment_rate": self.model.containment_rate(), "threat_level": self.threat,
        }  # fmt: skip


def build(config: OrchestratorConfig) -> Component | None:
    return None if config.permeability_config is None else PermeabilityComponent(config.permeability_config)
