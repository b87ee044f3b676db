"""The calibrated sigmoid: formula, inverse, vectorization, bounds (hypothesis and hand checks)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from distsafe.core.sigmoid import calibrated_sigmoid, inverse_sigmoid, sigmoid_bounds

signed = st.floats(-1.0, 1.0, allow_nan=False)
ks = st.floats(0.1, 20.0)


@given(signed, ks)
def test_sigmoid_matches_formula_and_inverts(v, k):
    p = calibrated_sigmoid(v, k)
    assert p == pytest.approx(1.0 / (1.0 + math.exp(-k * v)), rel=1e-12)
    if 1e-12 < p < 1 - 1e-12:
        # The inverse is ill-conditioned near 0 and 1: p carries a rounding error of ~eps, which moves
        # log(p / (1 - p)) / k by about eps / (p (1 - p) k). Hypothesis found v=1, k=20 (error 2e-9).
        tol = 1e-12 + 4 * np.finfo(float).eps / (p * (1 - p) * k)
        assert inverse_sigmoid(p, k) == pytest.approx(v, abs=tol)


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
