"""SIGKILL a sweep midway, run the same command again: every run present exactly once, none lost, and
the runs finished before the kill are not run again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sweep_helpers import child_env, cli

from distsafe.experiments import load_results, load_summary

SPEC = """\
name: killed
base: baseline
overrides: [simulation.n_epochs=2, simulation.steps_per_epoch=4]
design: grid
seeds: 6
parameters:
  - {name: governance.audit_enabled, values: [false, true]}
"""


def test_sigkill_midway_then_resume(tmp_path: Path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "distsafe.cli", "sweep", str(spec), "--out", str(out), "--workers", "1"],
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its pool worker is in its group: the kill takes both
    )
    runs = out / "runs"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and len(list(runs.glob("*.parquet")) if runs.is_dir() else []) < 3:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    before = {p.name: p.stat().st_mtime_ns for p in runs.glob("*.parquet")}
    assert 3 <= len(before) < 12, before  # killed midway
    assert not (out / "failed").exists() or not list((out / "failed").iterdir())

    r = cli("sweep", str(spec), "--out", str(out), "--workers", "1")
    assert r.returncode == 0, r.stderr
    assert f"{12 - len(before)} runs done, 0 failed, {len(before)} already there" in " ".join(
        r.stderr.split()
    )
    after = {p.name: p.stat().st_mtime_ns for p in runs.glob("*.parquet")}
    assert len(after) == 12
    assert {k: after[k] for k in before} == before  # finished runs were not run again
    assert not [p for p in runs.iterdir() if not p.name.endswith(".parquet")]  # no half-written file left
    s = load_summary(out)
    assert len(s) == 12 and s["run_id"].is_unique
    assert sorted(zip(s["config_id"], s["seed"])) == [(c, k) for c in ("c000", "c001") for k in range(6)]
    df = load_results(out)
    assert len(df) == 24 and df.groupby("run_id").size().eq(2).all()
