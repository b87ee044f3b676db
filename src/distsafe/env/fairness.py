"""The Gini coefficient the environment's parts report (the auction's utilities, a mission's contributions,
the order book's fill shares): one definition for all of them.

`metrics.batch_stats.gini` (the epoch record's payoff Gini) is a different statistic on purpose: it shifts
negative payoffs and gives nan for no agents; the quantities here are never negative, and an empty or all-zero
input counts as perfect equality. (env may not import metrics: the layers of docs/architecture.md.)
"""

from __future__ import annotations

from typing import Any

import numpy as np


def gini_coefficient(values: Any) -> float:
    """Gini of non-negative values: sum_i (2i - n - 1) x_(i) / (n sum x) over ascending x; 0 for an
    empty or all-zero input (0 = perfect equality, 1 = one holds everything)."""
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    n = x.shape[0]
    total = float(x.sum())
    if n == 0 or total <= 0:
        return 0.0
    ranks = 2.0 * np.arange(1, n + 1) - n - 1
    return float(np.dot(ranks, x) / (n * total))
