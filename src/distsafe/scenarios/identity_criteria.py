"""Success criteria of seed 003's identity and permeability scenarios (sybil_attack, permeability), checked
over the epoch records: the identity component's and the Sybil lever's fields, the permeability component's.

    min_sybil_precision / min_sybil_recall   the identity component's detection scored against the truth, in
                                             the run's last epoch (agents of multi-identity entities)
    min_sybil_flagged_agents                 the most agents the Sybil lever flagged in one epoch
    max_avg_trust_sybil                      the Sybil identities' mean trust score in the last epoch
    max_cumulative_external_harm             the boundary's external harm over the run
    min_boundary_containment                 blocked / (spillovers + blocked) over the run (1: nothing was
                                             contagious)
    min_flows_crossed                        flows that crossed the boundary over the run
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from distsafe.models.config_base import ConfigModel
from distsafe.scenarios import criteria_rows
from distsafe.scenarios.criteria_rows import Results


class IdentityCriteria(ConfigModel):
    min_sybil_precision: float | None = Field(default=None, ge=0, le=1)
    min_sybil_recall: float | None = Field(default=None, ge=0, le=1)
    min_sybil_flagged_agents: int | None = Field(default=None, ge=0)
    max_avg_trust_sybil: float | None = Field(default=None, ge=0, le=1)
    max_cumulative_external_harm: float | None = Field(default=None, ge=0)
    min_boundary_containment: float | None = Field(default=None, ge=0, le=1)
    min_flows_crossed: int | None = Field(default=None, ge=0)

    def evaluate_identity(
        self, summary: dict[str, Any], epoch_values: list[dict[str, Any]]
    ) -> list[tuple[str, bool, str]]:
        """[(criterion, passed, detail)] for each identity or permeability criterion that is set."""
        last = epoch_values[-1] if epoch_values else {}
        nan = float("nan")

        def final(key: str) -> float:
            return criteria_rows.final(epoch_values, key)

        def total(key: str) -> float:
            return criteria_rows.total(epoch_values, key)

        def peak(key: str) -> float:
            vals = [float(v[key]) for v in epoch_values if key in v]
            return max(vals) if vals else nan

        spilled, blocked = total("spillovers"), total("spillovers_blocked")
        containment = blocked / (spilled + blocked) if spilled + blocked else (1.0 if last else nan)
        rows: list[tuple[str, float | None, float, bool]] = [
            ("min_sybil_precision", self.min_sybil_precision, final("sybil_precision"), False),
            ("min_sybil_recall", self.min_sybil_recall, final("sybil_recall"), False),
            ("min_sybil_flagged_agents", self.min_sybil_flagged_agents, peak("sybil_flagged_agents"), False),
            ("max_avg_trust_sybil", self.max_avg_trust_sybil, final("avg_trust_sybil"), True),
            ("max_cumulative_external_harm", self.max_cumulative_external_harm,
             final("cumulative_external_harm"), True),
            ("min_boundary_containment", self.min_boundary_containment, containment, False),
            ("min_flows_crossed", self.min_flows_crossed, total("flows_crossed"), False),
        ]  # fmt: skip
        return Results.of(rows)
