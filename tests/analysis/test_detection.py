"""analysis.detection and `distsafe detection`: the collusion detector scored against planted rings."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from distsafe.analysis.detection import SeedOutcome, detection_study, mean_ci
from distsafe.scenarios.loader import ScenarioError

BIG = ["agents.0.count=30", "agents.1.count=10", "agents.2.count=5", "network=null",
       "agents.2.params.collusion_preference=0.9"]  # fmt: skip


def test_outcome_arithmetic() -> None:
    o = SeedOutcome(seed=0, n_agents=10, n_colluders=4, tp=3, fp=1, fn=1, honest_agents=6, honest_flagged=1,
                    type_honest=5, type_honest_flagged=0, flagged_pairs=4, ring_pairs_flagged=3,
                    first_flag_epoch=2)  # fmt: skip
    assert o.precision == 0.75 and o.recall == 0.75 and o.f1 == pytest.approx(0.75)
    assert o.fp_rate == pytest.approx(1 / 6) and o.fp_rate_type_honest == 0.0
    none = SeedOutcome(0, 10, 4, 0, 0, 4, 6, 0, 5, 0, 0, 0, None)
    assert math.isnan(none.precision) and none.recall == 0.0 and none.f1 == 0.0


def test_mean_ci_bounds() -> None:
    m, lo, hi, n = mean_ci([0.2, 0.4, float("nan"), 0.6])
    assert (m, n) == (pytest.approx(0.4), 3) and 0.2 <= lo <= m <= hi <= 0.6
    assert math.isnan(mean_ci([])[0])


def test_study_on_planted_ring_without_network() -> None:
    study = detection_study("collusion_detection", seeds=2, overrides=BIG)
    assert len(study.outcomes) == 2
    for o in study.outcomes:
        assert o.n_colluders == 5 and o.honest_agents == 40
        assert o.fp_rate <= 0.05
    s = study.summary()
    assert s["recall"][0] > 0 and s["precision"][0] > 0.5
    assert json.dumps(study.to_dict())


def test_study_refuses_a_scenario_without_ring_or_detection() -> None:
    with pytest.raises(ScenarioError, match="collusion_group"):
        detection_study("collusion_detection", seeds=1,
                        overrides=["agents.2.params={}", "simulation.n_epochs=1"])  # fmt: skip
    with pytest.raises(ScenarioError, match="collusion_detection_enabled"):
        detection_study("baseline", seeds=1, overrides=["simulation.n_epochs=1"])


def test_cli_prints_the_table_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "d.json"
    args = ["detection", "collusion_detection", "--seeds", "2", "-q", "--json", str(out)]
    for o in BIG:
        args += ["-o", o]
    r = subprocess.run([sys.executable, "-m", "distsafe.cli", *args], capture_output=True, text=True,
                       timeout=600, env={**os.environ, "COLUMNS": "200"})  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "precision" in r.stdout and "false-positive rate" in r.stdout
    data = json.loads(out.read_text())
    assert len(data["seeds"]) == 2 and "recall" in data["summary"]
    cmd = [sys.executable, "-m", "distsafe.cli", "detection", "baseline", "--seeds", "1", "-q"]
    bad = subprocess.run(cmd,
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert bad.returncode == 2 and "collusion_detection_enabled" in bad.stderr
