"""Learning, population dynamics and lever invariance at the engine level (core.dynamics, core.step)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from distsafe.core.dynamics import DynamicsConfig, population_update
from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.governance.config import GovernanceConfig
from distsafe.models.agent import AgentType


def run(
    gov: GovernanceConfig | None = None,
    dyn: DynamicsConfig | None = None,
    learn: float = 0.0,
    seed: int = 3,
    epochs: int = 4,
):
    o = Orchestrator(
        OrchestratorConfig(
            n_epochs=epochs,
            steps_per_epoch=6,
            seed=seed,
            governance_config=gov,
            dynamics_config=dyn or DynamicsConfig(),
        )
    )
    o.add_population("honest", 30)
    o.add_population("opportunistic", 20, params={"learning_rate": learn})
    o.add_population("deceptive", 10, params={"trust_epochs": 1, "learning_rate": learn})
    o.add_population("adversarial", 10)
    batches = []
    o.interaction_sink = lambda b: batches.append(b)
    metrics = o.run()
    cols = ("initiator", "counterparty", "accepted", "p", "payoff_a", "payoff_b", "c_a", "c_b")
    flat = {c: np.concatenate([getattr(b, c) for b in batches]) for c in cols}
    return o, [m.to_json_dict() for m in metrics], flat


def same(a, b) -> bool:
    return a[1] == b[1] and all(np.array_equal(a[2][c], b[2][c]) for c in a[2])


@pytest.mark.parametrize(
    "off_a, off_b",
    [
        ({"audit_penalty_multiplier": 2.0}, {"audit_penalty_multiplier": 9.0, "audit_probability": 0.9}),
        ({"stake_slash_rate": 0.1}, {"stake_slash_rate": 0.9, "min_stake_to_participate": 50.0}),
        ({"transaction_tax_split": 0.5}, {"transaction_tax_split": 0.9}),
        ({"freeze_threshold_toxicity": 0.7}, {"freeze_threshold_toxicity": 0.2, "freeze_duration_epochs": 5}),
    ],
)
def test_settings_of_levers_that_are_off_do_not_change_behaviour(off_a, off_b):
    a = run(GovernanceConfig(**off_a))
    b = run(GovernanceConfig(**off_b))
    assert same(a, b) and same(a, run(None))


def test_a_lever_that_is_on_changes_decisions():
    base = run(None)
    audited = run(GovernanceConfig(audit_enabled=True, audit_probability=0.5, audit_penalty_multiplier=6.0))
    # not only payoffs: who proposes and how well they work (p) move
    assert not np.array_equal(base[2]["p"], audited[2]["p"][: base[2]["p"].size])


def test_runs_are_deterministic_with_learning_and_population_dynamics():
    dyn = DynamicsConfig(population_update="imitation", revision_rate=0.5, exit_below=90.0)
    a, b = run(dyn=dyn, learn=0.3), run(dyn=dyn, learn=0.3)
    assert same(a, b)
    assert not same(a, run(dyn=dyn, learn=0.3, seed=4))


def test_population_update_keeps_size_and_follows_payoff_differences():
    o = Orchestrator(OrchestratorConfig(n_epochs=1, seed=0))
    o.add_population("honest", 500)
    o.add_population("adversarial", 500)
    eng = o.engine_state
    a = eng.agents
    eng.epoch_start_payoff = np.zeros(len(a))
    a.total_payoff[:] = np.where(a.type_code == AgentType.HONEST.code, 5.0, 1.0)
    out = population_update(eng, DynamicsConfig(population_update="imitation", revision_rate=1.0))
    assert len(a) == 1000 and sum(out["shares"].values()) == pytest.approx(1.0)
    assert out["shares"]["honest"] > 0.5 and out["switched"] > 100
    # the groups' rows follow the switch: every row is in exactly the group of its type
    rows = sorted(np.concatenate([g.all_rows() for g in eng.groups]).tolist())
    assert rows == list(range(1000))
    for g in eng.groups:
        assert np.all(a.type_code[g.all_rows()] == g.policy.agent_type.code)
    # equal payoffs: nobody switches
    a.total_payoff[:] = 2.0
    assert (
        population_update(eng, DynamicsConfig(population_update="imitation", revision_rate=1.0))["switched"]
        == 0
    )


def test_shares_and_events_are_reported():
    dyn = DynamicsConfig(population_update="imitation", revision_rate=0.5)
    o, metrics, _ = run(dyn=dyn, learn=0.3)
    assert all(abs(sum(v for k, v in m.items() if k.startswith("share_")) - 1) < 1e-9 for m in metrics)
    assert len(o.agents) == 70


def test_learning_and_population_events_in_the_log(tmp_path):
    o = Orchestrator(
        OrchestratorConfig(
            n_epochs=3,
            steps_per_epoch=5,
            seed=1,
            log_path=tmp_path / "e.jsonl",
            log_events=True,
            log_format="jsonl",
            dynamics_config=DynamicsConfig(population_update="imitation", revision_rate=0.5),
        )
    )
    o.add_population("honest", 10)
    o.add_population("opportunistic", 10, params={"learning_rate": 0.5})
    o.run()
    text = (tmp_path / "e.jsonl").read_text()
    assert text.count('"strategy_updated"') == 3 and text.count('"population_updated"') == 3
    r = subprocess.run(
        [sys.executable, "-m", "distsafe.cli", "replay", str(tmp_path / "e.jsonl"), "--verify"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_dynamics_and_learning_from_yaml(tmp_path):
    from distsafe.scenarios.builder import load_and_build
    from distsafe.scenarios.loader import ScenarioError

    path = tmp_path / "s.yaml"
    path.write_text(
        "scenario_id: dyn\n"
        "agents:\n"
        "  - {type: honest, count: 6}\n"
        "  - {type: opportunistic, count: 4, params: {learning_rate: 0.2, temperature: 0.1}}\n"
        "simulation: {n_epochs: 2, steps_per_epoch: 3, seed: 5}\n"
        "payoff: {effort_cost: 0.5, gaming_cost: 0.2}\n"
        "dynamics: {population_update: imitation, revision_rate: 0.3}\n"
    )
    o = load_and_build(path)
    assert o.config.dynamics_config.population_update == "imitation"
    assert o.config.payoff_config.effort_cost == 0.5
    assert o.groups[1].policy.learner is not None and o.groups[0].policy.learner is None
    assert len(o.run()) == 2
    path.write_text(path.read_text().replace("imitation", "bogus"))
    with pytest.raises(ScenarioError, match="dynamics"):
        load_and_build(path)
