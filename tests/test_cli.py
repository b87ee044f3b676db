"""The `distsafe` command end to end, through a subprocess."""

import json
import os
import subprocess
import sys

import pytest


def ds(*args, cwd=None):
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "distsafe.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env=env,
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "baseline"
    r = ds(
        "run",
        "baseline",
        "--epochs",
        "4",
        "--seed",
        "3",
        "--out",
        str(out),
        "-o",
        "simulation.steps_per_epoch=8",
    )
    assert r.returncode == 0, r.stderr
    assert "avg toxicity" in r.stdout and "success criteria" in r.stdout
    return out


def test_run_writes_the_run_folder(run_dir):
    names = {p.name for p in run_dir.iterdir()}
    assert {
        "events.jsonl",
        "metrics.csv",
        "metrics.json",
        "metrics.png",
        "manifest.json",
        "scenario.yaml",
    } <= names
    assert (run_dir / "metrics.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert [m["epoch"] for m in metrics] == [0, 1, 2, 3]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["scenario"] == "baseline" and manifest["epochs"] == 4
    assert set(manifest["files"]) >= {"events.jsonl", "metrics.csv"}
    header = json.loads((run_dir / "events.jsonl").read_text().splitlines()[0])
    assert header["scenario"] == "baseline" and header["seed"] == 3 and "version" in header
    csv_lines = (run_dir / "metrics.csv").read_text().splitlines()
    assert csv_lines[0].startswith("epoch,") and len(csv_lines) == 5


def test_run_folder_scenario_reloads_in_the_seeds_names(run_dir):
    from distsafe.scenarios import load_scenario

    text = (run_dir / "scenario.yaml").read_text()
    assert "initial_budget: 100.0" in text and "rate_initiator: 0.1" in text
    spec = load_scenario(run_dir / "scenario.yaml")
    assert (spec.scenario_id, spec.simulation.n_epochs, spec.simulation.seed) == ("baseline", 4, 3)
    assert spec.simulation.steps_per_epoch == 8


def test_report_shows_the_counters_of_the_levers_on():
    r = ds("run", "strict_governance", "--epochs", "2", "-q")
    assert r.returncode == 0, r.stderr
    # one row per counter of each lever that is on, in the order of the levers' switches
    keys = ["tax collected", "bandwidth blocked actions", "stake blocked actions", "audits", "audits failed"]
    at = [r.stdout.index(f"│ {k} ") for k in keys]
    assert at == sorted(at)
    r = ds("run", "baseline", "--epochs", "1", "-q")
    assert "tax collected" not in r.stdout and "audits" not in r.stdout


def test_replay_verify_passes(run_dir):
    r = ds("replay", str(run_dir / "events.jsonl"), "--verify")
    assert r.returncode == 0, r.stderr
    assert "VERIFIED" in r.stdout
    assert "rebuilt from the log" in r.stdout


def test_replay_detects_tampering(run_dir, tmp_path):
    lines = (run_dir / "events.jsonl").read_text().splitlines(keepends=True)
    k = next(i for i, line in enumerate(lines) if '"interaction_completed"' in line)
    lines[k] = (
        lines[k]
        .replace('"accepted":true', '"accepted":false', 1)
        .replace('"accepted":false', '"accepted":true', 1)
        if '"accepted":false' in lines[k]
        else lines[k].replace('"accepted":true', '"accepted":false', 1)
    )
    bad = tmp_path / "events.jsonl"
    bad.write_text("".join(lines))
    r = ds("replay", str(bad), "--verify")
    assert r.returncode != 0
    assert "error:" in r.stderr and f"line {k + 1}" in r.stderr
    assert "Traceback" not in r.stderr


def test_replay_of_a_killed_run_reads_up_to_the_last_whole_event(run_dir, tmp_path):
    data = (run_dir / "events.jsonl").read_bytes()
    cut = tmp_path / "events.jsonl"
    cut.write_bytes(data[: len(data) * 2 // 3])
    r = ds("replay", str(cut), "--verify")
    assert r.returncode == 0, r.stderr
    assert "truncated" in (r.stderr + r.stdout)
    assert "prefix verified" in r.stdout


def test_verify_names_the_first_differing_event(run_dir, tmp_path):
    """A log whose events are hash-valid but not what the scenario produces (a re-sealed forgery)."""
    from distsafe.eventlog import open_event_log, read_log

    read = read_log(run_dir / "events.jsonl")
    forged = tmp_path / "events.jsonl"
    with open_event_log(forged, "w", header=read.header) as log:
        for e in read.events:
            if e.event_type.value == "interaction_completed" and e.seq > 40 and "done" not in e.payload:
                e.payload["p"] = 0.5
                e.payload["done"] = True
            log.append(e)
    r = ds("replay", str(forged), "--verify")
    assert r.returncode == 1
    assert "NOT REPRODUCED" in r.stdout and "seq" in r.stdout


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("scenario_id: x\nagents: [{type: honest\n", "malformed YAML"),
        ("scenario_id: x\nagents:\n  - type: dragon\n", "unknown agent type"),
        ("scenario_id: x\nagents:\n  - type: honest\n    count: -3\n", "agents.0.count"),
        (
            "scenario_id: x\nagents: [{type: honest}]\ngovernance: {audit_probability: 7}\n",
            "audit_probability",
        ),
        ("scenario_id: x\nagents: [{type: honest}]\nbogus: 1\n", "bogus: unknown field"),
    ],
)
def test_bad_input_one_line_nonzero_no_traceback(tmp_path, content, fragment):
    f = tmp_path / "s.yaml"
    f.write_text(content)
    r = ds("run", str(f))
    assert r.returncode == 2
    assert fragment in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_bad_cli_values():
    for args, fragment in [
        (("run", "nope"), "no such scenario"),
        (("run", "baseline", "-o", "payoff.theta=3"), "payoff.theta"),
        (("run", "baseline", "--log-format", "xml"), "--log-format"),
        (("replay", "/nonexistent/log.jsonl"), "no such log"),
    ]:
        r = ds(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert fragment in r.stderr and "Traceback" not in r.stderr


def test_scenarios_list_and_compare(tmp_path):
    r = ds("scenarios", "list")
    assert r.returncode == 0 and "status_game" in r.stdout and "strict_governance" in r.stdout
    assert "transaction_tax" in r.stdout and "circuit_breaker" in r.stdout
    png = tmp_path / "cmp.png"
    r = ds(
        "compare",
        "baseline",
        "strict_governance",
        "--seeds",
        "2",
        "-o",
        "simulation.n_epochs=3",
        "--plot",
        str(png),
    )
    assert r.returncode == 0, r.stderr
    assert "Bad actor payoff" in r.stdout and "2 seeds" in r.stdout
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_run_parquet_and_check_flag(tmp_path):
    out = tmp_path / "pq"
    r = ds(
        "run", "status_game", "--epochs", "2", "--out", str(out), "--log-format", "parquet", "--check", "-q"
    )
    # status_game's criteria may fail after 2 epochs: --check turns a FAIL into exit 3
    assert r.returncode in (0, 3), r.stderr
    assert (out / "events.parquet.d").is_dir()
    r = ds("replay", str(out / "events.parquet.d"), "--verify")
    assert r.returncode == 0 and "VERIFIED" in r.stdout, r.stdout + r.stderr
