"""The reference implementation's API names (metrics/reference_api.py, core/payoff.py, core/sigmoid.py):
values against their formulas and against distsafe's own metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.core.payoff import PayoffConfig, SoftPayoffEngine
from distsafe.core.sigmoid import calibrated_sigmoid, effective_uncertainty_band, sigmoid_derivative
from distsafe.metrics.reporters import MetricsReporter, MetricsSummary
from distsafe.metrics.soft_metrics import SoftMetrics
from distsafe.models.interaction import SoftInteraction
from distsafe.testing.generators import generate_mixed_batch

probs = st.floats(0.0, 1.0, allow_nan=False)


def _rows(ps: list[float], truths: list[int], accepted: list[bool] | None = None) -> list[SoftInteraction]:
    acc = accepted or [True] * len(ps)
    return [SoftInteraction(p=p, ground_truth=t, accepted=a) for p, t, a in zip(ps, truths, acc, strict=True)]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(probs, st.sampled_from([-1, 1])), min_size=1, max_size=40))
def test_auc_is_the_pairwise_probability(rows: list[tuple[float, int]]) -> None:
    ps, ts = [r[0] for r in rows], [r[1] for r in rows]
    auc = SoftMetrics().discrimination_auc(_rows(ps, ts))
    pos = [p for p, t in rows if t == 1]
    neg = [p for p, t in rows if t == -1]
    if not pos or not neg:
        assert math.isnan(auc)
        return
    brute = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg) / (len(pos) * len(neg))
    assert auc == pytest.approx(brute, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(probs, st.sampled_from([-1, 1])), min_size=1, max_size=40), st.integers(2, 12))
def test_ece_with_bins_equals_ece_of_a_metrics_with_those_bins(
    rows: list[tuple[float, int]], bins: int
) -> None:
    data = _rows([r[0] for r in rows], [r[1] for r in rows])
    assert SoftMetrics().expected_calibration_error(data, bins=bins) == pytest.approx(
        SoftMetrics(ece_bins=bins).ece(data), abs=1e-12
    )


def test_calibration_error_and_brier_alias() -> None:
    data = _rows([0.9, 0.8, 0.2], [1, -1, -1])
    m = SoftMetrics()
    assert m.calibration_error(data) == pytest.approx((0.9 + 0.8 + 0.2) / 3 - 1 / 3)
    assert m.brier_score(data) == m.brier(data)
    assert math.isnan(m.brier_score([SoftInteraction(p=0.3)]))  # NaN, not None: docs/from-swarm.md


def test_variances_welfare_participation() -> None:
    m = SoftMetrics()
    data = _rows([0.2, 0.4, 0.6, 0.8], [1, 1, -1, -1], [False, True, True, False])
    assert m.quality_variance(data) == pytest.approx(0.05)
    assert m.quality_variance(data, accepted_only=True) == pytest.approx(0.01)
    assert m.quality_std(data) == pytest.approx(math.sqrt(0.05))
    assert m.average_quality(data, accepted_only=True) == pytest.approx(0.5)
    part = m.participation_by_quality(data, threshold=0.5)
    assert part == {"high_quality_acceptance": 0.5, "low_quality_acceptance": 0.5, "high_quality_count": 2,
                    "low_quality_count": 2}  # fmt: skip
    eng = SoftPayoffEngine()
    pi_a = [eng.payoff_initiator(i) for i in data]
    assert m.payoff_variance_initiator(data) == pytest.approx(float(np.var(pi_a)))
    w = m.welfare_metrics(data)
    accepted = [i for i in data if i.accepted]
    assert w["total_social_surplus"] == pytest.approx(sum(eng.social_surplus(i) for i in accepted))
    assert w["avg_initiator_payoff"] == pytest.approx(np.mean([eng.payoff_initiator(i) for i in accepted]))
    assert m.uncertain_fraction(data, band=0.15) == 0.5
    assert [i.p for i in m.flag_uncertain(data, band=0.15)] == [0.4, 0.6]
    cv = m.coefficient_of_variation(data)
    assert cv["cv_p"] == pytest.approx(math.sqrt(0.05) / 0.5)


@settings(max_examples=60, deadline=None)
@given(p=probs, tau=st.floats(-2, 2), c=st.floats(0, 1), r=st.floats(-1, 1), rho=st.floats(0, 1))
def test_breakdown_sums_to_the_payoff(p: float, tau: float, c: float, r: float, rho: float) -> None:
    eng = SoftPayoffEngine(PayoffConfig(rho_a=rho, rho_b=rho))
    i = SoftInteraction(p=p, tau=tau, c_a=c, c_b=c, r_a=r, r_b=r)
    for b, total in (
        (eng.payoff_breakdown_initiator(i), eng.payoff_initiator(i)),
        (eng.payoff_breakdown_counterparty(i), eng.payoff_counterparty(i)),
    ):
        parts = b.surplus_share + b.transfer - b.governance_cost - b.externality_cost + b.reputation_bonus
        assert b.total == pytest.approx(total, abs=1e-9)
        assert parts == pytest.approx(total, abs=1e-9)
    assert eng.payoff_breakdown_initiator(i).transfer == -tau


@settings(max_examples=60, deadline=None)
@given(s_plus=st.floats(0.01, 10), s_minus=st.floats(0.01, 10), h=st.floats(0, 10))
def test_break_even_points_zero_the_surpluses(s_plus: float, s_minus: float, h: float) -> None:
    eng = SoftPayoffEngine(PayoffConfig(s_plus=s_plus, s_minus=s_minus, h=h))
    assert eng.expected_surplus(eng.break_even_p()) == pytest.approx(0.0, abs=1e-9)
    assert eng.social_surplus(SoftInteraction(p=eng.social_break_even_p())) == pytest.approx(0.0, abs=1e-9)


def test_break_even_degenerate_is_one_half() -> None:
    eng = SoftPayoffEngine(PayoffConfig(s_plus=0.0, s_minus=0.0, h=0.0))
    assert eng.break_even_p() == 0.5 and eng.social_break_even_p() == 0.5


@settings(max_examples=60, deadline=None)
@given(v=st.floats(-3, 3), k=st.floats(0.1, 8))
def test_sigmoid_derivative_matches_a_difference_quotient(v: float, k: float) -> None:
    h = 1e-6
    numeric = (calibrated_sigmoid(v + h, k) - calibrated_sigmoid(v - h, k)) / (2 * h)
    assert sigmoid_derivative(v, k) == pytest.approx(numeric, rel=1e-4, abs=1e-9)


@given(k=st.floats(0.1, 8), t=st.floats(0.01, 0.49))
def test_uncertainty_band_edges_are_at_half_plus_minus_threshold(k: float, t: float) -> None:
    lo, hi = effective_uncertainty_band(k, t)
    assert calibrated_sigmoid(lo, k) == pytest.approx(0.5 - t)
    assert calibrated_sigmoid(hi, k) == pytest.approx(0.5 + t)
    assert lo == pytest.approx(-hi)


def test_uncertainty_band_refuses_a_threshold_outside_the_half_interval() -> None:
    with pytest.raises(ValueError, match="threshold"):
        effective_uncertainty_band(2.0, 0.5)


def test_reporter_summary_markdown_and_comparison() -> None:
    rep = MetricsReporter()
    data = generate_mixed_batch(100, seed=3)
    s = rep.summary(data)
    assert isinstance(s, MetricsSummary)
    m = rep.metrics
    assert s.toxicity_soft == m.toxicity_rate(data) and s.quality_gap == m.quality_gap(data)
    assert s.total_interactions == 100 and s.accepted_count + s.rejected_count == 100
    d = s.to_dict()
    assert set(d) == {"soft_metrics", "hard_metrics", "counts", "welfare", "calibration", "variance"}
    assert d["counts"]["total"] == 100
    cmp = rep.compare_soft_hard(data)
    assert cmp["toxicity"]["difference"] == pytest.approx(s.toxicity_soft - s.toxicity_hard)
    md = rep.to_markdown(data, metadata={"seed": 3, "scenario": "a|b"})
    assert md.startswith("# Metrics report") and "- **scenario:** a\\|b" in md
    assert "| Total interactions | 100 |" in md
    empty = rep.to_markdown([])
    assert "| Total interactions | 0 |" in empty and "| Toxicity | - |" in empty  # NaN shows as "-"
