"""The builder: one conversion from a scenario to OrchestratorConfig, and the orchestrator it builds."""

from pathlib import Path

import pytest

from distsafe.core.config import EnvironmentConfig, OrchestratorConfig, ReputationConfig, SimulationConfig
from distsafe.governance.registry import enabled_levers
from distsafe.scenarios import (
    ScenarioError,
    build_orchestrator,
    list_scenarios,
    load_and_build,
    load_scenario,
    orchestrator_config,
    scenario_from_text,
)
from distsafe.scenarios.builder import FLAT_SECTIONS, SECTIONS

RUN_OPTIONS = {"llm_recording_path", "llm_replay"}


def _hand_copied(spec, log_path=None, log_format=None):
    """The field-by-field copy the builder used to make; the conversion must give the same config."""
    sim, gov = spec.simulation, spec.governance
    return OrchestratorConfig(
        n_epochs=sim.n_epochs,
        steps_per_epoch=sim.steps_per_epoch,
        seed=sim.seed,
        scheduling=sim.scheduling,
        scenario_id=spec.scenario_id,
        governance_config=gov if enabled_levers(gov) else None,
        payoff_config=spec.payoff,
        proxy_config=spec.proxy,
        observable_config=spec.observables,
        feed_config=spec.feed,
        task_config=spec.tasks,
        rate_limits=spec.rate_limits,
        safety=spec.safety,
        reputation_rate_initiator=spec.reputation.reputation_rate_initiator,
        reputation_rate_counterparty=spec.reputation.reputation_rate_counterparty,
        initial_resources=spec.environment.initial_resources,
        initial_reputation=spec.environment.initial_reputation,
        observation_peers=sim.observation_peers,
        max_concurrent_llm=sim.max_concurrent_llm,
        log_path=log_path,
        log_events=log_path is not None,
        log_format=log_format or sim.log_format,
        # seed 001's social structure (issue 12)
        network_config=spec.network,
        composite_task_config=spec.composite_tasks,
        enable_composite_tasks=gov.composite_tasks_enabled or spec.composite_tasks is not None,
        # seed 003's order book (issue 13)
        hfn_config=spec.hfn,
        # seed 003's Dworkin auction and mission economy (issue 13)
        auction_config=spec.auction,
        mission_config=spec.missions,
        # seed 002's marketplace (issue 13)
        market_config=spec.marketplace,
        # seed 002's Moltbook motifs (issue 13)
        motif_config=spec.motifs,
        # seed 003's identity and permeability components (issue 13)
        identity_config=spec.identity,
        permeability_config=spec.permeability,
    )


def test_every_engine_field_comes_from_the_scenario_or_is_a_run_option():
    flat = set().union(*(m.model_fields for m in FLAT_SECTIONS.values()))
    assert flat == set(SimulationConfig.model_fields) | set(EnvironmentConfig.model_fields) | set(
        ReputationConfig.model_fields
    )
    covered = (
        flat
        | set(SECTIONS.values())
        | {"scenario_id", "governance_config", "log_path", "log_events", "log_format"}
        | {
            "metrics_to_track",
            "limits",
            "enable_composite_tasks",
        }  # the scenario's metrics_to_track; its limits: over the caps in force; composite tasks: the
        # governance switch or the composite_tasks: block
    )
    assert set(OrchestratorConfig.model_fields) == covered | RUN_OPTIONS


@pytest.mark.parametrize("name", sorted(list_scenarios()))
def test_conversion_equals_the_old_hand_copy(name, tmp_path):
    spec = load_scenario(
        name,
        ["environment.initial_budget=55", "reputation.rate_initiator=0.2", "simulation.observation_peers=4"],
    )
    assert orchestrator_config(spec) == _hand_copied(spec)
    log = tmp_path / "events.parquet.d"
    got = orchestrator_config(spec, log, "parquet")
    assert got == _hand_copied(spec, log, "parquet")
    assert got.model_dump(mode="json") == _hand_copied(spec, log, "parquet").model_dump(mode="json")


def test_conversion_values(seed_status_game):
    spec = scenario_from_text(seed_status_game)
    cfg = orchestrator_config(spec)
    assert (cfg.scenario_id, cfg.n_epochs, cfg.steps_per_epoch, cfg.seed) == ("status_game", 20, 15, 123)
    assert cfg.payoff_config is spec.payoff and cfg.governance_config is spec.governance
    assert cfg.initial_resources == 100.0 and cfg.reputation_rate_initiator == 0.1
    assert cfg.governance_config.audit_probability == 0.15


def test_the_deliberate_differences_from_the_engine_defaults():
    spec = scenario_from_text("scenario_id: plain\nagents: [{type: honest}]\n")
    cfg, engine = orchestrator_config(spec), OrchestratorConfig()
    assert (cfg.scenario_id, engine.scenario_id) == ("plain", "custom")
    assert cfg.governance_config is None and engine.governance_config is None
    assert (cfg.log_format, engine.log_format) == ("jsonl", None)
    assert cfg.log_events is False and cfg.log_path is None
    differ = {k for k, v in cfg.model_dump().items() if engine.model_dump()[k] != v}
    assert differ == {"scenario_id", "log_format"}
    logged = orchestrator_config(spec, Path("run/events.jsonl"))
    assert logged.log_events is True and logged.log_path == Path("run/events.jsonl")


def test_run_options_pass_through():
    spec = scenario_from_text("scenario_id: x\nagents: [{type: honest}]\nsimulation: {log_format: parquet}\n")
    cfg = orchestrator_config(spec, llm_replay=True, llm_recording_path=Path("rec.jsonl"))
    assert (
        cfg.llm_replay is True and cfg.llm_recording_path == Path("rec.jsonl") and cfg.log_format == "parquet"
    )
    assert orchestrator_config(spec, log_format="jsonl").log_format == "jsonl"


def test_build_populations_roles_and_start_values():
    spec = scenario_from_text("""
scenario_id: plan
agents:
  - {type: honest, count: 3, role: worker}
  - {type: adversarial, count: 1, role: poster}
environment: {initial_budget: 50.0}
governance: {transaction_tax_rate: 0.05, bandwidth_cap: 10}
""")
    o = build_orchestrator(spec)
    assert len(o.agents) == 4 and float(o.agents.resources[0]) == 50.0
    assert o.groups[0].policy.roles == ["worker"]
    assert [lv.name for lv in o.governance.levers] == ["bandwidth_cap", "transaction_tax"]


def test_shipped_scenarios_load_and_build():
    names = set(list_scenarios())
    assert {"baseline", "status_game", "strict_governance"} <= names
    for name in ("baseline", "status_game", "strict_governance"):
        o = load_and_build(name, overrides=["simulation.n_epochs=2"])
        assert len(o.agents) == 5
        ms = o.run()
        assert len(ms) == 2


def test_bad_params_name_the_agent_entry():
    # checked when the scenario loads (issue 9), so the error carries the line
    with pytest.raises(
        ScenarioError, match=r"^<scenario>:2: agents\.0\.params: effort: .*less than or equal to 1"
    ):
        scenario_from_text("scenario_id: x\nagents: [{type: honest, params: {effort: 2}}]\n")
