"""What every success-criteria block (social_criteria, the seed-002/003 parts' criteria, the spec's own)
does with its thresholds: read a field over the epoch records and compare it with a bound.

    final(epochs, key)       the last epoch's value (nan when it has none)
    total(epochs, key)       the sum over the epochs (a missing value counts 0)
    Results.check(...)       one (criterion, passed, detail) per bound that is set; nan never passes
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def final(epoch_values: Sequence[Mapping[str, Any]], key: str) -> float:
    v = epoch_values[-1].get(key) if epoch_values else None
    return float("nan") if v is None else float(v)


def total(epoch_values: Sequence[Mapping[str, Any]], key: str) -> float:
    return float(sum(float(v.get(key) or 0.0) for v in epoch_values))


class Results(list[tuple[str, bool, str]]):
    """[(criterion, passed, detail)]: a criterion is listed only when its bound is set."""

    def check(self, name: str, value: float, bound: float | None, upper: bool) -> None:
        if bound is None:
            return
        ok = (not math.isnan(value)) and (value <= bound if upper else value >= bound)
        self.append((name, ok, f"{value:.4g} {'<=' if upper else '>='} {bound:g}"))

    @classmethod
    def of(cls, rows: Iterable[tuple[str, float | None, float, bool]]) -> Results:
        """From rows (criterion, bound, value, upper)."""
        out = cls()
        for name, bound, value, upper in rows:
            out.check(name, value, bound, upper)
        return out
