"""The CLI against hostile or careless input (issue 9, findings 9 and 10): `--out` never overwrites, write
errors and surprises are one line, and untrusted text cannot crash Rich or reach the terminal raw."""

from __future__ import annotations

import errno
import re
from pathlib import Path
from typing import Any

import pytest

from distsafe.cli import INTERNAL_ERROR, main
from distsafe.scenarios.run_folder import RUN_FILES

SMALL = ["--epochs", "2", "-o", "simulation.steps_per_epoch=2", "-q"]


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def one_line(err: str) -> bool:
    return len(err.strip().splitlines()) == 1 and "Traceback" not in err


def tree(folder: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


# ---- finding 9: --out never overwrites ------------------------------------------------------------------
@pytest.mark.parametrize("name", RUN_FILES)
def test_out_refuses_a_folder_holding_any_run_file(tmp_path, capsys, name):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_bytes(b"my notes")
    if name.endswith(".d"):
        (folder / name).mkdir()
        (folder / name / "chain.jsonl").write_bytes(b"someone else's run")
    else:
        (folder / name).write_bytes(b"my own " + name.encode())
    before = tree(folder)
    rc, out, err = run_cli(capsys, "run", "baseline", *SMALL, "--out", str(folder))
    assert rc == 2 and one_line(err), err
    assert name in err and "nothing was written" in err
    assert tree(folder) == before


def test_out_refuses_the_other_formats_run(tmp_path, capsys):
    folder = tmp_path / "run"
    rc, _, err = run_cli(capsys, "run", "baseline", *SMALL, "--out", str(folder), "--log-format", "parquet")
    assert rc == 0, err
    before = tree(folder)
    rc, _, err = run_cli(capsys, "run", "baseline", *SMALL, "--out", str(folder), "--log-format", "jsonl")
    assert rc == 2 and one_line(err) and "events.parquet.d" in err and "manifest.json" in err
    assert tree(folder) == before


def test_out_naming_a_file_or_a_path_under_a_file(tmp_path, capsys):
    f = tmp_path / "results.txt"
    f.write_bytes(b"keep me")
    rc, _, err = run_cli(capsys, "run", "baseline", *SMALL, "--out", str(f))
    assert rc == 2 and one_line(err) and "is a file, not a folder" in err
    rc, _, err = run_cli(capsys, "run", "baseline", *SMALL, "--out", str(f / "sub" / "run"))
    assert rc == 2 and one_line(err) and f"{f} is a file, not a folder" in err
    assert f.read_bytes() == b"keep me" and sorted(p.name for p in tmp_path.iterdir()) == ["results.txt"]


# ---- finding 10: write errors and surprises are one line ----------------------------------------------
def test_a_full_disk_while_writing_the_run_folder_is_one_line(tmp_path, capsys, monkeypatch):
    import distsafe.scenarios.run_folder as rf

    def full(*a: Any, **k: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "run" / "metrics.csv"))

    monkeypatch.setattr(rf, "write_metrics", full)
    rc, _, err = run_cli(capsys, "run", "baseline", *SMALL, "--out", str(tmp_path / "run"))
    assert rc == 2 and one_line(err), err
    assert "metrics.csv: No space left on device" in err


def test_a_full_disk_while_writing_the_log_is_one_line(tmp_path, capsys, monkeypatch):
    from distsafe.eventlog.common import ChainWriter

    def full(self: ChainWriter) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ChainWriter, "flush", full)
    rc, _, err = run_cli(capsys, "run", "baseline", *SMALL, "--out", str(tmp_path / "run"))
    assert rc == 2 and one_line(err) and "No space left on device" in err, err


def test_an_unexpected_exception_is_one_line_with_a_hint(tmp_path, capsys, monkeypatch):
    import distsafe.scenarios.runner as runner

    def broken(*a: Any, **k: Any) -> None:
        raise ZeroDivisionError("float division by zero\nsecond line")

    monkeypatch.setattr(runner, "run_scenario", broken)
    rc, _, err = run_cli(capsys, "run", "baseline", *SMALL)
    assert rc == INTERNAL_ERROR and one_line(err), err
    assert "internal error: ZeroDivisionError: float division by zero" in err
    assert "please report it" in err and "DISTSAFE_DEBUG=1" in err
    monkeypatch.setenv("DISTSAFE_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["run", "baseline", *SMALL])


# ---- finding 10: markup and escape codes from untrusted text ------------------------------------------
HOSTILE = """scenario_id: "x[/bold] [red]id\\e[2J\\e]0;pwned\\a"
description: "[/] desc [link=http://evil]"
agents:
  - {type: honest, count: 2, id_prefix: "h[/x]\\e[31m"}
  - {type: adversarial, count: 1}
simulation: {n_epochs: 2, steps_per_epoch: 2}
"""
ESC = re.compile("[\x1b\x07]")


@pytest.fixture
def hostile_scenario(tmp_path: Path) -> Path:
    p = tmp_path / "hostile.yaml"
    p.write_text(HOSTILE)
    return p


def test_run_prints_hostile_labels_literally(hostile_scenario, tmp_path, capsys):
    out = tmp_path / "run"
    rc, stdout, err = run_cli(capsys, "run", str(hostile_scenario), "--out", str(out))
    assert rc == 0, err
    assert "x[/bold] [red]id" in stdout
    assert not ESC.search(stdout + err) and "pwned" not in stdout  # an OSC sequence goes whole


def test_replay_and_verify_print_hostile_labels_literally(hostile_scenario, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(hostile_scenario), "--out", str(out), "-q"]) == 0
    capsys.readouterr()
    rc, stdout, err = run_cli(capsys, "replay", str(out / "events.jsonl"), "--verify")
    assert rc == 0, err
    assert "scenario x[/bold] [red]id" in stdout and "VERIFIED" in stdout
    assert not ESC.search(stdout + err)


def test_compare_prints_hostile_names_literally(hostile_scenario, capsys):
    rc, stdout, err = run_cli(capsys, "compare", str(hostile_scenario), "--seeds", "1")
    assert rc == 0, err
    assert "x[/bold] [red]id" in stdout and not ESC.search(stdout + err)
    rc, stdout, err = run_cli(capsys, "compare", str(hostile_scenario), "--seeds", "1", "--markdown")
    assert rc == 0, err
    assert "| x[/bold] [red]id" in stdout and not ESC.search(stdout)


def test_an_interrupted_log_is_reported_with_its_reason(tmp_path, capsys, monkeypatch):
    from distsafe.scenarios import load_scenario
    from distsafe.scenarios.runner import run_scenario

    out = tmp_path / "run"

    def stop(m: Any) -> None:
        if m.epoch == 1:
            raise RuntimeError("[red]model server\x1b[2J went away")

    with pytest.raises(RuntimeError):
        run_scenario(load_scenario("baseline", ["simulation.n_epochs=4"]), out, on_epoch=stop)
    rc, stdout, err = run_cli(capsys, "replay", str(out / "events.jsonl"), "--verify")
    assert rc == 0, err
    assert "run failed (RuntimeError: [red]model server went away)" in err
    assert "prefix verified" in stdout and "incomplete" in stdout and not ESC.search(stdout + err)
