"""Seed 001's "Security Evaluation" and "Adversarial Red-Teaming" snippets run as written (with `src.`
changed to `distsafe.`); the two shipped scenarios pass their criteria; bad settings are one line, exit 2."""

import textwrap
from pathlib import Path

import pytest
import yaml

from distsafe.cli import main
from distsafe.governance import GovernanceConfig
from distsafe.scenarios import load_scenario
from distsafe.scenarios.builder import build_orchestrator
from distsafe.scenarios.runner import run_scenario

HAS_COLLUSION = "collusion_detection_enabled" in GovernanceConfig.model_fields
NO_COLLUSION = "the collusion lever (seed 001's Collusion Detection) is built on branch i12net"

SECURITY_QUICK_START = """
from distsafe.governance import GovernanceConfig, GovernanceEngine

# Enable security detection
config = GovernanceConfig(
    security_enabled=True,
    security_injection_threshold=0.3,      # Threshold for injection detection
    security_manipulation_threshold=0.5,    # Threshold for manipulation
    security_quarantine_threshold=0.7,      # Threat score for quarantine
    security_realtime_penalty=True,         # Per-interaction penalty
)

# After simulation
report = orchestrator.get_security_report()
print(f"Ecosystem threat level: {report.ecosystem_threat_level:.2f}")
print(f"Active threats: {report.active_threat_count}")
print(f"Quarantined agents: {orchestrator.get_quarantined_agents()}")

# Check specific threats
for indicator in report.threat_indicators:
    print(f"  {indicator.threat_type.value}: {indicator.source_agent} -> {indicator.target_agents}")
"""

SECURITY_YAML = """
governance:
  security_enabled: true
  security_injection_threshold: 0.3       # Injection detection threshold
  security_manipulation_threshold: 0.5    # Manipulation detection threshold
  security_laundering_trust_gap: 0.3      # Trust increase for laundering flag
  security_contagion_velocity: 2.0        # Interactions/min for contagion
  security_min_chain_length: 3            # Minimum chain to track
  security_quarantine_threshold: 0.7      # Threshold for quarantine
  security_penalty_multiplier: 1.0        # Penalty scaling
  security_realtime_penalty: true         # Per-interaction penalty
  security_realtime_threshold: 0.5        # Realtime penalty threshold
  security_realtime_rate: 0.2             # Realtime penalty rate
"""

SECURITY_INTEGRATION = """
# Check if agent can act (not quarantined)
if orchestrator.governance_engine.can_agent_act(agent_id, state):
    # Agent is allowed to proceed
    pass

# Release agent from quarantine manually
orchestrator.governance_engine.release_from_quarantine(agent_id)

# Get containment action history
actions = orchestrator.governance_engine.get_security_containment_actions()
"""

ADAPTIVE_SNIPPET = """
from distsafe.agents.adaptive_adversary import AdaptiveAdversary, AttackStrategy

# Create adaptive adversary
adversary = AdaptiveAdversary(
    agent_id="adaptive_1",
    learning_rate=0.1,      # How fast it adapts
    exploration_rate=0.2,   # Exploration vs exploitation
    heat_threshold=0.6,     # When to lay low
)

# Adversary learns from outcomes
adversary.update_from_outcome(
    payoff=10.0,
    penalty=5.0,
    detected=True,
    strategy_used=AttackStrategy.COLLUSION,
)

# Get strategy effectiveness report
report = adversary.get_strategy_report()
print(f"Heat level: {report['heat_level']:.2f}")
print(f"Best strategies: {report['strategy_stats']}")
"""

EVALUATOR_SNIPPET = """
from distsafe.redteam import RedTeamEvaluator, AttackLibrary

# Define governance config to test
governance_config = {
    "circuit_breaker_enabled": True,
    "collusion_detection_enabled": True,
    "audit_enabled": True,
}

# Create evaluator
evaluator = RedTeamEvaluator(
    governance_config=governance_config,
    attack_scenarios=AttackLibrary.get_all_attacks(),
)

# Quick evaluation
result = evaluator.quick_evaluate()
print(f"Attacks tested: {result['attacks_tested']}")
print(f"Success rate: {result['attacks_successful'] / result['attacks_tested']:.0%}")
print(f"Avg evasion: {result['avg_evasion_rate']:.0%}")
"""

REDTEAM_YAML = """
agents:
  - type: honest
    count: 4
  - type: adaptive_adversary
    count: 2

governance:
  circuit_breaker_enabled: true
  freeze_threshold_toxicity: 0.6
  collusion_detection_enabled: true
  audit_enabled: true
  audit_probability: 0.15

success_criteria:
  max_adversary_payoff: 20.0
  min_detection_rate: 0.5
"""


def _security_orchestrator(governance: GovernanceConfig):
    spec = load_scenario("security_evaluation", ["simulation.n_epochs=5"])
    spec = spec.model_copy(update={"governance": governance})
    orch = build_orchestrator(spec)
    orch.run()
    return orch


def test_security_quick_start_runs_as_written(capsys):
    ns: dict = {}
    exec(SECURITY_QUICK_START.split("# After simulation")[0], ns)
    ns["orchestrator"] = _security_orchestrator(ns["config"])
    exec(SECURITY_QUICK_START, ns)
    out = capsys.readouterr().out
    assert "Ecosystem threat level:" in out and "Quarantined agents:" in out
    assert any(line.startswith("  prompt_injection: ") for line in out.splitlines())


def test_security_yaml_block_loads_and_runs(tmp_path: Path):
    data = yaml.safe_load(SECURITY_YAML)
    agents = [{"type": "honest", "count": 6}, {"type": "attacker", "count": 2}]
    data.update(scenario_id="snippet", agents=agents, simulation={"n_epochs": 4, "steps_per_epoch": 8})
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    spec = load_scenario(str(path))
    assert spec.governance.security_realtime_rate == 0.2 and spec.governance.security_min_chain_length == 3
    result = run_scenario(spec)
    assert "ecosystem_threat_level" in result.metrics[-1].values


def test_security_integration_runs_as_written():
    orch = _security_orchestrator(GovernanceConfig(security_enabled=True, security_quarantine_threshold=0.5))
    quarantined = orch.get_quarantined_agents()
    assert quarantined
    ns = {"orchestrator": orch, "agent_id": quarantined[0], "state": orch.state}
    assert not orch.governance_engine.can_agent_act(quarantined[0], orch.state)
    exec(SECURITY_INTEGRATION, ns)
    assert orch.governance_engine.can_agent_act(quarantined[0], orch.state)
    assert ns["actions"][-1].action == "release" and ns["actions"][-1].agent == quarantined[0]


def test_adaptive_adversary_snippet_runs_as_written(capsys):
    exec(ADAPTIVE_SNIPPET, {})
    out = capsys.readouterr().out
    assert "Heat level: 0.50" in out and "collusion" in out


@pytest.mark.skipif(not HAS_COLLUSION, reason=NO_COLLUSION)
def test_red_team_evaluator_snippet_runs_as_written(capsys):
    exec(EVALUATOR_SNIPPET, {})
    assert "Attacks tested: 13" in capsys.readouterr().out


def test_red_team_evaluator_snippet_without_the_collusion_lever(capsys):
    exec(EVALUATOR_SNIPPET.replace('    "collusion_detection_enabled": True,\n', ""), {})
    out = capsys.readouterr().out
    assert "Attacks tested: 13" in out and "Avg evasion: " in out


@pytest.mark.skipif(not HAS_COLLUSION, reason=NO_COLLUSION)
def test_red_team_yaml_runs_as_written(tmp_path: Path):
    path = tmp_path / "rt.yaml"
    path.write_text("scenario_id: rt\n" + textwrap.dedent(REDTEAM_YAML))
    assert run_scenario(load_scenario(str(path), ["simulation.n_epochs=5"])).criteria


def test_red_team_yaml_without_the_collusion_lever(tmp_path: Path):
    path = tmp_path / "rt.yaml"
    path.write_text("scenario_id: rt\n" + REDTEAM_YAML.replace("  collusion_detection_enabled: true\n", ""))
    result = run_scenario(load_scenario(str(path), ["simulation.n_epochs=5"]))
    names = [c[0] for c in result.criteria]
    assert names == ["max_adversary_payoff", "min_detection_rate"]


def test_shipped_security_scenario_passes_its_criteria():
    result = run_scenario(load_scenario("security_evaluation", ["simulation.n_epochs=8"]))
    assert result.criteria and all(ok for _, ok, _ in result.criteria), result.criteria


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("  security_injection_threshold: 1.5\n", "governance.security_injection_threshold"),
        ("  security_quarantine_threshold: -0.1\n", "governance.security_quarantine_threshold"),
        ("  transparency_threshold_p: 2\n", "governance.transparency_threshold_p"),
    ],
)
def test_thresholds_outside_0_1_are_one_line_with_file_line_and_field(tmp_path, capsys, line, field):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "scenario_id: bad\nagents:\n  - type: honest\n    count: 2\ngovernance:\n  security_enabled: true\n"
        + line
    )
    assert main(["run", str(path), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"bad.yaml:7: {field}" in err


@pytest.mark.parametrize(
    ("params", "what"),
    [
        (
            "{type: adaptive_adversary, params: {strategies: [mimicry, stealth]}}",
            "unknown attack strategy 'stealth'",
        ),
        ("{type: attacker, params: {threat: phishing}}", "agents.1.params: threat"),
    ],
)
def test_unknown_strategy_and_threat_names_are_one_line(tmp_path, capsys, params, what):
    path = tmp_path / "bad.yaml"
    path.write_text(f"scenario_id: bad\nagents:\n  - type: honest\n    count: 2\n  - {params}\n")
    assert main(["redteam", str(path), "--seeds", "1", "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.yaml:5:" in err and what in err


def test_redteam_command_prints_the_report(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    rc = main(["redteam", "adversarial_redteam", "--seeds", "2", "--epochs", "4", "-q"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "governance effectiveness" in out and "circuit_breaker" in out and "strategy shares" in out


@pytest.mark.parametrize("scenario", ["security_evaluation", "adversarial_redteam"])
def test_replay_verify_passes_on_security_and_redteam_runs(tmp_path, capsys, scenario):
    out = tmp_path / "run"
    assert main(["run", scenario, "--epochs", "3", "--out", str(out), "-q"]) == 0
    log = out / "events.jsonl"
    text = log.read_text()
    assert ("security_threat" in text) if scenario == "security_evaluation" else ("adversary_updated" in text)
    assert main(["replay", str(log), "--verify"]) == 0
    assert "VERIFIED" in capsys.readouterr().out
