"""Seed 001's social-structure scenarios (network_effects, collusion_detection, emergent_capabilities):
they load, run, carry their success criteria, and replay verifies a run that uses all three parts."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from distsafe.scenarios import load_scenario
from distsafe.scenarios.runner import run_scenario
from distsafe.scenarios.spec import SuccessCriteria


@pytest.mark.parametrize(
    ("name", "criteria"),
    [
        ("network_effects", {"min_connected_components", "max_connected_components", "max_avg_path_length",
                             "max_toxicity"}),
        ("collusion_detection", {"min_flagged_pairs", "max_ecosystem_collusion_risk", "min_penalty_total"}),
        ("emergent_capabilities", {"min_avg_coordination_score", "min_avg_synergy_score",
                                   "min_tasks_completed", "min_completion_rate", "min_specialization_index",
                                   "max_capability_concentration"}),
    ],
)  # fmt: skip
def test_scenario_runs_with_its_criteria(name: str, criteria: set[str]) -> None:
    spec = load_scenario(name, ["simulation.n_epochs=5"])
    result = run_scenario(spec)
    assert {n for n, _, _ in result.criteria} == criteria
    last = result.metrics[-1].values
    if spec.network is not None:
        assert last["n_components"] >= 1 and last["n_edges"] > 0
    if name == "collusion_detection":
        assert "ecosystem_collusion_risk" in last
    if name == "emergent_capabilities":
        assert sum(m.values["composite_subtasks_completed"] for m in result.metrics) > 0


def test_social_criteria_read_the_epoch_records() -> None:
    c = SuccessCriteria(min_connected_components=1, max_avg_path_length=3.0, min_penalty_total=5.0,
                        min_completion_rate=0.5, max_capability_concentration=0.5)  # fmt: skip
    epochs = [{"toxicity_rate": 0.1, "n_components": 2.0, "avg_path_length": 2.5, "collusion_penalties": 3.0,
               "composite_completion_rate": 0.4, "capability_concentration": 0.6},
              {"toxicity_rate": 0.1, "n_components": 1.0, "avg_path_length": 3.5, "collusion_penalties": 3.0,
               "composite_completion_rate": 0.6, "capability_concentration": 0.4}]  # fmt: skip
    res = {n: ok for n, ok, _ in c.evaluate({"avg_toxicity": 0.1}, epochs)}
    assert res == {"min_connected_components": True, "max_avg_path_length": False, "min_penalty_total": True,
                   "min_completion_rate": True, "max_capability_concentration": True}  # fmt: skip
    nan = {n: ok for n, ok, _ in SuccessCriteria(max_avg_path_length=3.0).evaluate({}, [{"toxicity_rate": 0.0,
           "avg_path_length": math.nan}])}  # fmt: skip
    assert nan == {"max_avg_path_length": False}


def test_replay_verifies_a_run_with_network_collusion_and_composite_tasks(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    out = tmp_path / "run"
    over = ["-o", "simulation.n_epochs=4", "-o", "governance.collusion_detection_enabled=true",
            "-o", "governance.collusion_realtime_penalty=true"]  # fmt: skip
    r = subprocess.run([sys.executable, "-m", "distsafe.cli", "run", "emergent_capabilities", "-q", "--out",
                        str(out), *over], capture_output=True, text=True, timeout=300, env=env)  # fmt: skip
    assert r.returncode == 0, r.stderr
    cmd = [sys.executable, "-m", "distsafe.cli", "replay", str(out / "events.jsonl"), "--verify"]
    v = subprocess.run(cmd,
                       capture_output=True, text=True, timeout=300, env=env)  # fmt: skip
    assert v.returncode == 0, v.stdout + v.stderr
    assert "VERIFIED" in v.stdout
    text = (out / "events.jsonl").read_text()
    assert "network_updated" in text and "subtask_completed" in text
