"""Structured perturbations of a run (the reference implementation's `perturbations:` section, its
swarm/core/perturbation.py): agent dropout, network partitions and governance parameter shocks, on a
schedule, for resilience tests. The engine's glue is `core.parts.perturbations`; these are the section's
model and its vectorized draws.

* `agent_dropout`: each step, every agent not already out and not of an `exempt_types` type drops out with
  `probability_per_step`, for a whole number of steps drawn uniformly in [min_duration_steps,
  max_duration_steps]; an agent out does not act (it can still be a counterparty, as in the reference).
* `network_partition`: at the start of epoch `at_epoch`, cut edges: `bisect` (a random half of the agents
  from the other half), `isolate_type` (every agent of `isolate_type` from every other type),
  `random_fragment` (each edge with probability 1/2); `heal_after_epochs` later, every edge the network had
  when it was cut comes back with the weight it had then.
* `parameter_shocks`: at the start of epoch `at_epoch`, set governance settings (`params`, GovernanceConfig
  names); `revert_after_epochs` later, set them back to the values they had before the shock.
* `signal_corruption`: validated, acts on nothing: the reference's runner never applies it (its
  `PerturbationEngine.perturb_observables` is called nowhere in swarm-safety 1.9.0), so it is a no-op there
  as here (scenarios.swarm_compat lists it in the run's no-op fields).
* `seed`: the perturbations' own seed (their draws then do not depend on the run's seed); None: the run's
  `perturbations` stream.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from distsafe.governance.config import GovernanceConfig
from distsafe.models.agent import AgentType
from distsafe.models.config_base import ConfigModel

_TYPES = {t.value for t in AgentType}
#: the reference's observable fields (swarm/core/proxy.py ProxyObservables): signal_corruption's targets
OBSERVABLE_FIELDS = frozenset(
    {
        "task_progress_delta",
        "rework_count",
        "verifier_rejections",
        "tool_misuse_flags",
        "counterparty_engagement_delta",
        "engagement_delta",
    }
)


def _known_types(names: list[str] | str | None) -> None:
    for n in [names] if isinstance(names, str) else names or []:
        if n not in _TYPES:
            raise ValueError(f"unknown agent type {n!r} (known: {', '.join(sorted(_TYPES))})")


class AgentDropoutConfig(ConfigModel):
    enabled: bool = False
    probability_per_step: float = Field(default=0.1, ge=0.0, le=1.0)
    min_duration_steps: int = Field(default=1, ge=1)
    max_duration_steps: int = Field(default=3, ge=1)
    exempt_types: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> AgentDropoutConfig:
        _known_types(self.exempt_types)
        if self.max_duration_steps < self.min_duration_steps:
            raise ValueError("max_duration_steps must be at least min_duration_steps")
        return self


class ScheduleSpec(ConfigModel):
    start_epoch: int = Field(default=0, ge=0)
    end_epoch: int | None = Field(default=None, ge=0)


class SignalCorruptionConfig(ConfigModel):
    enabled: bool = False
    targets: list[str] = Field(default_factory=lambda: ["task_progress_delta"])
    mode: Literal["zero_out", "invert", "random", "sticky"] = "zero_out"
    schedule: list[ScheduleSpec] = Field(default_factory=list)

    @field_validator("targets")
    @classmethod
    def _targets(cls, v: list[str]) -> list[str]:
        bad = [t for t in v if t not in OBSERVABLE_FIELDS]
        if bad:
            raise ValueError(f"unknown observable {bad[0]!r} (known: {', '.join(sorted(OBSERVABLE_FIELDS))})")
        return v


class ParameterShockSpec(ConfigModel):
    #: only epoch triggers: the reference's condition triggers ("toxicity_rate > 0.5") are not built here
    trigger: Literal["epoch"] = "epoch"
    at_epoch: int = Field(ge=0)
    params: dict[str, bool | int | float | str | None] = Field(default_factory=dict)
    revert_after_epochs: int | None = Field(default=None, ge=1)

    @field_validator("params")
    @classmethod
    def _params(cls, v: dict[str, Any]) -> dict[str, Any]:
        for k, value in v.items():
            if k not in GovernanceConfig.model_fields:
                raise ValueError(f"{k!r} is not a governance setting")
            GovernanceConfig.model_validate({k: value})
        return v


class ParameterShocksConfig(ConfigModel):
    enabled: bool = False
    shocks: list[ParameterShockSpec] = Field(default_factory=list)


class NetworkPartitionConfig(ConfigModel):
    enabled: bool = False
    #: only epoch triggers (a partition with a condition trigger never fires in the reference either)
    trigger: Literal["epoch"] = "epoch"
    at_epoch: int | None = Field(default=None, ge=0)
    mode: Literal["bisect", "isolate_type", "random_fragment"] = "bisect"
    isolate_type: str | None = None
    heal_after_epochs: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _check(self) -> NetworkPartitionConfig:
        _known_types(self.isolate_type)
        if self.enabled and self.at_epoch is None:
            raise ValueError("at_epoch is required (the epoch at which the network is cut)")
        if self.enabled and self.mode == "isolate_type" and self.isolate_type is None:
            raise ValueError("mode isolate_type needs isolate_type")
        return self


class PerturbationConfig(ConfigModel):
    """A scenario's `perturbations:` section (the reference's field names; module docstring)."""

    seed: int | None = Field(default=None, ge=0)
    agent_dropout: AgentDropoutConfig = Field(default_factory=AgentDropoutConfig)
    signal_corruption: SignalCorruptionConfig = Field(default_factory=SignalCorruptionConfig)
    parameter_shocks: ParameterShocksConfig = Field(default_factory=ParameterShocksConfig)
    network_partition: NetworkPartitionConfig = Field(default_factory=NetworkPartitionConfig)

    @property
    def active(self) -> bool:
        """Whether any perturbation that acts is switched on."""
        return (
            self.agent_dropout.enabled
            or (self.parameter_shocks.enabled and bool(self.parameter_shocks.shocks))
            or self.network_partition.enabled
        )


def dropout_step(
    remaining: np.ndarray, candidates: np.ndarray, cfg: AgentDropoutConfig, rng: np.random.Generator
) -> np.ndarray:
    """One step of dropout, in place on `remaining` (steps each row is still out): tick the timers down,
    then each row of `candidates` (a bool mask: not exempt) that is in draws its dropout. Returns the rows
    that drop out this step. Draws: one uniform per candidate row that is in, then one duration per new
    dropout."""
    np.maximum(remaining - 1, 0, out=remaining)
    rows = np.flatnonzero(candidates & (remaining == 0))
    hit = rows[rng.random(rows.shape[0]) < cfg.probability_per_step]
    remaining[hit] = rng.integers(cfg.min_duration_steps, cfg.max_duration_steps + 1, hit.shape[0])
    return hit


def partition_cut(
    mode: str, u: np.ndarray, v: np.ndarray, n: int, isolated: np.ndarray | None, rng: np.random.Generator
) -> np.ndarray:
    """Which edges (u[i], v[i]) a partition cuts (bool mask). `isolated`: a bool mask over rows (for
    `isolate_type`). `bisect` shuffles the rows and cuts between the first n // 2 and the rest;
    `random_fragment` cuts each edge with probability 1/2."""
    if mode == "bisect":
        side = np.zeros(n, dtype=bool)
        side[rng.permutation(n)[: n // 2]] = True
        cut: np.ndarray = side[u] != side[v]
    elif mode == "isolate_type":
        assert isolated is not None
        cut = isolated[u] != isolated[v]
    else:
        cut = np.asarray(rng.random(u.shape[0]) < 0.5)
    return cut
