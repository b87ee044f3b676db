"""Fuzz the scenario loader (issue 9): random YAML structures and values, including NaN, inf, huge integers,
deep nesting, aliases and duplicate keys. Loading either succeeds or raises ScenarioError with one line;
nothing else escapes, each load is fast and small, and nothing is written."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distsafe.scenarios import ScenarioError, scenario_from_text

KEYS = [
    "scenario_id", "agents", "type", "count", "params", "governance", "simulation", "payoff", "n_epochs",
    "epochs", "s_plus", "tau", "seed", "reputation_decay", "vote_weight_cap", "safety", "llm", "provider",
    "provider_options", "timeout", "metrics_to_track", "limits", "max_agents", "1", "on", "null", "x",
]  # fmt: skip
SCALARS = [
    ".nan", ".inf", "-.inf", "1e308", "1e400", "99999999999999999999999", "-9223372036854775809", "0", "-1",
    "0.5", "honest", "llm", "dry_run", "~", "true", "''", "influence_gini", "2", "10",
]  # fmt: skip


@st.composite
def yaml_doc(draw: st.DrawFn) -> str:
    """A YAML text built from scenario-like keys and hostile scalars, with anchors, aliases, duplicate
    keys and deep flow nesting mixed in."""
    anchors: list[str] = []

    def node(depth: int) -> str:
        kind = draw(st.sampled_from(["scalar", "map", "seq", "alias", "deep"] if depth < 4 else ["scalar"]))
        if kind == "alias" and anchors:
            return "*" + draw(st.sampled_from(anchors))
        if kind == "deep":
            n = draw(st.integers(1, 200))
            return "[" * n + draw(st.sampled_from(SCALARS)) + "]" * n
        if kind == "map":
            items = [
                f"{draw(st.sampled_from(KEYS))}: {node(depth + 1)}" for _ in range(draw(st.integers(0, 4)))
            ]
            body = "{" + ", ".join(items) + "}"
        elif kind == "seq":
            body = "[" + ", ".join(node(depth + 1) for _ in range(draw(st.integers(0, 9)))) + "]"
        else:
            return draw(st.sampled_from(SCALARS))
        if draw(st.booleans()):
            name = f"a{len(anchors)}"
            anchors.append(name)
            return f"&{name} {body}"
        return body

    base = "scenario_id: fuzz\nagents: [{type: honest, count: 2}]\n"
    lines = [f"{draw(st.sampled_from(KEYS))}: {node(0)}" for _ in range(draw(st.integers(0, 6)))]
    return (base if draw(st.booleans()) else "") + "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_doc())
def test_loader_fails_with_one_line_or_loads(tmp_path_factory, text):
    cwd_before = set(os.listdir("."))
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        scenario_from_text(text, "fuzz.yaml")
    except ScenarioError as e:
        msg = str(e)
        assert msg and "\n" not in msg and msg.startswith("fuzz.yaml")
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.perf_counter() - t0 < 5.0
    assert peak < 200 * 2**20, f"{peak / 2**20:.0f} MiB peak"
    assert set(os.listdir(".")) == cwd_before


HOSTILE = {
    "bomb": "scenario_id: x\nagents:\n  - type: llm\n    llm:\n      provider: dry_run\n"
    + "      provider_options:\n"
    + "".join(
        f"        l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else ', '.join(['x'] * 9)}]\n"
        for i in range(9)
    ),
    "deep": "scenario_id: x\nagents: [{type: honest}]\nx: " + "[" * 50_000 + "]" * 50_000 + "\n",
    "nan": "scenario_id: x\nagents: [{type: llm, llm: {provider: dry_run, timeout: .nan}}]\n",
    "dup": "scenario_id: x\nagents: [{type: honest}]\nagents: [{type: honest}]\n",
    "huge": "scenario_id: x\nagents: [{type: honest, count: 100000000}]\n",
    "epochs": "scenario_id: x\nagents: [{type: honest}]\nsimulation: {n_epochs: 1000000000}\n",
    "s_plus": "scenario_id: x\nagents: [{type: honest}]\npayoff: {s_plus: 1e308}\n",
    "metric": "scenario_id: x\nagents: [{type: honest}]\nmetrics_to_track: [bogus]\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_cli_run_exits_2_with_one_line(tmp_path, name):
    scen = tmp_path / f"{name}.yaml"
    scen.write_text(HOSTILE[name])
    out = tmp_path / "out"
    src = str(Path(__file__).resolve().parents[2] / "src")
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "distsafe.cli", "run", str(scen), "--out", str(out), "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": src, "COLUMNS": "400"},
    )
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(scen) in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not out.exists()
    assert time.perf_counter() - t0 < 60
