"""Success criteria of marketplace scenarios (seed 002's marketplace, core.parts.market), checked over the
epoch records' `SECTION_METRICS["market"]` (metrics.epoch), summed over the run.

min_bounties_filled: bounties awarded to a bid; min_escrow_released: escrows released to a paid delivery;
max_dispute_rate: disputes filed per bounty filled (nan, and so a FAIL, when no bounty was filled).
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field

from distsafe.models.config_base import ConfigModel
from distsafe.scenarios import criteria_rows
from distsafe.scenarios.criteria_rows import Results


class MarketCriteria(ConfigModel):
    min_bounties_filled: int | None = Field(default=None, ge=0)
    min_escrow_released: int | None = Field(default=None, ge=0)
    max_dispute_rate: float | None = Field(default=None, ge=0)

    def evaluate_market(self, epoch_values: list[dict[str, Any]]) -> list[tuple[str, bool, str]]:
        """[(criterion, passed, detail)] for each marketplace criterion that is set."""
        out = Results()
        check = out.check

        def total(key: str) -> float:
            return criteria_rows.total(epoch_values, key)

        filled = total("bounties_filled")
        check("min_bounties_filled", filled, self.min_bounties_filled, False)
        check("min_escrow_released", total("escrow_released"), self.min_escrow_released, False)
        rate = total("disputes_filed") / filled if filled else math.nan
        check("max_dispute_rate", rate, self.max_dispute_rate, True)
        return out
