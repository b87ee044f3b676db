"""Calibrated sigmoid p = 1 / (1 + exp(-k * v_hat)) and its inverse, scalar or vectorized."""

from __future__ import annotations

import math
from typing import overload

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

DEFAULT_K = 2.0


@overload
def calibrated_sigmoid(v_hat: float, k: float = DEFAULT_K) -> float: ...
@overload
def calibrated_sigmoid(v_hat: FloatArray, k: float = DEFAULT_K) -> FloatArray: ...
def calibrated_sigmoid(v_hat: float | FloatArray, k: float = DEFAULT_K) -> float | FloatArray:
    """p = 1 / (1 + exp(-k * v_hat)). Accepts a float or a numpy array; numerically stable."""
    if k <= 0:
        raise ValueError(f"sigmoid k must be positive, got {k}")
    if isinstance(v_hat, np.ndarray):
        za = -k * v_hat
        out: FloatArray = np.exp(-np.logaddexp(0.0, za))
        return out
    z = -k * float(v_hat)
    if z >= 0:
        e = math.exp(-z)
        return e / (1.0 + e)
    return 1.0 / (1.0 + math.exp(z))


@overload
def inverse_sigmoid(p: float, k: float = DEFAULT_K) -> float: ...
@overload
def inverse_sigmoid(p: FloatArray, k: float = DEFAULT_K) -> FloatArray: ...
def inverse_sigmoid(p: float | FloatArray, k: float = DEFAULT_K) -> float | FloatArray:
    """v_hat = log(p / (1 - p)) / k, the inverse of `calibrated_sigmoid` for p in (0, 1)."""
    if k <= 0:
        raise ValueError(f"sigmoid k must be positive, got {k}")
    if isinstance(p, np.ndarray):
        out: FloatArray = np.log(p / (1.0 - p)) / k
        return out
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p}")
    return math.log(p / (1.0 - p)) / k


def sigmoid_bounds(k: float = DEFAULT_K) -> tuple[float, float]:
    """The range of p reachable from v_hat in [-1, 1]: (sigmoid(-1), sigmoid(1))."""
    return calibrated_sigmoid(-1.0, k), calibrated_sigmoid(1.0, k)
