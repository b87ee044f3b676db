"""The sandbox boundary as a semi-permeable membrane (seed 003 "Permeability Model"), vectorized over a
batch of interactions.

    effective permeability   adaptive: base * clip(1 - threat * threat_sensitivity, 0, 1)
                             * (0.5 + 0.5 trust), clipped to [0, 1]; not adaptive: base
    crossing                 each accepted interaction is a flow; it crosses the boundary with probability
                             perm ** (2 / (1 + p)): perm for p = 1, perm^2 for p = 0 (low-quality flows
                             are scrutinized more); a flow that crosses arrives with quality
                             p (1 - information_decay)
    contagion                a flow carries harm out with probability contagion_rate * (1 - p) * perm
    spillover                a contagious flow that crosses is a spillover: external harm
                             (1 - p) * spillover_amplification; a contagious flow that does not cross is
                             blocked
    containment              blocked / (spillovers + blocked) over the model's life (1 when nothing was
                             at stake)
    optimal permeability     the grid value perm = i / n_samples maximizing the expected value of the
                             flows that cross, sum p (1 - decay) cross(perm, p), minus
                             external_harm_weight times the expected external harm,
                             sum contagion(perm, p) cross(perm, p) (1 - p) amplification (the smallest
                             such perm on ties)

So permeability 0 lets nothing cross and nothing spill, and permeability 1 lets every flow cross (no
spillover is blocked). Where this differs from the reference implementation: it lets a flow cross with
probability perm * (0.5 + 0.5 p), so that even a fully open boundary blocks up to half of the flows; we keep
its value at p = 1 and at perm = 0 but open fully at perm = 1. Its optimal-permeability search values flows
at p * perm and harm without the crossing; ours uses the same expected crossing in both terms. Each batch
draws two uniforms per interaction (contagion, crossing) from the model's generator, whatever the outcome,
so the draws are fixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import ConfigDict, Field

from distsafe.models.columns import InteractionBatch
from distsafe.models.config_base import ConfigModel
from distsafe.models.interaction import SoftInteraction

FloatArray = npt.NDArray[np.float64]


class PermeabilityConfig(ConfigModel):
    """The seed's settings (defaults as in the seed)."""

    model_config = ConfigDict(extra="forbid")

    base_permeability: float = Field(default=0.5, ge=0, le=1)
    information_decay: float = Field(default=0.1, ge=0, le=1)
    contagion_rate: float = Field(default=0.05, ge=0, le=1)
    spillover_amplification: float = Field(default=1.5, ge=0)
    adaptive: bool = True
    threat_sensitivity: float = Field(default=1.0, ge=0)


class PermeabilityEngineConfig(PermeabilityConfig):
    """A scenario's `permeability:` block: the seed's settings plus the engine's threat estimate
    (`core.parts.permeability`): threat = an exponential moving average of each step's toxicity (mean
    1 - p of its accepted interactions) with weight `threat_smoothing`."""

    threat_smoothing: float = Field(default=0.3, gt=0, le=1)


@dataclass
class SpilloverEvent:
    """A contagious flow at the boundary: it crossed (external harm) or was blocked."""

    source_interaction_id: str
    source_p: float
    harm_magnitude: float
    blocked: bool
    direction: str = "outbound"


@dataclass
class PermeabilityState:
    effective_permeability: float = 0.5
    threat_level: float = 0.0
    total_spillovers: int = 0
    total_blocked: int = 0
    cumulative_external_harm: float = 0.0
    flows_total: int = 0
    flows_crossed: int = 0


@dataclass
class SpilloverBatch:
    """Per interaction of a batch: its permeability, whether it crossed, was contagious, spilled, was blocked,
    and the external harm it did (0 unless it spilled)."""

    permeability: FloatArray
    crossed: npt.NDArray[np.bool_]
    contagious: npt.NDArray[np.bool_]
    harm: FloatArray
    external_p: FloatArray = field(default_factory=lambda: np.zeros(0))

    @property
    def spilled(self) -> npt.NDArray[np.bool_]:
        out: npt.NDArray[np.bool_] = self.contagious & self.crossed
        return out

    @property
    def blocked(self) -> npt.NDArray[np.bool_]:
        out: npt.NDArray[np.bool_] = self.contagious & ~self.crossed
        return out


class PermeabilityModel:
    """The boundary: effective permeability, spillover from batches, containment, the optimal permeability."""

    def __init__(
        self,
        config: PermeabilityConfig | None = None,
        seed: int | None = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        self.config = config or PermeabilityConfig()
        self.rng = rng if rng is not None else np.random.default_rng(seed)
        self.state = PermeabilityState(effective_permeability=self.config.base_permeability)
        self.history: list[SpilloverEvent] = []

    # ---- formulas ------------------------------------------------------------------------------------------
    def compute_effective_permeability(self, threat_level: Any = 0.0, agent_trust: Any = 0.5) -> Any:
        """The adaptive formula (module docstring), elementwise; a float for scalar inputs. Records the
        (mean) result and threat in `state`."""
        c = self.config
        threat = np.asarray(threat_level, dtype=np.float64)
        trust = np.asarray(agent_trust, dtype=np.float64)
        if c.adaptive:
            threat_factor = np.clip(1.0 - threat * c.threat_sensitivity, 0.0, 1.0)
            out = np.clip(c.base_permeability * threat_factor * (0.5 + 0.5 * trust), 0.0, 1.0)
        else:
            out = np.full(np.broadcast(threat, trust).shape, c.base_permeability)
        if out.size:
            self.state.effective_permeability = float(np.mean(out))
            self.state.threat_level = float(np.mean(threat))
        return float(out) if out.ndim == 0 else out

    @staticmethod
    def crossing_probability(permeability: Any, p: Any) -> FloatArray:
        perm = np.clip(np.asarray(permeability, dtype=np.float64), 0.0, 1.0)
        q = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
        out: FloatArray = perm ** (2.0 / (1.0 + q))
        return out

    def contagion_probability(self, p: Any, permeability: Any) -> FloatArray:
        q = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
        out: FloatArray = np.clip(self.config.contagion_rate * (1.0 - q) * np.asarray(permeability), 0.0, 1.0)
        return out

    # ---- batches -------------------------------------------------------------------------------------------
    def spill(
        self, p: FloatArray, accepted: npt.NDArray[np.bool_], permeability: Any = None
    ) -> SpilloverBatch:
        """The boundary for one batch (arrays of one length); `permeability` a scalar or one per interaction
        (default: the state's effective permeability). Only accepted interactions are flows. Updates the
        state's totals."""
        p = np.asarray(p, dtype=np.float64)
        accepted = np.asarray(accepted, dtype=bool)
        n = p.shape[0]
        perm_in = self.state.effective_permeability if permeability is None else permeability
        perm = np.broadcast_to(np.asarray(perm_in, dtype=np.float64), (n,)).copy()
        if not np.all(np.isfinite(perm)) or np.any((perm < 0) | (perm > 1)):
            raise ValueError("permeability must be a number in [0, 1]")
        u_contagion, u_cross = self.rng.random(n), self.rng.random(n)
        crossed = accepted & (u_cross < self.crossing_probability(perm, p))
        contagious = accepted & (u_contagion < self.contagion_probability(p, perm))
        out = SpilloverBatch(
            permeability=perm, crossed=crossed, contagious=contagious,
            harm=np.where(contagious & crossed, (1.0 - p) * self.config.spillover_amplification, 0.0),
            external_p=np.where(crossed, p * (1.0 - self.config.information_decay), np.nan),
        )  # fmt: skip
        st = self.state
        st.total_spillovers += int(np.count_nonzero(out.spilled))
        st.total_blocked += int(np.count_nonzero(out.blocked))
        st.cumulative_external_harm += float(out.harm.sum())
        st.flows_total += int(np.count_nonzero(accepted))
        st.flows_crossed += int(np.count_nonzero(crossed))
        return out

    def simulate_spillover(
        self, interactions: Sequence[SoftInteraction] | InteractionBatch, permeability: float | None = None
    ) -> list[SpilloverEvent]:
        """The seed's call: the spillover events (crossed or blocked) of a batch of interactions."""
        p, accepted, ids = _columns(interactions)
        res = self.spill(p, accepted, permeability)
        events = [
            SpilloverEvent(ids[i], float(p[i]), float((1.0 - p[i]) * self.config.spillover_amplification),
                           bool(res.blocked[i]))
            for i in np.flatnonzero(res.contagious).tolist()
        ]  # fmt: skip
        self.history.extend(events)
        return events

    def containment_rate(self) -> float:
        total = self.state.total_spillovers + self.state.total_blocked
        return 1.0 if total == 0 else self.state.total_blocked / total

    def compute_spillover_harm(self, spillovers: list[SpilloverEvent] | None = None) -> float:
        events = self.history if spillovers is None else spillovers
        return float(sum(s.harm_magnitude for s in events if not s.blocked))

    def optimal_permeability(
        self,
        interactions: Sequence[SoftInteraction] | InteractionBatch,
        external_harm_weight: float = 1.0,
        n_samples: int = 10,
    ) -> float:
        """The grid permeability with the best expected flow value less weighted external harm."""
        if n_samples < 1:
            raise ValueError("n_samples must be >= 1")
        p, accepted, _ = _columns(interactions)
        q = np.clip(p[accepted], 0.0, 1.0)
        grid = np.arange(n_samples + 1, dtype=np.float64) / n_samples
        best, best_score = 0.0, -np.inf
        for perm in grid.tolist():
            cross = self.crossing_probability(perm, q)
            benefit = float((q * (1.0 - self.config.information_decay) * cross).sum())
            harm = float(
                (
                    self.contagion_probability(q, perm)
                    * cross
                    * (1.0 - q)
                    * self.config.spillover_amplification
                ).sum()
            )
            score = benefit - external_harm_weight * harm
            if score > best_score + 1e-12:
                best, best_score = perm, score
        return best

    def get_spillover_history(self) -> list[SpilloverEvent]:
        return list(self.history)

    def reset(self) -> None:
        self.state = PermeabilityState(effective_permeability=self.config.base_permeability)
        self.history.clear()


def _columns(
    interactions: Sequence[SoftInteraction] | InteractionBatch,
) -> tuple[FloatArray, npt.NDArray[np.bool_], list[str]]:
    if isinstance(interactions, InteractionBatch):
        n = len(interactions)
        return (np.asarray(interactions.p, dtype=np.float64), np.asarray(interactions.accepted, dtype=bool),
                [f"i{k}" for k in range(n)])  # fmt: skip
    items = list(interactions)
    p = np.array([float(x.p) for x in items], dtype=np.float64)
    if not np.all(np.isfinite(p)):
        raise ValueError("an interaction's p must be a finite number")
    return p, np.array([bool(x.accepted) for x in items], dtype=bool), [x.interaction_id for x in items]
