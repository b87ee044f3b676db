"""The A3b payoff (hypothesis against the formula), its config, and the soft label it reads."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.core.payoff import PayoffConfig, SoftPayoffEngine
from distsafe.models.interaction import SoftInteraction

unit = st.floats(0.0, 1.0, allow_nan=False)


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
