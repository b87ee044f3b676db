"""Calibrated sigmoid p = 1 / (1 + exp(-(k * v_hat + b))) and its inverse, scalar or vectorized, and the
maximum-likelihood fit of (k, b) to observed outcomes (Platt scaling).

The seeds' form is b = 0 (`calibrated_sigmoid(v_hat, k)`); the bias b is the log prior odds a fitted
calibration adds (see docs/metrics.md, "Calibration").
"""

from __future__ import annotations

import math
from typing import overload

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

DEFAULT_K = 2.0


@overload
def calibrated_sigmoid(v_hat: float, k: float = DEFAULT_K, bias: float = 0.0) -> float: ...
@overload
def calibrated_sigmoid(v_hat: FloatArray, k: float = DEFAULT_K, bias: float = 0.0) -> FloatArray: ...
def calibrated_sigmoid(
    v_hat: float | FloatArray, k: float = DEFAULT_K, bias: float = 0.0
) -> float | FloatArray:
    """p = 1 / (1 + exp(-(k * v_hat + bias))). Accepts a float or a numpy array; numerically stable."""
    if k <= 0:
        raise ValueError(f"sigmoid k must be positive, got {k}")
    if isinstance(v_hat, np.ndarray):
        za = -(k * v_hat + bias)
        out: FloatArray = np.exp(-np.logaddexp(0.0, za))
        return out
    z = -(k * float(v_hat) + bias)
    if z >= 0:
        e = math.exp(-z)
        return e / (1.0 + e)
    return 1.0 / (1.0 + math.exp(z))


@overload
def inverse_sigmoid(p: float, k: float = DEFAULT_K, bias: float = 0.0) -> float: ...
@overload
def inverse_sigmoid(p: FloatArray, k: float = DEFAULT_K, bias: float = 0.0) -> FloatArray: ...
def inverse_sigmoid(p: float | FloatArray, k: float = DEFAULT_K, bias: float = 0.0) -> float | FloatArray:
    """v_hat = (log(p / (1 - p)) - bias) / k, the inverse of `calibrated_sigmoid` for p in (0, 1)."""
    if k <= 0:
        raise ValueError(f"sigmoid k must be positive, got {k}")
    if isinstance(p, np.ndarray):
        out: FloatArray = (np.log(p / (1.0 - p)) - bias) / k
        return out
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p}")
    return (math.log(p / (1.0 - p)) - bias) / k


def sigmoid_bounds(k: float = DEFAULT_K, bias: float = 0.0) -> tuple[float, float]:
    """The range of p reachable from v_hat in [-1, 1]: (sigmoid(-1), sigmoid(1))."""
    return calibrated_sigmoid(-1.0, k, bias), calibrated_sigmoid(1.0, k, bias)


def sigmoid_derivative(v_hat: float, k: float = DEFAULT_K, bias: float = 0.0) -> float:
    """dp / dv_hat = k * p * (1 - p): how fast p moves with the proxy score (largest where p = 0.5)."""
    p = calibrated_sigmoid(float(v_hat), k, bias)
    return k * p * (1.0 - p)


def effective_uncertainty_band(
    k: float = DEFAULT_K, threshold: float = 0.1, bias: float = 0.0
) -> tuple[float, float]:
    """(v_min, v_max): the v_hat interval where |p - 0.5| < threshold (the inverse sigmoid of
    0.5 -+ threshold); symmetric about 0 when bias = 0."""
    if not 0.0 < threshold < 0.5:
        raise ValueError(f"threshold must be in (0, 0.5), got {threshold}")
    return inverse_sigmoid(0.5 - threshold, k, bias), inverse_sigmoid(0.5 + threshold, k, bias)


def fit_sigmoid(
    v_hat: FloatArray, y: FloatArray, max_k: float = 100.0, max_iter: int = 100
) -> tuple[float, float]:
    """Maximum-likelihood (k, b) of P(y = 1 | v_hat) = sigmoid(k * v_hat + b): Platt scaling.

    Newton's method on the mean log loss, from k = 2, b = 0, with a tiny ridge on k (1e-6) so that
    outcomes the proxy separates perfectly still give a finite k; k is clipped to [1e-3, max_k] and b to
    [-50, 50]. Needs both outcomes among `y` (else there is nothing to fit): raises ValueError.
    """
    x = np.asarray(v_hat, dtype=np.float64)
    t = np.asarray(y, dtype=np.float64)
    if x.shape != t.shape or x.ndim != 1:
        raise ValueError("v_hat and y must be one-dimensional and of equal length")
    n_pos = float(t.sum())
    if n_pos == 0 or n_pos == t.shape[0]:
        raise ValueError("fitting a calibration needs both outcomes among the interactions")
    n = float(t.shape[0])
    ridge = 1e-6
    k, b = DEFAULT_K, 0.0
    for _ in range(max_iter):
        p = np.exp(-np.logaddexp(0.0, -(k * x + b)))
        r = p - t
        w = p * (1.0 - p)
        grad = np.array([float(r @ x) / n + ridge * k, float(r.sum()) / n])
        hess = np.array(
            [[float(w @ (x * x)) / n + ridge, float(w @ x) / n], [float(w @ x) / n, float(w.sum()) / n]]
        )
        try:
            step = np.linalg.solve(hess + 1e-12 * np.eye(2), grad)
        except np.linalg.LinAlgError:  # pragma: no cover - the ridge keeps the Hessian regular
            break
        k_new = min(max(k - float(step[0]), 1e-3), max_k)
        b_new = min(max(b - float(step[1]), -50.0), 50.0)
        done = abs(k_new - k) < 1e-9 and abs(b_new - b) < 1e-9
        k, b = k_new, b_new
        if done:
            break
    return k, b
