"""How missions take part in a run: the `missions:` section of a scenario
(`OrchestratorConfig.mission_config`), read by the engine's component `core.parts.mission`.

  - Proposing: every `propose_every` epochs (from epoch 0), while fewer than `max_active_missions` are
    open, one agent of a `coordinator_types` type that is in no mission (and, with coordinator funding,
    holds at least `reward_pool`) is drawn to propose a mission with `objectives`, the pool and a deadline
    `duration_epochs` later.
  - Funding: "coordinator": the pool is taken from the coordinator's resources when it proposes (escrow),
    paid out as rewards if the mission succeeds and refunded if it fails (money is conserved); "public":
    the pool is new money from public funds, paid only if the mission succeeds (the epoch field
    `mission_public_funds` counts what was paid).
  - Joining: at each epoch's start every agent in no mission joins an open one (drawn uniformly) with its
    type's probability `join_rate` (over `DEFAULT_JOIN_RATE`); an agent is in at most one mission.
  - Contributing: each step every member of an active mission proposes mission work to another member
    (drawn uniformly) with its type's probability `work_rate` (over `DEFAULT_WORK_RATE`; opportunistic
    agents join eagerly and work little: the free riders). The work is an interaction like any other
    (the member's own effort sets its hidden quality; the other member decides); every such interaction,
    accepted or not, is a contribution with its p and acceptance.
  - Evaluating: at each epoch's end every active mission is evaluated; it succeeds once all objectives
    are met and fails at its deadline; a succeeded mission pays its rewards by `reward_distribution`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from distsafe.env.auction_run import check_type_keys
from distsafe.env.mission import MissionConfig, MissionObjective
from distsafe.models.config_base import ConfigModel

#: probability per epoch that an agent of the type in no mission joins an open one
DEFAULT_JOIN_RATE: dict[str, float] = {
    "honest": 0.3,
    "opportunistic": 0.5,
    "deceptive": 0.3,
    "adversarial": 0.2,
    "adaptive_adversary": 0.2,
    "attacker": 0.1,
}
#: probability per step that a member of the type proposes mission work
DEFAULT_WORK_RATE: dict[str, float] = {
    "honest": 0.5,
    "opportunistic": 0.05,
    "deceptive": 0.4,
    "adversarial": 0.3,
    "adaptive_adversary": 0.3,
    "attacker": 0.3,
}
#: join and work rate of the types the maps do not name
OTHER_RATE = 0.2


class ObjectiveSpec(ConfigModel):
    """One objective of the missions a run's coordinators propose."""

    model_config = ConfigDict(extra="forbid")

    target_metric: Literal["avg_p", "min_p", "total_count", "acceptance_rate", "total_welfare"] = "avg_p"
    target_value: float = Field(default=0.6, gt=0)
    weight: float = Field(default=1.0, gt=0)
    description: str = ""

    def objective(self) -> MissionObjective:
        return MissionObjective("", self.description, self.target_metric, self.target_value, self.weight)


def _rates(v: dict[str, float]) -> dict[str, float]:
    check_type_keys(dict(v))
    for name, rate in v.items():
        if not 0 <= rate <= 1:
            raise ValueError(f"rate of {name!r} must be in [0, 1], got {rate}")
    return v


class MissionRunConfig(MissionConfig):
    """The `missions:` section: the seed's `MissionConfig` and how missions take part in a run."""

    model_config = ConfigDict(extra="forbid")

    propose_every: int = Field(default=1, ge=1)
    duration_epochs: int = Field(default=3, ge=1)
    reward_pool: float = Field(default=20.0, gt=0)
    funding: Literal["coordinator", "public"] = "coordinator"
    coordinator_types: list[str] = Field(default_factory=lambda: ["honest"], min_length=1)
    objectives: list[ObjectiveSpec] = Field(
        default_factory=lambda: [
            ObjectiveSpec(target_metric="avg_p", target_value=0.6, weight=1.0),
            ObjectiveSpec(target_metric="total_count", target_value=40.0, weight=0.5),
        ],
        min_length=1,
    )
    join_rate: dict[str, float] = Field(default_factory=dict)
    work_rate: dict[str, float] = Field(default_factory=dict)
    #: a member with fewer contributions than this times its mission's mean is counted as a free rider
    free_rider_threshold: float = Field(default=0.5, ge=0, le=1)

    @field_validator("coordinator_types")
    @classmethod
    def _coordinators(cls, v: list[str]) -> list[str]:
        check_type_keys(dict.fromkeys(v, 0))
        return v

    @field_validator("join_rate", "work_rate")
    @classmethod
    def _rate_maps(cls, v: dict[str, float]) -> dict[str, float]:
        return _rates(v)

    def join_rate_of(self, agent_type: str) -> float:
        return self.join_rate.get(agent_type, DEFAULT_JOIN_RATE.get(agent_type, OTHER_RATE))

    def work_rate_of(self, agent_type: str) -> float:
        return self.work_rate.get(agent_type, DEFAULT_WORK_RATE.get(agent_type, OTHER_RATE))
