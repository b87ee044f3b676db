"""Statistics of a sweep: intervals of a configuration's mean, paired comparisons, effect sizes, Holm.

For a configuration's values x_1..x_n of one summary metric (one per seed):

* t interval: mean ± t(0.975, n-1) · s / sqrt(n) (`analysis.lever_study.t_interval`, the lever study's).
* bootstrap interval: the 2.5% and 97.5% percentiles of the means of `n_boot` resamples with replacement
  (percentile bootstrap; the resamples come from a numpy generator seeded by `seed`, so a report is
  reproducible).

Against the baseline configuration b, over the seeds s both ran (pairs):

* paired differences d_s = x_s - b_s: their mean, t interval and the paired t test's two-sided p-value
  (t = mean(d) / (sd(d) / sqrt(n)), n - 1 degrees of freedom; `scipy.stats.ttest_rel`'s statistic);
  p is NaN below 2 pairs, 1 when every difference is 0, 0 when they are all equal and non-zero.
* Hedges' g: (mean(x) - mean(b)) / s_pooled · J, s_pooled^2 = ((n1-1) s1^2 + (n2-1) s2^2) / (n1 + n2 - 2),
  J = 1 - 3 / (4 (n1 + n2) - 9) (Hedges 1981; the independent-groups standardised difference, so that it
  compares with the literature; the pairing enters the test and the interval).
* Holm's step-down correction of the p-values of one metric's comparisons (every configuration against
  the baseline): sort p ascending, p_(i) · (m - i + 1), running maximum, capped at 1; NaN p-values stay NaN
  and do not count in m.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from distsafe.analysis.lever_study import t_interval

CONFIDENCE = 0.95
N_BOOT = 4000


def bootstrap_interval(
    x: Sequence[float], confidence: float = CONFIDENCE, n_boot: int = N_BOOT, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean (NaN for fewer than 2 values)."""
    a = np.asarray(x, dtype=float)
    if a.size < 2:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    means = a[rng.integers(0, a.size, size=(n_boot, a.size))].mean(axis=1)
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(means, [alpha, 1 - alpha])
    return float(lo), float(hi)


def paired_t_pvalue(d: Sequence[float]) -> float:
    """Two-sided p of the one-sample t test of mean(d) = 0."""
    a = np.asarray(d, dtype=float)
    if a.size < 2:
        return math.nan
    sd = float(a.std(ddof=1))
    m = float(a.mean())
    if sd == 0.0:
        return 1.0 if m == 0.0 else 0.0
    from scipy import stats

    t = m / (sd / math.sqrt(a.size))
    return float(2 * stats.t.sf(abs(t), a.size - 1))


def hedges_g(x: Sequence[float], y: Sequence[float]) -> float:
    """Hedges' g of x against y (NaN when undefined: fewer than 2 values a side or no spread)."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n1, n2 = a.size, b.size
    if n1 < 2 or n2 < 2:
        return math.nan
    pooled = ((n1 - 1) * a.var(ddof=1) + (n2 - 1) * b.var(ddof=1)) / (n1 + n2 - 2)
    if pooled <= 0:
        return math.nan
    j = 1 - 3 / (4 * (n1 + n2) - 9)
    return float((a.mean() - b.mean()) / math.sqrt(pooled) * j)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the input's order."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, math.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = ok.size
    if m == 0:
        return out.tolist()
    order = ok[np.argsort(p[ok], kind="stable")]
    adj = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out[order] = adj
    return out.tolist()


@dataclass(frozen=True)
class MeanStats:
    n: int
    mean: float
    t_lo: float
    t_hi: float
    boot_lo: float
    boot_hi: float


def mean_stats(x: Sequence[float], seed: int = 0) -> MeanStats:
    vals = [v for v in x if not math.isnan(v)]
    m, lo, hi = t_interval(vals)
    blo, bhi = bootstrap_interval(vals, seed=seed)
    return MeanStats(len(vals), m, lo, hi, blo, bhi)


@dataclass(frozen=True)
class Comparison:
    """A configuration against the baseline, paired by seed."""

    n: int
    diff: float
    lo: float
    hi: float
    g: float
    p: float
    p_holm: float = math.nan

    @property
    def significant(self) -> bool:
        return not math.isnan(self.p_holm) and self.p_holm < 1 - CONFIDENCE


def compare_paired(x: dict[int, float], base: dict[int, float]) -> Comparison:
    """x and base by seed; pairs where either is NaN are left out."""
    seeds = sorted(s for s in x if s in base and not (math.isnan(x[s]) or math.isnan(base[s])))
    d = [x[s] - base[s] for s in seeds]
    m, lo, hi = t_interval(d)
    g = hedges_g([x[s] for s in seeds], [base[s] for s in seeds])
    return Comparison(len(d), m, lo, hi, g, paired_t_pvalue(d))


def with_holm(comparisons: list[Comparison]) -> list[Comparison]:
    adj = holm([c.p for c in comparisons])
    return [Comparison(c.n, c.diff, c.lo, c.hi, c.g, c.p, a) for c, a in zip(comparisons, adj)]
