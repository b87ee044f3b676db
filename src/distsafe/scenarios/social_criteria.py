"""Checks and success criteria of seed 001's social-structure scenarios (network_effects, collusion_detection,
emergent_capabilities), checked over the epoch records' `SECTION_METRICS` (metrics.epoch).

"final" is the value in the run's last epoch; the coordination, synergy, specialization and concentration
scores are cumulative over the run (env.composite_tasks), so their final value is the run's.
`min_connected_components` is the seed's check as written (at least that many components at the end);
`max_connected_components` is the check that the network stayed in one piece.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from distsafe.models.config_base import ConfigModel
from distsafe.scenarios import criteria_rows
from distsafe.scenarios.criteria_rows import Results

if TYPE_CHECKING:
    from distsafe.scenarios.spec import ScenarioSpec


class SocialCriteria(ConfigModel):
    min_connected_components: int | None = Field(default=None, ge=1)
    max_connected_components: int | None = Field(default=None, ge=1)
    max_avg_path_length: float | None = Field(default=None, gt=0)
    #: the seed's name for the run's average toxicity
    max_toxicity: float | None = Field(default=None, ge=0, le=1)
    min_flagged_pairs: int | None = Field(default=None, ge=0)
    max_ecosystem_collusion_risk: float | None = Field(default=None, ge=0, le=1)
    min_penalty_total: float | None = Field(default=None, ge=0)
    min_avg_coordination_score: float | None = Field(default=None, ge=0, le=1)
    min_avg_synergy_score: float | None = Field(default=None, ge=0, le=1)
    min_completion_rate: float | None = Field(default=None, ge=0, le=1)
    min_specialization_index: float | None = Field(default=None, ge=0, le=1)
    max_capability_concentration: float | None = Field(default=None, ge=0, le=1)

    def evaluate_social(
        self, summary: dict[str, Any], epoch_values: list[dict[str, Any]]
    ) -> list[tuple[str, bool, str]]:
        """[(criterion, passed, detail)] for each social criterion that is set."""
        out = Results()
        check = out.check

        def final(key: str) -> float:
            return criteria_rows.final(epoch_values, key)

        def total(key: str) -> float:
            return criteria_rows.total(epoch_values, key)

        check("min_connected_components", final("n_components"), self.min_connected_components, False)
        check("max_connected_components", final("n_components"), self.max_connected_components, True)
        check("max_avg_path_length", final("avg_path_length"), self.max_avg_path_length, True)
        check("max_toxicity", float(summary.get("avg_toxicity", float("nan"))), self.max_toxicity, True)
        check("min_flagged_pairs", final("n_flagged_pairs"), self.min_flagged_pairs, False)
        check(
            "max_ecosystem_collusion_risk", final("ecosystem_collusion_risk"),
            self.max_ecosystem_collusion_risk, True,
        )  # fmt: skip
        check("min_penalty_total", total("collusion_penalties"), self.min_penalty_total, False)
        check(
            "min_avg_coordination_score",
            final("avg_coordination_score"),
            self.min_avg_coordination_score,
            False,
        )
        check("min_avg_synergy_score", final("avg_synergy_score"), self.min_avg_synergy_score, False)
        check("min_completion_rate", final("composite_completion_rate"), self.min_completion_rate, False)
        check("min_specialization_index", final("specialization_index"), self.min_specialization_index, False)
        check(
            "max_capability_concentration", final("capability_concentration"),
            self.max_capability_concentration, True,
        )  # fmt: skip
        return out


def agent_ids(spec: ScenarioSpec) -> list[str]:
    """The ids the builder gives the scenario's agents, in row order (`prefix_1 .. prefix_count`)."""
    return [f"{a.prefix()}_{k + 1}" for a in spec.agents for k in range(a.count)]


def social_problem(spec: ScenarioSpec) -> tuple[tuple[Any, ...], str] | None:
    """(YAML location, message) of the first problem that needs the whole scenario to see: a network
    that cannot be built over these agents (k or m out of range, a custom edge or star hub naming an
    unknown agent), or capabilities given while composite tasks are off."""
    if spec.network is not None:
        found = spec.network.problem(agent_ids(spec))
        if found is not None:
            return ("network", *found[0]), found[1]
    composite = spec.governance.composite_tasks_enabled or spec.composite_tasks is not None
    for i, a in enumerate(spec.agents):
        if a.capabilities and not composite:
            return ("agents", i, "capabilities"), (
                "capabilities need composite tasks: a composite_tasks: block or "
                "governance.composite_tasks_enabled"
            )
    return None
