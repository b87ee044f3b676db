"""Random audit: penalty formula, stake slash, audit rate."""

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
    # with staking on, a caught agent is also slashed
    slash = RandomAuditLever(
        cfg.model_copy(update={"staking_enabled": True, "min_stake_to_participate": 20.0})
    )
    b2 = make_batch(initiator=[0], counterparty=[1], p=[0.2], accepted=[True])
    slash.on_interactions(make_ctx(make_table()), b2)
    assert b2.c_a[0] == pytest.approx(0.6 + 0.1 * 20.0)


def test_audit_probability_is_respected(make_table, make_ctx, make_batch):
    lever = RandomAuditLever(GovernanceConfig(audit_enabled=True, audit_probability=0.2))
    n = 20_000
    b = make_batch(
        initiator=np.zeros(n, int), counterparty=np.ones(n, int), p=np.full(n, 0.1), accepted=np.ones(n, bool)
    )
    lever.on_interactions(make_ctx(make_table(), seed=3), b)
    assert abs(lever.audits / n - 0.2) < 0.015
