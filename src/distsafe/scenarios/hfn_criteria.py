"""Success criteria of seed 003's high-frequency negotiation scenarios (env.hfn), checked over the run
summary's `components.hfn` (the crashes the detector recorded, the halted ticks) and the epoch records.

`max_hfn_recovery_ticks`: every detected crash recovered (price back at 95% of its pre-crash high) within
that many ticks of its start; a crash that never recovered fails it. `max_hfn_crash_drop`: every crash's
deepest fall, (pre-crash high - trough) / pre-crash high, at most this.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from distsafe.models.config_base import ConfigModel


class HFNCriteria(ConfigModel):
    min_hfn_trades: int | None = Field(default=None, ge=0)
    min_hfn_crashes: int | None = Field(default=None, ge=0)
    min_hfn_halted_ticks: int | None = Field(default=None, ge=0)
    max_hfn_recovery_ticks: int | None = Field(default=None, ge=0)
    max_hfn_crash_drop: float | None = Field(default=None, ge=0, le=1)

    def evaluate_hfn(
        self, summary: dict[str, Any], epoch_values: list[dict[str, Any]]
    ) -> list[tuple[str, bool, str]]:
        """[(criterion, passed, detail)] for each HFN criterion that is set."""
        out: list[tuple[str, bool, str]] = []
        hfn = dict(summary.get("components", {}).get("hfn", {}))
        crashes = list(hfn.get("crashes", []))

        def at_least(name: str, value: float, bound: int | None) -> None:
            if bound is not None:
                out.append((name, value >= bound, f"{value:.4g} >= {bound:g}"))

        at_least("min_hfn_trades", float(hfn.get("trades", 0)), self.min_hfn_trades)
        at_least("min_hfn_crashes", float(len(crashes)), self.min_hfn_crashes)
        at_least("min_hfn_halted_ticks", float(hfn.get("halted_ticks", 0)), self.min_hfn_halted_ticks)
        if self.max_hfn_recovery_ticks is not None:
            times = [int(c["recovery_time_ticks"]) for c in crashes]
            if not times:
                out.append(("max_hfn_recovery_ticks", True, "no crash: passes vacuously"))
            elif min(times) < 0:
                out.append(("max_hfn_recovery_ticks", False, f"{times.count(-1)} crash(es) never recovered"))
            else:
                bound = self.max_hfn_recovery_ticks
                out.append(("max_hfn_recovery_ticks", max(times) <= bound, f"{max(times)} <= {bound}"))
        if self.max_hfn_crash_drop is not None:
            drops = [1.0 - float(c["trough_price"]) / float(c["pre_crash_price"]) for c in crashes]
            worst = max(drops, default=0.0)
            ok = worst <= self.max_hfn_crash_drop
            out.append(("max_hfn_crash_drop", ok, f"{worst:.4g} <= {self.max_hfn_crash_drop:g}"))
        return out
