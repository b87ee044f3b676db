"""Designs: grid order, seeded random / Sobol / LHS points, and the unit-to-value mapping."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import qmc

from distsafe.experiments.designs import design_points, unit_points, value_at
from distsafe.experiments.spec import ParameterSpec, SweepSpec


def _spec(design: str, **kw) -> SweepSpec:
    params = [
        ParameterSpec(name="governance.audit_probability", range=(0.1, 0.5)),
        ParameterSpec(name="governance.bandwidth_cap", range=(1, 10), integer=True),
        ParameterSpec(name="payoff.h", range=(0.01, 100), log=True),
    ]
    return SweepSpec(base="baseline", design=design, samples=16, design_seed=3, parameters=params, **kw)


def test_grid_order_first_parameter_slowest():
    spec = SweepSpec(
        base="baseline",
        parameters=[
            ParameterSpec(name="a.x", values=[1, 2]),
            ParameterSpec(name="a.y", values=["u", "v", "w"]),
        ],
    )
    pts = design_points(spec)
    assert [p[0] for p in pts] == [f"c{i:03d}" for i in range(6)]
    assert [(v["a.x"], v["a.y"]) for _, v in pts] == [
        (1, "u"),
        (1, "v"),
        (1, "w"),
        (2, "u"),
        (2, "v"),
        (2, "w"),
    ]


def test_lhs_is_a_latin_hypercube_and_seeded():
    u = unit_points("lhs", 16, 3, seed=3)
    # one point in each of the 16 equal slots of every axis
    for j in range(3):
        assert sorted(np.floor(u[:, j] * 16).astype(int).tolist()) == list(range(16))
    assert np.array_equal(u, unit_points("lhs", 16, 3, seed=3))
    assert not np.array_equal(u, unit_points("lhs", 16, 3, seed=4))


def test_sobol_points_are_scipys_and_balanced():
    u = unit_points("sobol", 16, 2, seed=5)
    assert qmc.discrepancy(u) < qmc.discrepancy(np.random.default_rng(5).random((16, 2)))
    for j in range(2):  # a scrambled Sobol set of 2^4 points has one point per 1/16 slot of each axis
        assert sorted(np.floor(u[:, j] * 16).astype(int).tolist()) == list(range(16))


def test_designs_map_into_the_ranges():
    for design in ("random", "sobol", "lhs"):
        pts = design_points(_spec(design))
        assert len(pts) == 16
        for _, v in pts:
            assert 0.1 <= v["governance.audit_probability"] < 0.5
            assert isinstance(v["governance.bandwidth_cap"], int) and 1 <= v["governance.bandwidth_cap"] <= 10
            assert 0.01 <= v["payoff.h"] < 100
        assert design_points(_spec(design)) == pts  # same design_seed, same points


@settings(max_examples=200, deadline=None)
@given(
    st.floats(min_value=-1e3, max_value=1e3),
    st.floats(min_value=1e-3, max_value=1e3),
    st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_value_at_properties(lo, width, u):
    hi = lo + width
    p = ParameterSpec(name="x.y", range=(lo, hi))
    assert lo <= value_at(p, u) <= hi
    ints = ParameterSpec(name="x.y", range=(math.floor(lo), math.floor(lo) + math.ceil(width)), integer=True)
    k = value_at(ints, u)
    assert isinstance(k, int) and ints.range[0] <= k <= ints.range[1]
    vals = ParameterSpec(name="x.y", values=["a", "b", "c"])
    assert value_at(vals, u) == "abc"[int(u * 3)]
    if lo > 0:
        lg = ParameterSpec(name="x.y", range=(lo, hi), log=True)
        assert lo * (1 - 1e-12) <= value_at(lg, u) <= hi * (1 + 1e-12)


def test_integer_range_reaches_both_ends():
    p = ParameterSpec(name="x.y", range=(1, 3), integer=True)
    assert [value_at(p, u) for u in (0.0, 0.34, 0.67, 0.999)] == [1, 2, 3, 3]
