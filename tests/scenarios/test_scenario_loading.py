"""Scenario YAML: the seeds' format, validation errors with field path and line, overrides."""

import pytest

from distsafe.scenarios import ScenarioError, list_scenarios, load_and_build, load_scenario, scenario_from_text

SEED_STATUS_GAME = """
scenario_id: status_game
description: "Reputation competition with governance"

agents:
  - type: honest
    count: 2
  - type: opportunistic
    count: 2
  - type: adversarial
    count: 1

governance:
  transaction_tax_rate: 0.05
  reputation_decay_rate: 0.95
  staking_enabled: true
  min_stake_to_participate: 10.0
  circuit_breaker_enabled: true
  freeze_threshold_toxicity: 0.6
  audit_enabled: true
  audit_probability: 0.15

simulation:
  n_epochs: 20
  steps_per_epoch: 15
  seed: 123

payoff:
  s_plus: 3.0
  s_minus: 1.5
  h: 2.5
  theta: 0.5
  w_rep: 2.0
"""


def test_seed_yaml_verbatim():
    spec = scenario_from_text(SEED_STATUS_GAME)
    assert spec.n_agents == 5
    assert spec.governance.audit_probability == 0.15
    assert spec.payoff.w_rep == 2.0
    assert spec.simulation.seed == 123


def test_shipped_scenarios_load_and_build():
    names = set(list_scenarios())
    assert {"baseline", "status_game", "strict_governance"} <= names
    for name in ("baseline", "status_game", "strict_governance"):
        o = load_and_build(name, overrides=["simulation.n_epochs=2"])
        assert len(o.agents) == 5
        ms = o.run()
        assert len(ms) == 2


def test_plan_style_keys():
    spec = scenario_from_text("""
scenario_id: plan
motif: reputation_competition
agents:
  - {type: honest, count: 3, role: worker}
  - {type: adversarial, count: 1, role: poster}
environment: {initial_budget: 50.0}
governance: {transaction_tax_rate: 0.05, bandwidth_cap: 10}
simulation: {epochs: 4, steps_per_epoch: 10, seed: 42}
metrics_to_track: [toxicity_rate, quality_gap]
""")
    assert spec.simulation.n_epochs == 4 and spec.environment.initial_budget == 50.0
    from distsafe.scenarios import build_orchestrator

    o = build_orchestrator(spec)
    assert float(o.agents.resources[0]) == 50.0 and o.groups[0].policy.roles == ["worker"]
    assert o.governance.get_lever("bandwidth_cap") is not None


@pytest.mark.parametrize("text, expected", [
    ("scenario_id: x\nagents:\n  - type: wizard\n    count: 1\n", ":3: agents.0.type: unknown agent type 'wizard'"),
    ("scenario_id: x\nagents:\n  - type: honest\n    count: -2\n", ":4: agents.0.count: Input should be greater"),
    ("scenario_id: x\nagents:\n  - type: honest\n    cuont: 2\n", ":4: agents.0.cuont: unknown field"),
    ("scenario_id: x\nagents: [{type: honest}]\ngovernance:\n  audit_probability: 1.5\n",
     ":4: governance.audit_probability: Input should be less than or equal to 1"),
    ("scenario_id: x\nagents: [{type: honest}]\npayoff:\n  theta: -0.5\n", ":4: payoff.theta"),
    ("scenario_id: x\nagents: [{type: honest}]\nsimulation:\n  n_epochs: 0\n", ":4: simulation.n_epochs"),
    ("scenario_id: x\nagents: [{type: honest}\n", "malformed YAML"),
    ("- just\n- a list\n", "must be a YAML mapping"),
    ("scenario_id: x\nagents: [{type: honest, role: janitor}]\n", "unknown role 'janitor'"),
])
def test_errors_name_line_and_field(text, expected):
    with pytest.raises(ScenarioError) as e:
        scenario_from_text(text, source="s.yaml")
    msg = str(e.value)
    assert expected in msg, msg
    assert "\n" not in msg


def test_overrides():
    spec = load_scenario("status_game", ["governance.transaction_tax_rate=0.1", "agents.0.count=4",
                                         "simulation.seed=9", "governance.audit_enabled=false"])
    assert spec.governance.transaction_tax_rate == 0.1
    assert spec.agents[0].count == 4 and spec.simulation.seed == 9 and not spec.governance.audit_enabled
    for bad, part in [("governance.transaction_tax_rate", "must look like"), ("agents.9.count=1", "not an index"),
                      ("governance.nonsense=1", "unknown field"), ("simulation.seed=-1", "simulation.seed")]:
        with pytest.raises(ScenarioError) as e:
            load_scenario("status_game", [bad])
        assert part in str(e.value)


def test_missing_file_and_bad_params():
    with pytest.raises(ScenarioError, match="no such scenario"):
        load_scenario("does/not/exist.yaml")
    spec = scenario_from_text("scenario_id: x\nagents: [{type: honest, params: {effort: 2}}]\n")
    from distsafe.scenarios import build_orchestrator

    with pytest.raises(ScenarioError, match="agents.0.params.effort"):
        build_orchestrator(spec)


def test_scenario_comparison_in_kind():
    """The seeds' Scenario Comparison: governance drives the bad actors' payoff down, baseline > status
    game > strict governance, and freezes them only where the breaker is on."""
    from distsafe.analysis import compare_scenarios

    rows = compare_scenarios(["baseline", "status_game", "strict_governance"], seeds=5,
                             overrides=["simulation.n_epochs=10"])
    pay = [r.mean_ci("bad_actor_payoff")[0] for r in rows]
    assert pay[0] > pay[1] > pay[2]
    assert rows[0].frozen_runs == 0 and rows[2].frozen_runs == 5
    tox = [r.mean_ci("avg_toxicity")[0] for r in rows]
    assert max(tox) - min(tox) < 0.1
