"""governance.collusion_signals: the binomial tail, the pair- and group-level reciprocal-harm signals, and
the detector's use of them (mutual favourites doing good work are not flagged; a ring trading harmful work
is, even where the network makes its frequency unremarkable)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from distsafe.governance import GovernanceConfig
from distsafe.governance.collusion import CollusionDetector
from distsafe.governance.collusion_signals import binom_tail, group_harm_z, harm_z
from distsafe.models.agent import AgentType
from distsafe.models.agent_table import AgentTable
from distsafe.models.columns import InteractionBatch


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 60), st.integers(0, 60), st.floats(0.001, 0.999))
def test_binom_tail_is_the_binomial_upper_tail(k: int, extra: int, b: float) -> None:
    n = k + extra
    got = float(binom_tail(np.array([float(k)]), np.array([float(n)]), b)[0])
    want = 1.0 if k <= 0 else float(stats.binom.sf(k - 1, n, b))
    assert abs(got - want) <= 1e-9 + 1e-7 * want


def test_harm_z_needs_both_directions() -> None:
    # pair 0: each side sends 12 harmful of 15; pair 1: only one side does (the other's work is good)
    h_ab, h_ba = np.array([12.0, 12.0]), np.array([12.0, 0.0])
    n = np.array([15.0, 15.0])
    z = harm_z(h_ab, h_ba, n, n, base=0.1, n_tests=100)
    assert z[0] > 4.0 and z[1] < 0.0


def test_group_pools_a_ring_no_pair_of_which_is_significant_alone() -> None:
    ring = [0, 1, 2, 3, 4, 5]
    lo = np.array([a for a in ring for b in ring if a < b] + [6, 7])
    hi = np.array([b for a in ring for b in ring if a < b] + [7, 8])
    m = lo.shape[0]
    h = np.where(np.arange(m) < 15, 3.0, 0.0)  # each ring pair: 3 harmful of 8 accepted, each way
    n = np.full(m, 8.0)
    alone = harm_z(h, h, n, n, base=0.08, n_tests=400)
    assert np.all(alone[:15] < 2.0)
    g = group_harm_z(lo, hi, h, h, n, n, base=0.08, n_agents=9)
    assert np.all(g[:15] > 4.0) and np.all(g[15:] == -40.0)


def _table(n: int) -> AgentTable:
    t = AgentTable()
    t.add(AgentType.HONEST, 0, prefix="a", count=n, resources=100.0, reputation=0.0)
    return t


def _batch(init: np.ndarray, cp: np.ndarray, p: np.ndarray) -> InteractionBatch:
    m = init.shape[0]
    b = InteractionBatch.from_columns(
        epoch=np.zeros(m, dtype=np.int64), step=np.zeros(m, dtype=np.int64), initiator=init.astype(np.int32),
        counterparty=cp.astype(np.int32), itype=np.zeros(m, dtype=np.int8), tau=np.zeros(m),
    )  # fmt: skip
    b.accepted = np.ones(m, dtype=bool)
    b.p, b.payoff_a, b.payoff_b = p, p * 1.0, p * 0.8
    return b


def test_mutual_favourites_are_not_flagged_and_a_harmful_ring_in_a_sparse_network_is() -> None:
    n, rounds = 60, 60
    rng = np.random.default_rng(3)
    det = CollusionDetector(GovernanceConfig(collusion_detection_enabled=True))
    ring = np.array([10, 11, 12, 13, 14])
    reach = np.full(n, 6.0)  # a sparse network: six neighbours each, the ring's members joined
    for _ in range(rounds):
        init = np.arange(n)
        cp = (init + rng.integers(1, 6, n)) % n  # honest: among the nearest neighbours
        cp[0], cp[1] = 1, 0  # agents 0 and 1: each other's favourite, always
        for i in ring:  # ring members: uniform among the other members (no more than the network predicts)
            others = ring[ring != i]
            cp[i] = others[rng.integers(0, others.size)]
        p = rng.uniform(0.6, 0.95, n)
        p[ring] = np.where(rng.random(ring.size) < 0.5, rng.uniform(0.1, 0.45, ring.size), p[ring])
        det.record(_batch(init, cp, p))
    report = det.detect(_table(n), reach)
    flagged = {int(a.split("_")[1]) - 1 for a in report.flagged_agents}
    assert flagged == set(ring.tolist())
