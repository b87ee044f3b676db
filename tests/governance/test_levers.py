"""Each lever does what it claims, on hand-made batches and inside the engine."""

import numpy as np
import pytest

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.governance import (
    BandwidthCapLever,
    CircuitBreakerLever,
    GovernanceConfig,
    GovernanceContext,
    GovernanceEngine,
    RandomAuditLever,
    ReputationDecayLever,
    StakingLever,
    TransactionTaxLever,
    VoteNormalizationLever,
)
from distsafe.models.agent import AgentType
from distsafe.models.agent_table import AgentTable
from distsafe.models.columns import InteractionBatch


def table(n=4, resources=100.0):
    t = AgentTable()
    t.add(AgentType.HONEST, 0, prefix="a", count=n, resources=resources)
    return t


def ctx(t, epoch=0, seed=0):
    return GovernanceContext(agents=t, epoch=epoch, step=0, rng=np.random.default_rng(seed))


def batch(**cols):
    return InteractionBatch.from_columns(**cols)


def test_transaction_tax_split():
    lever = TransactionTaxLever(GovernanceConfig(transaction_tax_rate=0.1, transaction_tax_split=0.25))
    b = batch(initiator=[0, 1, 2], counterparty=[1, 2, 3], tau=[2.0, -4.0, 3.0], accepted=[True, True, False])
    lever.on_interactions(ctx(table()), b)
    assert np.allclose(b.c_a, [0.05, 0.1, 0.0])
    assert np.allclose(b.c_b, [0.15, 0.3, 0.0])
    assert lever.collected == pytest.approx(0.6)


def test_reputation_decay():
    t = table()
    t.reputation[:] = [1.0, -2.0, 0.5, 0.0]
    ReputationDecayLever(GovernanceConfig(reputation_decay_rate=0.9)).on_epoch_start(ctx(t))
    assert np.allclose(t.reputation, [0.9, -1.8, 0.45, 0.0])


def test_vote_normalization_diminishes_and_caps():
    t = table()
    lever = VoteNormalizationLever(GovernanceConfig(vote_normalization_enabled=True, max_vote_weight_per_agent=2.0))
    c = ctx(t)
    lever.on_epoch_start(c)
    weights = []
    for _ in range(6):
        w = lever.vote_weight(c, np.array([0]), np.ones(1))
        t.epoch_votes[0] += 1
        weights.append(float(w[0]))
    assert weights[0] == pytest.approx(1.0) and weights[1] == pytest.approx(1 / np.sqrt(2))
    assert sum(weights) == pytest.approx(2.0)  # capped
    assert weights[-1] == 0.0


def test_staking_and_bandwidth_block():
    t = table()
    t.resources[:] = [5.0, 50.0, 10.0, 9.99]
    mask = StakingLever(GovernanceConfig(staking_enabled=True, min_stake_to_participate=10)).can_act(
        ctx(t), np.arange(4))
    assert mask.tolist() == [False, True, True, False]
    t.epoch_actions[:] = [0, 3, 2, 5]
    mask = BandwidthCapLever(GovernanceConfig(bandwidth_cap=3)).can_act(ctx(t), np.arange(4))
    assert mask.tolist() == [True, False, True, False]


def test_random_audit_penalty_formula():
    cfg = GovernanceConfig(audit_enabled=True, audit_probability=1.0, audit_threshold_p=0.5,
                           audit_penalty_multiplier=2.0)
    lever = RandomAuditLever(cfg)
    b = batch(initiator=[0, 1, 2], counterparty=[1, 2, 3], p=[0.2, 0.7, 0.3], accepted=[True, True, False])
    c = ctx(table())
    lever.on_interactions(c, b)
    assert np.allclose(b.c_a, [0.6, 0.0, 0.0])
    assert lever.caught == 1 and len(c.events) == 1
    # with staking on, a caught agent is also slashed
    slash = RandomAuditLever(cfg.model_copy(update={"staking_enabled": True, "min_stake_to_participate": 20.0}))
    b2 = batch(initiator=[0], counterparty=[1], p=[0.2], accepted=[True])
    slash.on_interactions(ctx(table()), b2)
    assert b2.c_a[0] == pytest.approx(0.6 + 0.1 * 20.0)


def test_audit_probability_is_respected():
    lever = RandomAuditLever(GovernanceConfig(audit_enabled=True, audit_probability=0.2))
    n = 20_000
    b = batch(initiator=np.zeros(n, int), counterparty=np.ones(n, int), p=np.full(n, 0.1),
              accepted=np.ones(n, bool))
    lever.on_interactions(ctx(table(), seed=3), b)
    assert abs(lever.audits / n - 0.2) < 0.015


def test_circuit_breaker_freezes_after_violations_and_thaws():
    cfg = GovernanceConfig(circuit_breaker_enabled=True, freeze_threshold_toxicity=0.7,
                           freeze_threshold_violations=3, freeze_duration_epochs=2)
    lever = CircuitBreakerLever(cfg)
    t = table()
    c = ctx(t, epoch=4)
    # five toxic interactions in the first step (the minimum before violations count), then one per step
    first = batch(initiator=[0] * 5 + [1], counterparty=[2] * 5 + [3], p=[0.2] * 5 + [0.9], accepted=[True] * 6)
    toxic = batch(initiator=[0, 1], counterparty=[2, 3], p=[0.2, 0.9], accepted=[True, True])
    for step in range(3):
        lever.after_payoffs(c, first if step == 0 else toxic)
        assert (t.frozen_until[0] > 4) == (step == 2)
    assert t.frozen_until[0] == 6 and t.frozen_until[1] == -1
    assert t.frozen_mask(5)[0] and not t.frozen_mask(6)[0]


def test_default_circuit_breaker_can_fire_in_the_real_range_of_p():
    """At its defaults (threshold 0.7) the breaker freezes real adversaries in real runs, and never an
    honest agent."""
    freezes = 0
    for seed in range(4):
        o = Orchestrator(OrchestratorConfig(n_epochs=5, steps_per_epoch=10, seed=seed,
                                            governance_config=GovernanceConfig(circuit_breaker_enabled=True)))
        o.add_population("honest", 30)
        o.add_population("adversarial", 5)
        o.run()
        freezes += o.governance.get_lever("circuit_breaker").freezes
        frozen_types = set(o.agents.type_code[o.agents.frozen_until >= 0].tolist())
        assert frozen_types <= {AgentType.ADVERSARIAL.code}
    assert freezes >= 2


def test_engine_builds_only_enabled_levers_and_costs_reach_payoffs():
    assert GovernanceEngine(GovernanceConfig()).levers == []
    eng = GovernanceEngine(GovernanceConfig(transaction_tax_rate=0.1, audit_enabled=True, staking_enabled=True,
                                            circuit_breaker_enabled=True, reputation_decay_rate=0.9,
                                            vote_normalization_enabled=True, bandwidth_cap=5))
    assert {lv.name for lv in eng.levers} == {"transaction_tax", "random_audit", "staking", "circuit_breaker",
                                               "reputation_decay", "vote_normalization", "bandwidth_cap"}

    def run(gov):
        o = Orchestrator(OrchestratorConfig(n_epochs=3, steps_per_epoch=10, seed=4, governance_config=gov))
        o.add_population("honest", 20)
        o.add_population("adversarial", 5)
        got = []
        o.interaction_sink = got.append
        o.run()
        return got

    off = run(None)
    on = run(GovernanceConfig(transaction_tax_rate=0.2))
    assert sum(float(b.c_a.sum() + b.c_b.sum()) for b in off) == 0.0
    assert sum(float(b.c_a.sum() + b.c_b.sum()) for b in on) > 0.0
    # the tax lever draws no randomness: the same interactions happen, only the costs differ
    assert np.array_equal(off[0].p, on[0].p)
    w_off = sum(float((b.payoff_a + b.payoff_b).sum()) for b in off)
    w_on = sum(float((b.payoff_a + b.payoff_b).sum()) for b in on)
    tax = sum(float((b.c_a + b.c_b).sum()) for b in on)
    assert w_on == pytest.approx(w_off - tax)


def test_staking_blocks_broke_agents_in_a_run():
    o = Orchestrator(OrchestratorConfig(n_epochs=2, steps_per_epoch=5, seed=0, initial_resources=5.0,
                                        governance_config=GovernanceConfig(staking_enabled=True,
                                                                           min_stake_to_participate=10.0)))
    o.add_population("honest", 10)
    ms = o.run()
    assert all(m.n_interactions == 0 for m in ms)
    assert o.governance.get_lever("staking").blocked == 10 * 10


def test_governance_config_rejects_bad_values():
    for bad in ({"transaction_tax_rate": 1.5}, {"audit_probability": -0.1}, {"freeze_threshold_violations": 0},
                {"bandwidth_cap": 0}, {"no_such_lever": True}):
        with pytest.raises(ValueError):
            GovernanceConfig(**bad)
