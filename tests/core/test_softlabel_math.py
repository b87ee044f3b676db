"""Formula properties of the sigmoid, the proxy and the A3b payoff (hypothesis), and hand checks."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.core.payoff import PayoffConfig, SoftPayoffEngine
from distsafe.core.proxy import ProxyComputer, ProxyObservables, ProxyWeights
from distsafe.core.sigmoid import calibrated_sigmoid, inverse_sigmoid, sigmoid_bounds
from distsafe.models.interaction import SoftInteraction

unit = st.floats(0.0, 1.0, allow_nan=False)
signed = st.floats(-1.0, 1.0, allow_nan=False)
ks = st.floats(0.1, 20.0)


@given(signed, ks)
def test_sigmoid_matches_formula_and_inverts(v, k):
    p = calibrated_sigmoid(v, k)
    assert p == pytest.approx(1.0 / (1.0 + math.exp(-k * v)), rel=1e-12)
    if 1e-12 < p < 1 - 1e-12:
        assert inverse_sigmoid(p, k) == pytest.approx(v, abs=1e-9)


@given(st.lists(signed, min_size=1, max_size=50), ks)
def test_sigmoid_vectorized_equals_scalar_and_is_monotone(vs, k):
    arr = np.array(sorted(vs))
    p = calibrated_sigmoid(arr, k)
    assert np.allclose(p, [calibrated_sigmoid(float(v), k) for v in arr], rtol=1e-12)
    assert np.all(np.diff(p) >= 0)


def test_sigmoid_symmetry_and_bounds():
    assert calibrated_sigmoid(0.0) == 0.5
    lo, hi = sigmoid_bounds(2.0)
    assert lo == pytest.approx(1 / (1 + math.e**2)) and hi == pytest.approx(1 - lo)
    with pytest.raises(ValueError):
        calibrated_sigmoid(0.1, k=0)


def test_proxy_hand_computed():
    # progress 0.7 -> 0.7; rework 1 -> 2*0.3-1 = -0.4; rejections 0 -> 1; misuse 0 -> 1; engagement 0.4
    obs = ProxyObservables(
        task_progress_delta=0.7, rework_count=1, verifier_rejections=0, counterparty_engagement_delta=0.4
    )
    v_hat, p = ProxyComputer().compute_labels(obs)
    expected = 0.4 * 0.7 + 0.2 * (-0.4) + 0.2 * 1.0 + 0.2 * 0.4
    assert v_hat == pytest.approx(expected)
    assert p == pytest.approx(1 / (1 + math.exp(-2 * expected)))


@given(signed, st.integers(0, 20), st.integers(0, 20), st.integers(0, 20), signed)
def test_proxy_bounded_and_monotone_in_penalties(prog, rework, rej, misuse, eng):
    pc = ProxyComputer()
    v, p = pc.compute_labels(
        ProxyObservables(
            task_progress_delta=prog,
            rework_count=rework,
            verifier_rejections=rej,
            tool_misuse_flags=misuse,
            counterparty_engagement_delta=eng,
        )
    )
    assert -1.0 <= v <= 1.0 and 0.0 < p < 1.0
    v2, _ = pc.compute_labels(
        ProxyObservables(
            task_progress_delta=prog,
            rework_count=rework + 1,
            verifier_rejections=rej,
            tool_misuse_flags=misuse,
            counterparty_engagement_delta=eng,
        )
    )
    assert v2 <= v


def test_proxy_weights_normalized_and_validated():
    pc = ProxyComputer(
        weights=ProxyWeights(task_progress=2, rework_penalty=1, verifier_penalty=1, engagement_signal=0)
    )
    w = pc.weights
    assert w.task_progress == pytest.approx(0.5) and w.engagement_signal == 0
    with pytest.raises(ValueError):
        ProxyComputer(sigmoid_k=-1)
    with pytest.raises(ValueError):
        ProxyWeights(task_progress=-0.1)


@settings(max_examples=200)
@given(
    unit,
    st.floats(-5, 5),
    st.floats(0, 3),
    st.floats(0, 3),
    st.floats(-2, 2),
    st.floats(-2, 2),
    st.floats(0, 5),
    st.floats(0, 5),
    st.floats(0, 5),
    unit,
    unit,
    unit,
    st.floats(0, 3),
)
def test_payoff_matches_a3b(p, tau, c_a, c_b, r_a, r_b, s_plus, s_minus, h, theta, rho_a, rho_b, w_rep):
    cfg = PayoffConfig(
        s_plus=s_plus, s_minus=s_minus, h=h, theta=theta, rho_a=rho_a, rho_b=rho_b, w_rep=w_rep
    )
    eng = SoftPayoffEngine(cfg)
    it = SoftInteraction(p=p, tau=tau, c_a=c_a, c_b=c_b, r_a=r_a, r_b=r_b, accepted=True)
    S = p * s_plus - (1 - p) * s_minus
    E = (1 - p) * h
    assert eng.payoff_initiator(it) == pytest.approx(
        theta * S - tau - c_a - rho_a * E + w_rep * r_a, abs=1e-9
    )
    assert eng.payoff_counterparty(it) == pytest.approx(
        (1 - theta) * S + tau - c_b - rho_b * E + w_rep * r_b, abs=1e-9
    )
    # tau is a pure transfer; the sum does not depend on it
    total = eng.total_welfare(it)
    assert total == pytest.approx(S - c_a - c_b - (rho_a + rho_b) * E + w_rep * (r_a + r_b), abs=1e-9)


@given(st.floats(0, 1), st.floats(0, 1))
def test_expected_surplus_increasing_in_p(p1, p2):
    eng = SoftPayoffEngine()
    lo, hi = sorted((p1, p2))
    assert eng.expected_surplus(lo) <= eng.expected_surplus(hi) + 1e-12
    assert eng.expected_harm(lo) >= eng.expected_harm(hi) - 1e-12


def test_payoff_config_rejects_out_of_range():
    for bad in ({"theta": 1.5}, {"rho_a": -0.1}, {"s_plus": -1}, {"h": -2}):
        with pytest.raises(ValueError):
            PayoffConfig(**bad)


def test_soft_interaction_validates_labels():
    with pytest.raises(ValueError):
        SoftInteraction(p=1.2)
    with pytest.raises(ValueError):
        SoftInteraction(v_hat=-1.5)
    with pytest.raises(ValueError):
        SoftInteraction(ground_truth=0)
