"""`replay --verify` on hostile logs: a log is data, never code; labels are checked; a prefix is re-run
only as far as it reaches (issue 9, findings 1 and 12)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from distsafe.agents.base import Action, BaseAgent, Observation
from distsafe.core.orchestrator import Orchestrator
from distsafe.eventlog import log_info, open_event_log, read_log
from distsafe.scenarios import ScenarioError, load_scenario
from distsafe.scenarios.runner import run_scenario, verify_log

SMALL = ["simulation.n_epochs=3", "simulation.steps_per_epoch=3"]


def reseal(src: Path, dst: Path, edit_header: Any = None, fmt: str | None = None) -> Path:
    """Copy a log with an edited header and a recomputed (valid) hash chain: what a forger can do."""
    read = read_log(src)
    header = {k: v for k, v in read.header.items() if k not in ("format", "log_version", "storage")}
    if edit_header is not None:
        edit_header(header)
    with open_event_log(dst, "w", fmt=fmt, header=header) as log:
        for e in read.events:
            log.append(e)
    return dst


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("verify") / "run"
    run_scenario(load_scenario("baseline", SMALL), out)
    return out


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "distsafe.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


# ---- finding 1: code named by a log is never imported or called ------------------------------------------
def _evil_population(canary: Path) -> Any:
    def edit(h: dict[str, Any]) -> None:
        h["population"] = [
            *h["population"],
            {
                "kind": "object",
                "class": "os:system",
                "agent_id": f"touch {canary}",
                "init": {},
            },
        ]

    return edit


def test_a_header_naming_os_system_is_refused_and_nothing_runs(small_run, tmp_path, monkeypatch):
    canary = tmp_path / "canary"
    forged = reseal(small_run / "events.jsonl", tmp_path / "events.jsonl", _evil_population(canary))
    assert log_info(forged).n_events > 0  # the chain is valid: only the content is hostile

    def no_system(*a: Any, **k: Any) -> int:
        raise AssertionError("os.system was called by verify")

    def no_run(self: Orchestrator) -> Any:
        raise AssertionError("the re-run started")

    monkeypatch.setattr(os, "system", no_system)
    monkeypatch.setattr(Orchestrator, "run", no_run)
    with pytest.raises(ScenarioError, match=r"population\[3\]: the log names agent class 'os:system'"):
        verify_log(forged)
    assert not canary.exists()


def test_the_cli_refuses_it_with_one_line(small_run, tmp_path):
    canary = tmp_path / "canary"
    forged = reseal(small_run / "events.jsonl", tmp_path / "events.jsonl", _evil_population(canary))
    r = cli("replay", str(forged), "--verify")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "os:system" in r.stderr and "not a distsafe agent type" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert "VERIFIED" not in r.stdout
    assert not canary.exists()


@pytest.mark.parametrize(
    "cls",
    ["subprocess:Popen", "builtins:eval", "distsafe.cli:main", "distsafe.agents.base:BaseAgent.__init__", 42],
)
def test_no_class_outside_the_registry_is_loaded(small_run, tmp_path, cls):
    def edit(h: dict[str, Any]) -> None:
        h["population"] = [{"kind": "object", "class": cls, "agent_id": "a", "init": {}}]

    forged = reseal(small_run / "events.jsonl", tmp_path / "events.jsonl", edit)
    with pytest.raises(ScenarioError, match="not a distsafe agent type|not a string"):
        verify_log(forged)


@pytest.mark.parametrize(
    "entry, fragment",
    [
        ({"kind": "object", "class": "distsafe.agents.honest:HonestAgent", "agent_id": 3}, "agent_id"),
        (
            {"kind": "object", "class": "distsafe.agents.honest:HonestAgent", "agent_id": "h", "init": "x"},
            "init a mapping",
        ),
        ({"kind": "population", "type": "honest", "count": "2", "prefix": "h"}, "positive integer"),
        (
            {"kind": "population", "type": "dragon", "count": 2, "prefix": "h", "params": {}, "roles": []},
            "dragon",
        ),
        ({"kind": "spaceship"}, "not a population or object entry"),
    ],
)
def test_malformed_population_entries_are_one_line_errors(small_run, tmp_path, entry, fragment):
    def edit(h: dict[str, Any]) -> None:
        h["population"] = [entry]

    forged = reseal(small_run / "events.jsonl", tmp_path / "events.jsonl", edit)
    with pytest.raises(ScenarioError, match=fragment) as err:
        verify_log(forged)
    assert "\n" not in str(err.value)


class QuietAgent(BaseAgent):
    """An agent class of the user's own (not in the registry)."""

    def act(self, observation: Observation) -> Action:
        return Action.noop(self.agent_id)


def _custom_run(path: Path) -> None:
    from distsafe.scenarios import build_orchestrator

    orch = build_orchestrator(load_scenario("baseline", SMALL), log_path=path)
    orch.register_agent(QuietAgent("quiet_1"))
    orch.run()


def test_a_class_of_ones_own_verifies_only_when_allowed(tmp_path):
    log = tmp_path / "events.jsonl"
    _custom_run(log)
    header = log_info(log).header
    name = f"{QuietAgent.__module__}:QuietAgent"
    assert any(p.get("class") == name for p in header["population"])
    with pytest.raises(ScenarioError, match="not a distsafe agent type"):
        verify_log(log)
    assert verify_log(log, allow_classes=[QuietAgent]).ok
    # allowed under another name: still refused
    with pytest.raises(ScenarioError, match="not a distsafe agent type"):
        verify_log(log, allow_classes=["somewhere.else:QuietAgent"])


def test_allow_class_on_the_command_line(tmp_path):
    pkg = tmp_path / "mine"
    pkg.mkdir()
    (pkg / "my_agents.py").write_text(
        "from distsafe.agents.honest import HonestAgent\n\n\n"
        "class Careful(HonestAgent):\n"
        "    def act(self, observation):\n"
        "        return super().act(observation)\n"
    )
    script = tmp_path / "make.py"
    log = tmp_path / "events.jsonl"
    script.write_text(
        "import sys\nfrom pathlib import Path\n"
        "from my_agents import Careful\n"
        "from distsafe.scenarios import build_orchestrator, load_scenario\n"
        f"o = build_orchestrator(load_scenario('baseline', {SMALL!r}), log_path=Path({str(log)!r}))\n"
        "o.register_agent(Careful('careful_1'))\no.run()\n"
    )
    env = {"PYTHONPATH": os.pathsep.join([str(pkg), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env={**os.environ, **env}
    )
    assert r.returncode == 0, r.stderr
    r = cli("replay", str(log), "--verify", env=env)
    assert r.returncode == 2 and "my_agents:Careful" in r.stderr and "--allow-class" in r.stderr
    r = cli("replay", str(log), "--verify", "--allow-class", "my_agents:Careful", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "VERIFIED" in r.stdout
    r = cli("replay", str(log), "--verify", "--allow-class", "not a class", env=env)
    assert r.returncode == 2 and "--allow-class" in r.stderr and "module:Class" in r.stderr


# ---- finding 12: labels -------------------------------------------------------------------------------
def _relabel(h: dict[str, Any]) -> None:
    h["scenario"] = "trusted_audit"
    h["config"] = dict(h["config"], scenario_id="trusted_audit")


def test_a_relabelled_header_fails_against_its_run_folder(small_run, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(small_run, folder)
    reseal(small_run / "events.jsonl", folder / "events.jsonl", _relabel)
    res = verify_log(folder / "events.jsonl")
    assert not res.ok and res.epochs_rerun == 0
    assert "'scenario'" in res.message and "trusted_audit" in res.message


def test_a_label_that_disagrees_with_the_config_names_the_field(small_run, tmp_path):
    forged = reseal(
        small_run / "events.jsonl", tmp_path / "events.jsonl", lambda h: h.update(scenario="trusted_audit")
    )
    res = verify_log(forged)
    assert not res.ok
    assert res.message.startswith("header field 'scenario' differs from the re-run: 'trusted_audit'")


def test_a_changed_config_value_in_the_folder_names_the_nested_field(small_run, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(small_run, folder)

    def edit(h: dict[str, Any]) -> None:
        h["config"] = dict(h["config"], payoff_config=dict(h["config"]["payoff_config"], h=2.6))

    reseal(small_run / "events.jsonl", folder / "events.jsonl", edit)
    res = verify_log(folder / "events.jsonl")
    assert not res.ok and "config.payoff_config.h" in res.message


# ---- finding 12: a prefix is re-run only as far as it reaches ------------------------------------------
@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_a_150_epoch_prefix_of_a_5000_epoch_run_reruns_150_epochs(tmp_path, fmt):
    spec = load_scenario("baseline", ["simulation.n_epochs=5000", "simulation.steps_per_epoch=1"])
    out = tmp_path / "run"

    def stop(m: Any) -> None:
        if m.epoch == 149:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_scenario(spec, out, fmt, on_epoch=stop)
    log = out / ("events.jsonl" if fmt == "jsonl" else "events.parquet.d")
    info = log_info(log)
    assert info.header["n_epochs"] == 5000 and info.last_type == "simulation_interrupted"
    res = verify_log(log)
    assert res.ok, res.message
    assert res.epochs_rerun == 150 and not res.complete
    assert "prefix verified" in res.message and "incomplete" in res.message


def test_a_truncated_prefix_reruns_only_the_epochs_it_reaches(small_run, tmp_path):
    spec = load_scenario("baseline", ["simulation.n_epochs=40", "simulation.steps_per_epoch=2"])
    out = tmp_path / "run"
    run_scenario(spec, out)
    data = (out / "events.jsonl").read_bytes()
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(data[: len(data) // 4 + 7])  # ends inside a line, as a killed run's log does
    info = log_info(cut)
    assert not info.complete and "truncated" in info.message
    last_epoch = info.last_position[0]
    res = verify_log(cut)
    assert res.ok, res.message
    assert res.epochs_rerun in (last_epoch, last_epoch + 1) and res.epochs_rerun < 40


def test_a_header_claiming_more_epochs_than_its_log_is_caught_without_running_them(small_run, tmp_path):
    def edit(h: dict[str, Any]) -> None:
        h["n_epochs"] = 100_000
        h["config"] = dict(h["config"], n_epochs=100_000)

    forged = reseal(small_run / "events.jsonl", tmp_path / "events.jsonl", edit)
    res = verify_log(forged)
    assert not res.ok and res.epochs_rerun <= 4


def test_an_honest_run_still_verifies_with_its_folder_checked(small_run):
    res = verify_log(small_run / "events.jsonl")
    assert res.ok and res.complete and res.epochs_rerun == 3
    assert "scenario.yaml matches the log header" in res.notes
    manifest = json.loads((small_run / "manifest.json").read_text())
    assert manifest["status"] == "complete"
