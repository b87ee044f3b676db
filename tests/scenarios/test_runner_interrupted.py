"""Runs that stop early (issue 9, finding 5): Ctrl-C or an exception ends the log with a marker, the manifest
says so, `replay` reports it and `--verify` checks the log as a prefix; a write cut off part way (a full
disk, Ctrl-C inside the writer) never turns into a false tamper alarm."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any

import pytest

from distsafe.eventlog import log_info, read_log
from distsafe.eventlog.common import ChainWriter
from distsafe.scenarios import load_scenario
from distsafe.scenarios.runner import run_scenario, verify_log

SMALL = ["simulation.n_epochs=6", "simulation.steps_per_epoch=3"]
FORMATS = ["jsonl", "parquet"]


def log_of(out: Path, fmt: str) -> Path:
    return out / ("events.jsonl" if fmt == "jsonl" else "events.parquet.d")


class Boom(RuntimeError):
    pass


def _stop_at(epoch: int, exc: BaseException) -> Any:
    def cb(m: Any) -> None:
        if m.epoch == epoch:
            raise exc

    return cb


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "exc, marker, status",
    [
        (KeyboardInterrupt(), "simulation_interrupted", "interrupted"),
        (Boom("a policy broke: agent 3"), "simulation_failed", "failed"),
    ],
)
def test_an_early_stop_ends_the_log_with_a_marker(tmp_path, fmt, exc, marker, status):
    out = tmp_path / "run"
    with pytest.raises(type(exc)):
        run_scenario(load_scenario("baseline", SMALL), out, fmt, on_epoch=_stop_at(2, exc))
    log = log_of(out, fmt)
    read = read_log(log)
    last = read.events[-1]
    assert last.event_type.value == marker
    assert all(e.event_type.value != "simulation_ended" for e in read.events)
    assert last.payload["epochs_completed"] == 3
    reason = last.payload["reason"]
    assert reason.startswith(type(exc).__name__)
    if isinstance(exc, Boom):
        assert reason == "Boom: a policy broke: agent 3"
    assert not read.complete and f"run {status} ({reason})" in read.message

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == status and manifest["reason"] == reason and manifest["epochs"] == 3
    assert len((out / "metrics.csv").read_text().splitlines()) == 1 + 3

    res = verify_log(log)
    assert res.ok, res.message
    assert not res.complete and res.epochs_rerun == 3
    assert "prefix verified" in res.message and "incomplete" in res.message
    assert res.n_events == len(read.events)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_completed_run_still_ends_with_simulation_ended(tmp_path, fmt):
    out = tmp_path / "run"
    run_scenario(load_scenario("baseline", SMALL), out, fmt)
    info = log_info(log_of(out, fmt))
    assert info.complete and info.last_type == "simulation_ended" and info.end_reason is None
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_interrupted_prefix_with_a_forged_event_is_not_verified(tmp_path, fmt):
    from distsafe.eventlog import open_event_log

    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        run_scenario(load_scenario("baseline", SMALL), out, fmt, on_epoch=_stop_at(2, KeyboardInterrupt()))
    read = read_log(log_of(out, fmt))
    forged = tmp_path / ("f.jsonl" if fmt == "jsonl" else "f.parquet.d")
    header = {k: v for k, v in read.header.items() if k not in ("format", "log_version", "storage")}
    with open_event_log(forged, "w", fmt=fmt, header=header) as log:
        for e in read.events:
            if e.event_type.value == "epoch_completed" and e.epoch == 1:
                e.payload["metrics"]["toxicity_rate"] = 0.01
            log.append(e)
    res = verify_log(forged)
    assert not res.ok and "data.metrics" in res.message


def test_a_full_disk_ends_the_run_with_a_readable_prefix(tmp_path, monkeypatch):
    """ENOSPC from the log writer: the run raises OSError, the log keeps its whole lines (no marker can be
    written safely), and it verifies as a prefix rather than reading as tampered."""
    real_flush = ChainWriter.flush

    def flaky_flush(self: ChainWriter) -> None:
        if self.buf and Path(self.path).stat().st_size > 20_000:
            self._fh.write(self.buf[0][:17])  # part of a line reached the disk before it filled up
            raise OSError(errno.ENOSPC, "No space left on device")
        real_flush(self)

    monkeypatch.setattr(ChainWriter, "flush", flaky_flush)
    spec = load_scenario("baseline", ["simulation.n_epochs=100", "simulation.steps_per_epoch=5"])
    out = tmp_path / "run"
    with pytest.raises(OSError) as err:
        run_scenario(spec, out, "jsonl")
    assert err.value.errno == errno.ENOSPC
    monkeypatch.setattr(ChainWriter, "flush", real_flush)
    info = log_info(out / "events.jsonl")
    # the log is flushed at each epoch end (so that a run can be watched), so the disk fills at an epoch's end
    assert not info.complete and info.n_events > 40 and info.last_type != "simulation_ended"
    res = verify_log(out / "events.jsonl")
    assert res.ok and not res.complete, res.message
    assert 0 < res.epochs_rerun < 100
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "failed" and "No space left" in manifest["reason"]


@pytest.mark.parametrize("where", ["add", "add_interactions"])
def test_ctrl_c_inside_the_writer_leaves_a_log_that_verifies(tmp_path, monkeypatch, where):
    """A KeyboardInterrupt that lands inside the writer, after part of a batch of lines was buffered."""
    real = getattr(ChainWriter, where)
    calls = {"n": 0}

    def interrupted(self: ChainWriter, *args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == (40 if where == "add" else 5):
            if where == "add_interactions":
                before, after = args
                real(self, before[:1], after[:1])  # one line buffered, then the interrupt
            else:
                self.prev = "f" * 64  # the chain state moved on, the line never reached the buffer
            raise KeyboardInterrupt
        return real(self, *args)

    monkeypatch.setattr(ChainWriter, where, interrupted)
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        run_scenario(load_scenario("baseline", SMALL), out, "jsonl")
    monkeypatch.setattr(ChainWriter, where, real)
    info = log_info(out / "events.jsonl")  # raises EventLogError on a broken chain
    assert not info.complete and info.last_type != "simulation_ended"
    res = verify_log(out / "events.jsonl")
    assert res.ok, res.message
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"


def test_the_orchestrator_api_marks_the_log_too(tmp_path):
    from distsafe.scenarios import build_orchestrator

    orch = build_orchestrator(load_scenario("baseline", SMALL), log_path=tmp_path / "e.jsonl")

    def fail(epoch: int, step: int, n: int) -> None:
        if (epoch, step) == (1, 1):
            raise ValueError("bad\nmulti-line\tmessage")

    orch.on_step_end(fail)
    with pytest.raises(ValueError):
        orch.run()
    info = log_info(tmp_path / "e.jsonl")
    assert info.last_type == "simulation_failed" and info.last_position == (1, 1)
    assert info.end_reason == "ValueError: bad multi-line message"
