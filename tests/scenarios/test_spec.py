"""ScenarioSpec: the seeds' format, whose blocks are the engine's own config models."""

import pytest

from distsafe.core.config import EnvironmentConfig, OrchestratorConfig, ReputationConfig, SimulationConfig
from distsafe.core.observables import ObservableConfig
from distsafe.core.payoff import PayoffConfig
from distsafe.core.proxy import ProxyConfig
from distsafe.env.feed import FeedConfig
from distsafe.env.state import RateLimits, SafetyConfig
from distsafe.env.tasks import TaskConfig
from distsafe.governance import GovernanceConfig
from distsafe.scenarios import ScenarioSpec, SimulationSpec, scenario_from_text


def test_seed_yaml_verbatim(seed_status_game):
    spec = scenario_from_text(seed_status_game)
    assert spec.n_agents == 5
    assert spec.governance.audit_probability == 0.15
    assert spec.payoff.w_rep == 2.0
    assert spec.simulation.seed == 123 and spec.simulation.n_epochs == 20


def test_plan_style_keys():
    spec = scenario_from_text("""
scenario_id: plan
motif: reputation_competition
agents:
  - {type: honest, count: 3, role: worker}
  - {type: adversarial, count: 1, role: poster}
environment: {initial_budget: 50.0}
reputation: {rate_initiator: 0.3}
governance: {transaction_tax_rate: 0.05, bandwidth_cap: 10}
simulation: {epochs: 4, steps_per_epoch: 10, seed: 42}
metrics_to_track: [toxicity_rate, quality_gap]
""")
    assert spec.simulation.n_epochs == 4
    assert spec.environment.initial_resources == 50.0 and spec.environment.initial_reputation == 0.0
    assert (
        spec.reputation.reputation_rate_initiator == 0.3
        and spec.reputation.reputation_rate_counterparty == 0.05
    )
    assert spec.metrics_to_track == ["toxicity_rate", "quality_gap"]
    assert [a.all_roles() for a in spec.agents] == [["worker"], ["poster"]]


def test_blocks_are_the_engine_models():
    blocks = {name: f.annotation for name, f in ScenarioSpec.model_fields.items()}
    assert blocks["governance"] is GovernanceConfig and blocks["payoff"] is PayoffConfig
    assert blocks["proxy"] is ProxyConfig and blocks["observables"] is ObservableConfig
    assert blocks["feed"] is FeedConfig and blocks["tasks"] is TaskConfig
    assert blocks["rate_limits"] is RateLimits and blocks["safety"] is SafetyConfig
    assert blocks["environment"] is EnvironmentConfig and blocks["reputation"] is ReputationConfig
    assert issubclass(SimulationSpec, SimulationConfig) and blocks["simulation"] is SimulationSpec
    # OrchestratorConfig declares none of the flat blocks' fields again
    for model in (SimulationConfig, EnvironmentConfig, ReputationConfig):
        assert issubclass(OrchestratorConfig, model)
        assert not set(model.model_fields) & set(OrchestratorConfig.__annotations__)


def test_simulation_block_defaults_are_the_engines():
    sim, engine = SimulationSpec(), OrchestratorConfig()
    for name in SimulationConfig.model_fields:
        assert getattr(sim, name) == getattr(engine, name), name
    assert (sim.n_epochs, sim.steps_per_epoch, sim.seed, sim.scheduling) == (10, 10, 0, "round_robin")
    assert sim.log_format == "jsonl" and engine.log_format is None  # the one difference, on purpose


def test_environment_and_reputation_use_the_seeds_names():
    env = EnvironmentConfig.model_validate({"initial_budget": 7.0})
    assert env.initial_resources == 7.0 and env.model_dump(by_alias=True) == {
        "initial_budget": 7.0,
        "initial_reputation": 0.0,
    }
    rep = ReputationConfig.model_validate({"rate_counterparty": 0.2})
    assert rep.model_dump(by_alias=True) == {"rate_initiator": 0.1, "rate_counterparty": 0.2}
    with pytest.raises(ValueError):  # the engine's names are not scenario keys
        EnvironmentConfig.model_validate({"initial_resources": 7.0})


def test_agent_entries_and_ids():
    spec = scenario_from_text(
        "scenario_id: x\nagents:\n  - {type: honest, count: 2, id_prefix: h}\n"
        "  - {type: honest, role: worker, roles: [verifier, worker]}\n"
    )
    assert spec.n_agents == 3
    assert [a.prefix() for a in spec.agents] == ["h", "honest"]
    assert spec.agents[1].all_roles() == ["worker", "verifier"]


def test_success_criteria_evaluate():
    spec = scenario_from_text(
        "scenario_id: x\nagents: [{type: honest}]\n"
        "success_criteria: {max_avg_toxicity: 0.3, min_epochs: 2, bad_actor_frozen: false}\n"
    )
    summary = {"avg_toxicity": 0.25, "epochs": 1, "frozen_ever": 0}
    got = spec.success_criteria.evaluate(summary, [{"toxicity_rate": 0.2}])
    assert [(name, ok) for name, ok, _ in got] == [
        ("max_avg_toxicity", True),
        ("min_epochs", False),
        ("bad_actor_frozen", True),
    ]
    assert got[0][2] == "0.25 <= 0.3"
