"""Circuit breaker: freezes after repeated violations, thaws, fires at its defaults in real runs."""

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.governance import CircuitBreakerLever, GovernanceConfig
from distsafe.models.agent import AgentType


def test_circuit_breaker_freezes_after_violations_and_thaws(make_table, make_ctx, make_batch):
    cfg = GovernanceConfig(
        circuit_breaker_enabled=True,
        freeze_threshold_toxicity=0.7,
        freeze_threshold_violations=3,
        freeze_duration_epochs=2,
    )
    lever = CircuitBreakerLever(cfg)
    t = make_table()
    c = make_ctx(t, epoch=4)
    # five toxic interactions in the first step (the minimum before violations count), then one per step
    first = make_batch(
        initiator=[0] * 5 + [1], counterparty=[2] * 5 + [3], p=[0.2] * 5 + [0.9], accepted=[True] * 6
    )
    toxic = make_batch(initiator=[0, 1], counterparty=[2, 3], p=[0.2, 0.9], accepted=[True, True])
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
        o = Orchestrator(
            OrchestratorConfig(
                n_epochs=5,
                steps_per_epoch=10,
                seed=seed,
                governance_config=GovernanceConfig(circuit_breaker_enabled=True),
            )
        )
        o.add_population("honest", 30)
        o.add_population("adversarial", 5)
        o.run()
        freezes += o.governance.get_lever("circuit_breaker").freezes
        frozen_types = set(o.agents.type_code[o.agents.frozen_until >= 0].tolist())
        assert frozen_types <= {AgentType.ADVERSARIAL.code}
    assert freezes >= 2
