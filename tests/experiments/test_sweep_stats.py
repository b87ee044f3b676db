"""The report's statistics against scipy and hand computations, and their invariants (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from distsafe.experiments.stats import (
    bootstrap_interval,
    compare_paired,
    hedges_g,
    holm,
    mean_stats,
    paired_t_pvalue,
    with_holm,
)

X = [0.21, 0.35, 0.18, 0.44, 0.29, 0.31, 0.25, 0.38]
Y = [0.19, 0.30, 0.20, 0.35, 0.22, 0.30, 0.21, 0.33]


def test_t_interval_matches_scipy():
    s = mean_stats(X)
    lo, hi = stats.t.interval(0.95, len(X) - 1, loc=np.mean(X), scale=stats.sem(X))
    assert s.n == 8 and s.mean == pytest.approx(np.mean(X), abs=1e-15)
    assert (s.t_lo, s.t_hi) == (pytest.approx(lo, abs=1e-12), pytest.approx(hi, abs=1e-12))


def test_bootstrap_interval_close_to_scipy_percentile_bootstrap():
    lo, hi = bootstrap_interval(X, n_boot=20000, seed=1)
    ref = stats.bootstrap((np.array(X),), np.mean, confidence_level=0.95, n_resamples=20000,
                          method="percentile", rng=np.random.default_rng(2)).confidence_interval  # fmt: skip
    assert lo == pytest.approx(ref.low, abs=0.006) and hi == pytest.approx(ref.high, abs=0.006)
    assert bootstrap_interval(X, seed=3) == bootstrap_interval(X, seed=3)  # reproducible


def test_bootstrap_by_hand_two_values():
    # resample means of [0, 1] take 0, 0.5, 1 with probabilities 1/4, 1/2, 1/4: the 2.5% and 97.5% points
    assert bootstrap_interval([0.0, 1.0], n_boot=4000, seed=0) == (0.0, 1.0)
    assert bootstrap_interval([2.0, 2.0, 2.0]) == (2.0, 2.0)
    assert all(math.isnan(v) for v in bootstrap_interval([1.0]))


def test_paired_p_matches_ttest_rel():
    d = [x - y for x, y in zip(X, Y)]
    assert paired_t_pvalue(d) == pytest.approx(stats.ttest_rel(X, Y).pvalue, rel=1e-10)
    assert paired_t_pvalue([0.0, 0.0, 0.0]) == 1.0
    assert paired_t_pvalue([0.5, 0.5]) == 0.0
    assert math.isnan(paired_t_pvalue([0.3]))


def test_hedges_g_by_hand():
    a, b = [1.0, 2.0, 3.0], [2.0, 3.0, 4.0, 5.0]
    # means 2 and 3.5; variances 1 and 5/3; pooled = (2*1 + 3*5/3) / 5 = 7/5; J = 1 - 3/(4*7 - 9) = 16/19
    assert hedges_g(a, b) == pytest.approx((2 - 3.5) / math.sqrt(7 / 5) * 16 / 19, abs=1e-14)
    assert math.isnan(hedges_g([1.0], [2.0, 3.0])) and math.isnan(hedges_g([1.0, 1.0], [1.0, 1.0]))


def test_holm_by_hand():
    # sorted 0.01, 0.02, 0.04 (m = 3): 0.03, 0.04, 0.04 (running max); 0.5 -> min(1, 0.5 * 1)
    assert holm([0.04, 0.01, 0.5, 0.02]) == pytest.approx([0.08, 0.04, 0.5, 0.06])
    out = holm([0.2, math.nan, 0.3])
    assert out[0] == pytest.approx(0.4) and math.isnan(out[1]) and out[2] == pytest.approx(0.4)
    assert holm([0.9, 0.8]) == [1.0, 1.0]


def test_compare_paired_pairs_by_seed_and_skips_nan():
    x = {0: 1.0, 1: 2.0, 2: 4.0, 3: math.nan, 7: 9.0}
    b = {0: 0.5, 1: 1.0, 2: 3.0, 3: 1.0}
    c = compare_paired(x, b)
    d = [0.5, 1.0, 1.0]
    assert c.n == 3 and c.diff == pytest.approx(np.mean(d))
    assert c.p == pytest.approx(stats.ttest_1samp(d, 0).pvalue)
    (c2,) = with_holm([c])
    assert c2.p_holm == pytest.approx(c.p)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=2, max_size=30))
def test_intervals_contain_the_mean(x):
    s = mean_stats(x)
    tol = 1e-9 * (1 + max(abs(v) for v in x))
    assert s.t_lo - tol <= s.mean <= s.t_hi + tol
    assert min(x) - tol <= s.boot_lo <= s.boot_hi <= max(x) + tol


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=20))
def test_holm_properties(p):
    adj = holm(p)
    assert all(a >= q - 1e-15 and a <= 1.0 for a, q in zip(adj, p))
    order = np.argsort(p, kind="stable")
    assert all(adj[order[i]] <= adj[order[i + 1]] + 1e-15 for i in range(len(p) - 1))  # order kept
    assert min(adj) == pytest.approx(min(1.0, min(p) * len(p)))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(min_value=-100, max_value=100), min_size=2, max_size=15),
    st.lists(st.floats(min_value=-100, max_value=100), min_size=2, max_size=15),
    st.floats(min_value=0.01, max_value=100),
    st.floats(min_value=-50, max_value=50),
)
def test_hedges_g_antisymmetric_and_affine_invariant(a, b, scale, shift):
    g = hedges_g(a, b)
    if math.isnan(g) or np.var(a) + np.var(b) < 1e-6:
        return
    assert hedges_g(b, a) == pytest.approx(-g, rel=1e-9, abs=1e-9)
    moved = hedges_g([scale * v + shift for v in a], [scale * v + shift for v in b])
    assert moved == pytest.approx(g, rel=1e-6, abs=1e-6)
