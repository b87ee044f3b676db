"""fit_sigmoid (Platt scaling): recovers a known map, handles near-separable outcomes, rejects one-class
input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.core.sigmoid import calibrated_sigmoid, fit_sigmoid


@settings(max_examples=15, deadline=None)
@given(st.floats(1.0, 8.0), st.floats(-2.0, 2.0), st.integers(0, 2**31 - 1))
def test_recovers_a_known_map(k, b, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, 40_000)
    y = (rng.random(x.shape[0]) < calibrated_sigmoid(x, k, b)).astype(float)
    k_hat, b_hat = fit_sigmoid(x, y)
    assert k_hat == pytest.approx(k, abs=0.1 * k + 0.2)
    assert b_hat == pytest.approx(b, abs=0.2)


def test_separable_outcomes_give_a_steep_finite_map():
    x = np.linspace(-1, 1, 1000)
    k, b = fit_sigmoid(x, (x > 0).astype(float), max_k=100.0)
    assert 20.0 < k <= 100.0 and abs(b) < 5.0


def test_bias_and_inverse():
    p = calibrated_sigmoid(0.3, 4.0, -1.0)
    assert p == pytest.approx(1 / (1 + np.exp(-(1.2 - 1.0))))
    from distsafe.core.sigmoid import inverse_sigmoid

    assert inverse_sigmoid(p, 4.0, -1.0) == pytest.approx(0.3)


def test_one_class_is_an_error():
    with pytest.raises(ValueError, match="both outcomes"):
        fit_sigmoid(np.zeros(5), np.ones(5))
