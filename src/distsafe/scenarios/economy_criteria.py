"""Success criteria of seed 003's auction and mission scenarios (dworkin_auction, mission_economy), checked
over the epoch records' `SECTION_METRICS["auction"]` and `["mission"]` (metrics.epoch).

Auction criteria look at the epochs that held an auction (`auction_held` = 1): the share of those auctions
that were envy-free (within the auction's `envy_tolerance`), and their mean utility Gini. Mission criteria
are totals over the run (missions succeeded) and the mean free-rider index over the epochs that had
missions (the index is the Gini of members' contribution counts).
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field

from distsafe.models.config_base import ConfigModel
from distsafe.scenarios.criteria_rows import Results


class AuctionMissionCriteria(ConfigModel):
    min_auction_envy_free_rate: float | None = Field(default=None, ge=0, le=1)
    max_auction_gini: float | None = Field(default=None, ge=0, le=1)
    min_auction_extra_interactions: int | None = Field(default=None, ge=0)
    min_missions_succeeded: int | None = Field(default=None, ge=0)
    max_free_rider_index: float | None = Field(default=None, ge=0, le=1)
    min_mission_rewards_paid: float | None = Field(default=None, ge=0)

    def evaluate_auction_mission(
        self, summary: dict[str, Any], epoch_values: list[dict[str, Any]]
    ) -> list[tuple[str, bool, str]]:
        """[(criterion, passed, detail)] for each auction or mission criterion that is set."""
        out = Results()
        check = out.check
        nan = float("nan")
        held = [v for v in epoch_values if float(v.get("auction_held") or 0) == 1.0]

        def mean(rows: list[dict[str, Any]], key: str) -> float:
            vals = [float(v[key]) for v in rows if key in v and not math.isnan(float(v[key]))]
            return sum(vals) / len(vals) if vals else nan

        def total(key: str) -> float:
            vals = [float(v[key]) for v in epoch_values if key in v]
            return sum(vals) if vals else nan

        check(
            "min_auction_envy_free_rate",
            mean(held, "auction_envy_free"),
            self.min_auction_envy_free_rate,
            False,
        )
        check("max_auction_gini", mean(held, "auction_gini"), self.max_auction_gini, True)
        check(
            "min_auction_extra_interactions", total("auction_extra_interactions"),
            self.min_auction_extra_interactions, False,
        )  # fmt: skip
        check("min_missions_succeeded", total("missions_succeeded"), self.min_missions_succeeded, False)
        check("max_free_rider_index", mean(epoch_values, "free_rider_index"), self.max_free_rider_index, True)
        check("min_mission_rewards_paid", total("mission_rewards_paid"), self.min_mission_rewards_paid, False)
        return out
