"""metrics.community: partitioning, modularity, the adoption forest's R0 and cascade sizes."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.metrics import community as c


@st.composite
def forests(draw: st.DrawFn) -> np.ndarray:
    n = draw(st.integers(1, 60))
    return np.array([draw(st.integers(-1, i - 1)) for i in range(n)], dtype=np.int64)


def _children(parent: np.ndarray) -> list[list[int]]:
    kids: list[list[int]] = [[] for _ in parent]
    for i, p in enumerate(parent.tolist()):
        if p >= 0:
            kids[p].append(i)
    return kids


def _tree_size(kids: list[list[int]], root: int) -> int:
    stack, n = [root], 0
    while stack:
        n += 1
        stack.extend(kids[stack.pop()])
    return n


@settings(max_examples=150, deadline=None)
@given(forests())
def test_cascades_and_r0_are_their_definitions(parent: np.ndarray) -> None:
    kids = _children(parent)
    seeds = [i for i, p in enumerate(parent.tolist()) if p == -1]
    sizes = c.cascade_sizes(parent)
    assert sizes.tolist() == [_tree_size(kids, s) for s in seeds]
    assert int(sizes.sum()) == parent.shape[0]  # every adopter is in exactly one cascade
    assert c.r0(parent) == pytest.approx(float(np.mean([len(kids[s]) for s in seeds])))
    assert c.mean_offspring(parent) == pytest.approx(float(np.mean([len(k) for k in kids])))
    assert c.offspring(parent).tolist() == [len(k) for k in kids]


def test_forest_values() -> None:
    parent = np.array([-1, 0, 0, 1, -1, 4, -1])
    assert c.cascade_sizes(parent).tolist() == [4, 2, 1]
    assert c.roots_of(parent).tolist() == [0, 0, 0, 0, 4, 4, 6]
    assert c.r0(parent) == pytest.approx(1.0)  # seeds 0, 4, 6 have 2, 1, 0 children
    assert c.mean_offspring(parent) == pytest.approx(4 / 7)


def test_forest_rejects_a_parent_after_its_child() -> None:
    with pytest.raises(ValueError, match="earlier node"):
        c.cascade_sizes(np.array([-1, 2, 0]))


def _planted(k: int, m: int, bridges: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    src, dst = [], []
    for b in range(k):
        for i in range(m):
            for j in range(i + 1, m):
                src.append(b * m + i)
                dst.append(b * m + j)
    for b in range(min(bridges, k - 1)):
        src.append(b * m)
        dst.append((b + 1) * m + 1)
    truth = np.repeat(np.arange(k), m)
    return np.array(src), np.array(dst), truth


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 6), st.integers(4, 9), st.integers(0, 5))
def test_partitioning_recovers_planted_communities(k: int, m: int, bridges: int) -> None:
    src, dst, truth = _planted(k, m, bridges)
    labels = c.label_propagation(k * m, src, dst)
    # the same partition: one label per block, different blocks different labels
    assert len(set(labels.tolist())) == k
    for b in range(k):
        assert len(set(labels[truth == b].tolist())) == 1


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 25), st.data())
def test_modularity_in_range_and_equal_to_networkx(n: int, data: st.DataObject) -> None:
    m = data.draw(st.integers(1, 60))
    src = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)))
    dst = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)))
    labels = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    q = c.modularity(n, src, dst, labels)
    keep = src != dst
    if not keep.any():
        assert math.isnan(q)
        return
    assert -0.5 - 1e-12 <= q <= 1 + 1e-12
    g = nx.MultiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(src[keep].tolist(), dst[keep].tolist()))
    parts = [set(np.flatnonzero(labels == lab).tolist()) for lab in np.unique(labels)]
    assert q == pytest.approx(nx.community.modularity(g, parts), abs=1e-9)


def test_modularity_value_two_triangles() -> None:
    src = np.array([0, 1, 2, 3, 4, 5, 2])
    dst = np.array([1, 2, 0, 4, 5, 3, 3])
    labels = c.label_propagation(6, src, dst)
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]
    # m = 7; each triangle: L_c = 3, d_c = 7: Q = 2 * (3/7 - (7/14)^2) = 5/14
    assert c.modularity(6, src, dst, labels) == pytest.approx(5 / 14)


def test_bad_edges_rejected() -> None:
    with pytest.raises(ValueError, match="rows 0..2"):
        c.label_propagation(3, np.array([0]), np.array([3]))
    with pytest.raises(ValueError, match="finite"):
        c.modularity(3, np.array([0]), np.array([1]), np.zeros(3, int), np.array([np.nan]))


def test_entropy_polarization_consensus_values() -> None:
    assert c.shannon_entropy(np.array([5, 5])) == pytest.approx(1.0)
    assert c.shannon_entropy(np.array([7])) == 0.0
    assert math.isnan(c.shannon_entropy(np.zeros(3)))
    assert c.polarization(np.array([-1.0, -1.0, 1.0, 1.0])) == pytest.approx(1.0)
    assert c.polarization(np.full(5, 0.3)) == pytest.approx(0.0, abs=1e-12)
    assert c.consensus(np.array([0.0, 0.1, 0.2, 0.9])) == pytest.approx(0.75)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1, 1), min_size=2, max_size=40))
def test_polarization_is_mean_abs_difference(xs: list[float]) -> None:
    x = np.array(xs)
    brute = float(np.abs(x[:, None] - x[None, :]).mean())
    assert c.polarization(x) == pytest.approx(brute, abs=1e-9)
    assert 0.0 <= c.polarization(x) <= 1.0 + 1e-12
