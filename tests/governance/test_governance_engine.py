"""GovernanceEngine: builds the enabled levers in the registry's order and runs their hooks."""

import numpy as np
import pytest

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.core.payoff import PayoffConfig
from distsafe.governance import GovernanceConfig, GovernanceEngine, GovernanceLever

EVERY_LEVER = GovernanceConfig(
    transaction_tax_rate=0.1,
    audit_enabled=True,
    staking_enabled=True,
    circuit_breaker_enabled=True,
    reputation_decay_rate=0.9,
    vote_normalization_enabled=True,
    bandwidth_cap=5,
)


def test_engine_builds_only_enabled_levers_and_costs_reach_payoffs():
    assert GovernanceEngine(GovernanceConfig()).levers == []
    assert GovernanceEngine(None).levers == []
    eng = GovernanceEngine(EVERY_LEVER)
    assert {lv.name for lv in eng.levers} == {
        "transaction_tax",
        "random_audit",
        "staking",
        "circuit_breaker",
        "reputation_decay",
        "vote_normalization",
        "bandwidth_cap",
    }

    def run(gov):
        # effort and gaming cost off: c_a and c_b then hold the governance costs alone
        cfg = OrchestratorConfig(n_epochs=3, steps_per_epoch=10, seed=4, governance_config=gov,
                                 payoff_config=PayoffConfig(effort_cost=0.0, gaming_cost=0.0))  # fmt: skip
        o = Orchestrator(cfg)
        o.add_population("honest", 20)
        o.add_population("adversarial", 5)
        got = []
        o.interaction_sink = got.append
        o.run()
        return got

    off = run(None)
    on = run(GovernanceConfig(transaction_tax_rate=0.2))
    assert sum(float(b.c_a.sum() + b.c_b.sum()) for b in off) == 0.0
    tax = sum(float((b.c_a + b.c_b).sum()) for b in on)
    # the agents see the tax, so the interactions differ; the costs are exactly the tax on what was accepted
    assert tax > 0.0
    assert tax == pytest.approx(sum(0.2 * float(np.abs(b.tau[b.accepted]).sum()) for b in on))


def test_engine_applies_levers_in_the_fixed_order():
    """Hooks run, and random numbers are drawn, in this order; the golden logs depend on it."""
    assert [lv.name for lv in GovernanceEngine(EVERY_LEVER).levers] == [
        "reputation_decay",
        "vote_normalization",
        "bandwidth_cap",
        "staking",
        "transaction_tax",
        "random_audit",
        "circuit_breaker",
    ]


class _Recorder(GovernanceLever):
    name = "recorder"

    def __init__(self, log: list[str], allow: bool) -> None:
        self.log = log
        self.allow = allow

    def can_act(self, ctx, agents):
        self.log.append("can_act")
        return np.full(agents.shape[0], self.allow)

    def vote_weight(self, ctx, voters, weights):
        return weights * 0.5

    def stats(self):
        return {"recorded": float(len(self.log))}


def test_extra_levers_run_after_the_configured_ones(make_table, make_ctx):
    log: list[str] = []
    eng = GovernanceEngine(GovernanceConfig(bandwidth_cap=2), extra_levers=[_Recorder(log, allow=True)])
    eng.add_lever(_Recorder(log, allow=False))
    assert [lv.name for lv in eng.levers] == ["bandwidth_cap", "recorder", "recorder"]
    assert eng.get_lever("recorder") is eng.levers[1] and eng.get_lever("staking") is None
    t = make_table()
    t.epoch_actions[:] = [0, 2, 1, 3]
    c = make_ctx(t)
    assert eng.can_act(c, np.arange(4)).tolist() == [False] * 4  # the second recorder blocks everyone
    assert log == ["can_act", "can_act"]
    assert eng.vote_weight(c, np.arange(2)).tolist() == [0.25, 0.25]
    assert eng.stats() == {"bandwidth_blocked_actions": 2.0, "recorded": 2.0}
