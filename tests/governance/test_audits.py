"""Random audit: penalty formula, findings, audit rate, per-target audit odds."""

import numpy as np
import pytest

from distsafe.governance import GovernanceConfig, RandomAuditLever


def test_random_audit_penalty_formula(make_table, make_ctx, make_batch):
    cfg = GovernanceConfig(
        audit_enabled=True, audit_probability=1.0, audit_threshold_p=0.5, audit_penalty_multiplier=2.0
    )
    lever = RandomAuditLever(cfg)
    b = make_batch(
        initiator=[0, 1, 2], counterparty=[1, 2, 3], p=[0.2, 0.7, 0.3], accepted=[True, True, False]
    )
    c = make_ctx(make_table())
    lever.on_interactions(c, b)
    assert np.allclose(b.c_a, [0.6, 0.0, 0.0])
    assert lever.caught == 1 and len(c.events) == 1
    assert lever.stats() == {"audits": 2.0, "audits_failed": 1.0, "audit_penalties": pytest.approx(0.6)}
    # the failed audit is a finding (the staking lever slashes it: tests/governance/test_admission.py)
    assert [f.tolist() for f in c.findings] == [[0]]


def test_audit_probability_is_respected(make_table, make_ctx, make_batch):
    lever = RandomAuditLever(GovernanceConfig(audit_enabled=True, audit_probability=0.2))
    n = 20_000
    b = make_batch(
        initiator=np.zeros(n, int), counterparty=np.ones(n, int), p=np.full(n, 0.1), accepted=np.ones(n, bool)
    )
    lever.on_interactions(make_ctx(make_table(), seed=3), b)
    assert abs(lever.audits / n - 0.2) < 0.015


def test_audit_odds_depend_on_the_target(make_table, make_ctx, make_batch):
    """Interactions with a counterparty of reputation >= audit_watch_min_reputation are audited at
    audit_probability_watched, the others at audit_probability."""
    cfg = GovernanceConfig(
        audit_enabled=True,
        audit_probability=0.1,
        audit_probability_watched=0.6,
        audit_watch_min_reputation=1.0,
    )
    lever = RandomAuditLever(cfg)
    t = make_table()
    t.reputation[:] = [0.0, 1.0, 0.99, 3.0]
    assert np.allclose(lever.probability(make_ctx(t), np.arange(4)), [0.1, 0.6, 0.1, 0.6])
    n = 20_000
    for target, want in ((1, 0.6), (2, 0.1)):
        lv = RandomAuditLever(cfg)
        b = make_batch(initiator=np.zeros(n, int), counterparty=np.full(n, target), p=np.full(n, 0.9),
                       accepted=np.ones(n, bool))  # fmt: skip
        lv.on_interactions(make_ctx(t, seed=5), b)
        assert abs(lv.audits / n - want) < 0.015
    # unset: every target alike, the same draws as before the per-target rule existed
    plain = RandomAuditLever(GovernanceConfig(audit_enabled=True, audit_probability=0.1))
    assert plain.probability(make_ctx(t), np.arange(4)) == 0.1
