"""OrchestratorConfig: its top-level fields are those of SimulationConfig, EnvironmentConfig and
ReputationConfig."""

import pytest

from distsafe.core.config import EnvironmentConfig, OrchestratorConfig, ReputationConfig, SimulationConfig


def test_defaults():
    c = OrchestratorConfig()
    assert (c.n_epochs, c.steps_per_epoch, c.seed, c.scheduling) == (10, 10, 0, "round_robin")
    assert (c.observation_peers, c.max_concurrent_llm) == (10, 8)
    assert (c.initial_resources, c.initial_reputation) == (100.0, 0.0)
    assert (c.reputation_rate_initiator, c.reputation_rate_counterparty) == (0.1, 0.05)
    assert (c.scenario_id, c.governance_config, c.log_format, c.log_events) == ("custom", None, None, False)


def test_python_names_and_scenario_names_both_work():
    a = OrchestratorConfig(n_epochs=3, initial_resources=5.0, reputation_rate_initiator=0.3)
    b = OrchestratorConfig(epochs=3, initial_budget=5.0, rate_initiator=0.3)
    assert a == b
    dumped = a.model_dump(mode="json")  # what the event-log header holds: the Python names
    assert dumped["initial_resources"] == 5.0 and dumped["reputation_rate_initiator"] == 0.3
    assert dumped["n_epochs"] == 3 and "initial_budget" not in dumped
    assert OrchestratorConfig.model_validate(dumped) == a


def test_sections_and_bounds():
    for model in (SimulationConfig, EnvironmentConfig, ReputationConfig):
        assert set(model.model_fields) <= set(OrchestratorConfig.model_fields)
    for bad in (
        {"n_epochs": 0},
        {"initial_resources": -1},
        {"reputation_rate_counterparty": -0.1},
        {"scheduling": "fifo"},
        {"unknown": 1},
    ):
        with pytest.raises(ValueError):
            OrchestratorConfig(**bad)
