"""Designs: which parameter values a sweep runs.

grid      every combination of the parameters' values (the first parameter varies slowest)
random    `samples` points drawn uniformly (numpy, seeded by `design_seed`)
sobol     a scrambled Sobol sequence (`scipy.stats.qmc.Sobol`, seeded); a power of two of samples keeps
          its balance properties
lhs       a Latin hypercube (`scipy.stats.qmc.LatinHypercube`, seeded)
configs   named configurations, each a set of dotted paths (seed 002's 12-configuration sweep)

A point in the unit cube maps to a parameter's value through its range (linear, or log-uniform with
`log: true`; rounded down to an integer with `integer: true`, both ends included) or, for a parameter
given by values, to the value whose equal-width slot of [0, 1) it falls in.
"""

from __future__ import annotations

import inspect
import itertools
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from distsafe.experiments.spec import ParameterSpec, SweepSpec


def unit_points(design: str, n: int, d: int, seed: int) -> np.ndarray:
    """`n` points of [0, 1)^d of a random, sobol or lhs design."""
    if design == "random":
        return np.random.default_rng(seed).random((n, d))
    from scipy.stats import qmc

    cls = qmc.Sobol if design == "sobol" else qmc.LatinHypercube
    # scipy >= 1.15 takes rng=, older releases seed=
    key = "rng" if "rng" in inspect.signature(cls).parameters else "seed"
    engine = cls(d, **{key: seed})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Sobol's note that n is not a power of two
        return np.asarray(engine.random(n))


def value_at(param: ParameterSpec, u: float) -> Any:
    """The value of `param` at the unit coordinate `u` (0 <= u < 1)."""
    if param.values is not None:
        k = len(param.values)
        return param.values[min(k - 1, int(math.floor(u * k)))]
    assert param.range is not None
    lo, hi = param.range
    if param.integer:
        return int(min(math.floor(hi), math.floor(lo + u * (math.floor(hi) - lo + 1))))
    if param.log:
        return float(math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))))
    return float(lo + u * (hi - lo))


def design_points(spec: SweepSpec) -> list[tuple[str, dict[str, Any]]]:
    """[(config id, {dotted path: value})] in the design's order."""
    if spec.design == "configs":
        return [(c.name, dict(c.set)) for c in spec.configs]
    params: Sequence[ParameterSpec] = spec.parameters
    if spec.design == "grid":
        combos = list(itertools.product(*[p.values or [] for p in params]))
    else:
        assert spec.samples is not None
        u = unit_points(spec.design, spec.samples, len(params), spec.design_seed)
        combos = [tuple(value_at(p, float(x)) for p, x in zip(params, row)) for row in u]
    width = max(3, len(str(len(combos) - 1)))
    return [(f"c{i:0{width}d}", {p.name: v for p, v in zip(params, combo)}) for i, combo in enumerate(combos)]
