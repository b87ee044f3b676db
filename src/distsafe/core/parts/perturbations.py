"""The engine's glue for the reference's perturbations (core.perturbation): governance parameter shocks and
network partitions at epoch starts (in the reference's order: reverts due, shocks due, the partition, its
heal), agent dropout at each step's start (`may_act`: an agent out does not act). Draws come from the
section's own seed when it sets one, else from the run's `perturbations` stream. One `perturbation` event
per shock, revert, partition, heal, and per step in which agents drop out; epoch fields `perturb_*`
(metrics.epoch SECTION_METRICS["perturbations"])."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from distsafe.core.components import Component
from distsafe.core.config import OrchestratorConfig
from distsafe.core.perturbation import PerturbationConfig, dropout_step, partition_cut
from distsafe.core.state import EngineState
from distsafe.governance.reconfigure import reconfigure, shocked
from distsafe.models.agent import AgentType
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType


@dataclass
class _ShockInForce:
    index: int
    revert_at: int
    #: the settings as they were before the shock
    original: dict[str, Any]


class Perturbations(Component):
    name = "perturbations"

    def __init__(self, config: PerturbationConfig) -> None:
        self.config = config
        self.rng: np.random.Generator | None = None
        self.remaining = np.zeros(0, dtype=np.int64)
        self.fired: set[int] = set()
        self.in_force: list[_ShockInForce] = []
        self.saved_keys: np.ndarray | None = None
        self.saved_weights = np.zeros(0)
        self.partition_fired = False
        self.edges_cut = 0
        self.edges_restored = 0
        # counters: this epoch's, and the run's
        self.epoch_new = 0
        self.epoch_out_steps = 0
        self.total_dropouts = 0
        self.total_out_steps = 0
        self.shocks_applied = 0
        self.shocks_reverted = 0

    def start(self, state: EngineState) -> None:
        seed = self.config.seed
        self.rng = np.random.default_rng(seed) if seed is not None else state.rngs["perturbations"]

    def _rng(self) -> np.random.Generator:
        assert self.rng is not None, "start() first"
        return self.rng

    # ---- epoch start ---------------------------------------------------------------------------------
    def begin_epoch(self, state: EngineState) -> None:
        epoch = state.env.epoch
        self.epoch_new = self.epoch_out_steps = 0
        self._revert_due(state, epoch)
        self._shocks_due(state, epoch)
        part = self.config.network_partition
        if part.enabled and not self.partition_fired and part.at_epoch == epoch:
            self._partition(state, epoch)
            self.partition_fired = True
        if (
            self.saved_keys is not None
            and part.heal_after_epochs is not None
            and part.at_epoch is not None
            and epoch >= part.at_epoch + part.heal_after_epochs
        ):
            self._heal(state, epoch)

    def _set(self, state: EngineState, params: dict[str, Any]) -> None:
        reconfigure(state.governance, shocked(state.governance.config, params))

    def _revert_due(self, state: EngineState, epoch: int) -> None:
        keep = []
        for s in self.in_force:
            if epoch < s.revert_at:
                keep.append(s)
                continue
            self._set(state, s.original)
            self.shocks_reverted += 1
            state.emit(
                EventType.PERTURBATION,
                payload={"kind": "shock_reverted", "shock": s.index, "params": s.original},
            )
        self.in_force = keep

    def _shocks_due(self, state: EngineState, epoch: int) -> None:
        cfg = self.config.parameter_shocks
        if not cfg.enabled:
            return
        for i, spec in enumerate(cfg.shocks):
            if spec.at_epoch != epoch or i in self.fired:
                continue
            gov = state.governance.config
            until = None if spec.revert_after_epochs is None else epoch + spec.revert_after_epochs
            original = {k: getattr(gov, k) for k in spec.params}
            self._set(state, dict(spec.params))
            self.fired.add(i)
            self.shocks_applied += 1
            if spec.revert_after_epochs is not None:
                self.in_force.append(_ShockInForce(i, int(until or 0), original))
            state.emit(
                EventType.PERTURBATION,
                payload={
                    "kind": "parameter_shock", "shock": i, "params": dict(spec.params), "was": original,
                    "revert_epoch": until,
                },
            )  # fmt: skip

    def _partition(self, state: EngineState, epoch: int) -> None:
        net = state.network
        cfg = self.config.network_partition
        if net is None:  # everyone may meet everyone: no edges to cut (the reference does nothing either)
            state.emit(EventType.PERTURBATION, payload={"kind": "network_partition", "edges_cut": 0})
            return
        a = state.agents
        isolated = None
        if cfg.mode == "isolate_type":
            isolated = a.type_code == AgentType(cfg.isolate_type).code
        self.saved_keys, self.saved_weights = net.key.copy(), net.weight.copy()
        u, v = net.endpoints()
        cut = partition_cut(cfg.mode, u, v, len(a), isolated, self._rng())
        removed = net.remove(cut)
        self.edges_cut += int(removed.size)
        state.emit(
            EventType.PERTURBATION,
            payload={"kind": "network_partition", "mode": cfg.mode, "edges_cut": int(removed.size),
                     "edges_left": net.n_edges},
        )  # fmt: skip

    def _heal(self, state: EngineState, epoch: int) -> None:
        net = state.network
        assert net is not None and self.saved_keys is not None
        back = net.restore(self.saved_keys, self.saved_weights)
        self.edges_restored += back
        self.saved_keys = None
        state.emit(
            EventType.PERTURBATION,
            payload={"kind": "network_healed", "edges_restored": back, "edges": net.n_edges},
        )

    # ---- step start ----------------------------------------------------------------------------------
    def may_act(self, state: EngineState, order: np.ndarray) -> np.ndarray:
        cfg = self.config.agent_dropout
        if not cfg.enabled:
            return order
        a = state.agents
        n = len(a)
        if self.remaining.shape[0] < n:  # agents added by population dynamics start in
            self.remaining = np.concatenate([self.remaining, np.zeros(n - self.remaining.shape[0], np.int64)])
        exempt = np.isin(a.type_code, [AgentType(t).code for t in cfg.exempt_types])
        new = dropout_step(self.remaining, ~exempt, cfg, self._rng())
        out = self.remaining > 0
        n_out = int(np.count_nonzero(out))
        self.epoch_new += int(new.size)
        self.total_dropouts += int(new.size)
        self.epoch_out_steps += n_out
        self.total_out_steps += n_out
        if new.size:
            state.emit(
                EventType.PERTURBATION,
                payload={"kind": "agent_dropout", "agents": [a.ids[int(r)] for r in new],
                         "steps": self.remaining[new].tolist(), "out_now": n_out},
            )  # fmt: skip
        kept: np.ndarray = order[~out[order]]
        return kept

    # ---- epoch end, summary ----------------------------------------------------------------------------
    def end_epoch(self, state: EngineState, batch: InteractionBatch) -> dict[str, float]:
        return {
            "perturb_new_dropouts": float(self.epoch_new),
            "perturb_dropped_agent_steps": float(self.epoch_out_steps),
            "perturb_partition_active": float(self.saved_keys is not None),
            "perturb_shocks_active": float(len(self.in_force)),
        }

    def summary(self) -> dict[str, Any]:
        return {
            "dropouts": self.total_dropouts, "dropped_agent_steps": self.total_out_steps,
            "shocks_applied": self.shocks_applied, "shocks_reverted": self.shocks_reverted,
            "edges_cut": self.edges_cut, "edges_restored": self.edges_restored,
            "partition_active": self.saved_keys is not None,
        }  # fmt: skip


def build(config: OrchestratorConfig) -> Perturbations | None:
    cfg = config.perturbation_config
    return Perturbations(cfg) if cfg is not None and cfg.active else None
