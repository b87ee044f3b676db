"""Reputation decay and vote normalization."""

import numpy as np
import pytest

from distsafe.governance import GovernanceConfig, ReputationDecayLever, VoteNormalizationLever


def test_reputation_decay(make_table, make_ctx):
    t = make_table()
    t.reputation[:] = [1.0, -2.0, 0.5, 0.0]
    ReputationDecayLever(GovernanceConfig(reputation_decay_rate=0.9)).on_epoch_start(make_ctx(t))
    assert np.allclose(t.reputation, [0.9, -1.8, 0.45, 0.0])


def test_vote_normalization_diminishes_and_caps(make_table, make_ctx):
    t = make_table()
    lever = VoteNormalizationLever(
        GovernanceConfig(vote_normalization_enabled=True, max_vote_weight_per_agent=2.0)
    )
    c = make_ctx(t)
    lever.on_epoch_start(c)
    weights = []
    for _ in range(6):
        w = lever.vote_weight(c, np.array([0]), np.ones(1))
        t.epoch_votes[0] += 1
        weights.append(float(w[0]))
    assert weights[0] == pytest.approx(1.0) and weights[1] == pytest.approx(1 / np.sqrt(2))
    assert sum(weights) == pytest.approx(2.0)  # capped
    assert weights[-1] == 0.0
