"""The seeds' Quick Start snippets, with only the import prefix changed (src. -> distsafe.)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_quick_start_computing_metrics():
    from distsafe.core.payoff import SoftPayoffEngine
    from distsafe.core.proxy import ProxyComputer, ProxyObservables
    from distsafe.metrics.reporters import MetricsReporter
    from distsafe.models.interaction import InteractionType, SoftInteraction

    obs = ProxyObservables(
        task_progress_delta=0.7, rework_count=1, verifier_rejections=0, counterparty_engagement_delta=0.4
    )
    proxy = ProxyComputer()
    v_hat, p = proxy.compute_labels(obs)
    interaction = SoftInteraction(
        initiator="agent_1",
        counterparty="agent_2",
        interaction_type=InteractionType.COLLABORATION,
        accepted=True,
        v_hat=v_hat,
        p=p,
    )
    engine = SoftPayoffEngine()
    payoff_a = engine.payoff_initiator(interaction)
    payoff_b = engine.payoff_counterparty(interaction)
    assert payoff_a == pytest.approx(payoff_b)  # theta = 0.5, no transfer, no costs

    from distsafe.testing import generate_mixed_batch

    interactions = generate_mixed_batch(count=100, toxic_fraction=0.3)
    reporter = MetricsReporter()
    text = reporter.format_report(interactions, verbose=True)
    assert "Toxicity" in text and "Calibration" in text


def test_quick_start_governance_and_logging(tmp_path):
    from distsafe.agents.adversarial import AdversarialAgent
    from distsafe.agents.honest import HonestAgent
    from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
    from distsafe.governance import GovernanceConfig, GovernanceEngine

    gov_config = GovernanceConfig(
        transaction_tax_rate=0.05,
        transaction_tax_split=0.5,
        reputation_decay_rate=0.9,
        staking_enabled=True,
        min_stake_to_participate=10.0,
        circuit_breaker_enabled=True,
        freeze_threshold_toxicity=0.7,
        freeze_threshold_violations=3,
        freeze_duration_epochs=2,
        audit_enabled=True,
        audit_probability=0.1,
        audit_threshold_p=0.5,
    )
    assert len(GovernanceEngine(gov_config).levers) == 5
    config = OrchestratorConfig(
        n_epochs=10,
        governance_config=gov_config,
        log_path=tmp_path / "logs/simulation.jsonl",
        log_events=True,
    )
    orchestrator = Orchestrator(config=config)
    for i in range(3):
        orchestrator.register_agent(HonestAgent(agent_id=f"honest_{i}"))
    orchestrator.register_agent(AdversarialAgent(agent_id="adv_1"))
    orchestrator.run()
    kinds = [event.event_type for event in orchestrator.event_log.replay()]
    assert kinds[0].value == "simulation_started" and len(kinds) > 100
    interactions = orchestrator.event_log.to_interactions()
    assert all(i.ground_truth in (-1, 1) for i in interactions)


def test_quick_start_load_and_build():
    from distsafe.scenarios import load_and_build

    orchestrator = load_and_build(ROOT / "scenarios/status_game.yaml")
    metrics = orchestrator.run()
    assert len(metrics) == 20


@pytest.mark.parametrize(
    "cmd",
    [
        ["examples/mvp_demo.py", "--epochs", "3"],
        ["examples/run_scenario.py", "scenarios/baseline.yaml", "--epochs", "3"],
    ],
)
def test_examples_run(cmd):
    r = subprocess.run([sys.executable, *cmd], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Epoch 2" in r.stdout or "Epoch   2" in r.stdout
