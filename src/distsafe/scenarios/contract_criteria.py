"""Success criteria of contract-market scenarios (env.contracts, core.parts.contracts; the reference's
`min_separation_quality`, `max_infiltration_rate`, `min_welfare_delta`, `min_attack_displacement`), checked,
as the reference's CLI checks them, on the last epoch's screening metrics (`SECTION_METRICS["contracts"]`).

A run without a `contracts:` block has no such metrics: the criterion is nan and so a FAIL (the reference
reads 0.0, or 1.0 for the infiltration rate, there).
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field

from distsafe.models.config_base import ConfigModel


class ContractCriteria(ConfigModel):
    min_separation_quality: float | None = Field(default=None, ge=-1, le=1)
    max_infiltration_rate: float | None = Field(default=None, ge=0, le=1)
    min_welfare_delta: float | None = None
    min_attack_displacement: float | None = Field(default=None, ge=0, le=1)

    def evaluate_contracts(self, epoch_values: list[dict[str, Any]]) -> list[tuple[str, bool, str]]:
        """[(criterion, passed, detail)] for each contract criterion that is set."""
        out: list[tuple[str, bool, str]] = []
        last = epoch_values[-1] if epoch_values else {}
        rows = (
            ("min_separation_quality", self.min_separation_quality, "contract_separation_quality", False),
            ("max_infiltration_rate", self.max_infiltration_rate, "contract_infiltration_rate", True),
            ("min_welfare_delta", self.min_welfare_delta, "contract_welfare_delta", False),
            ("min_attack_displacement", self.min_attack_displacement, "contract_attack_displacement", False),
        )
        for name, bound, key, upper in rows:
            if bound is None:
                continue
            value = float(last.get(key, math.nan))
            if math.isnan(value):
                out.append((name, False, "no contract metrics (the scenario has no contracts: block)"))
                continue
            ok = value <= bound if upper else value >= bound
            out.append((name, ok, f"{value:.4g} {'<=' if upper else '>='} {bound:g}"))
        return out
