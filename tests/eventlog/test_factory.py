"""open_event_log: one factory for both storages (format from `fmt` or the path), the EventLog alias, and
the writer/reader contracts both storages implement."""

from __future__ import annotations

import inspect

import pytest

from distsafe.eventlog import (
    EventLog,
    EventLogBase,
    EventLogError,
    EventLogReader,
    EventLogWriter,
    JsonlEventLog,
    ParquetEventLog,
    infer_format,
    open_event_log,
)


def test_factory_dispatch_and_errors(tmp_path):
    log = open_event_log(tmp_path / "x.jsonl", "w")
    assert isinstance(log, JsonlEventLog) and isinstance(log, EventLogBase)
    assert isinstance(log, EventLogWriter) and isinstance(log, EventLogReader)
    log.close()
    with pytest.raises(EventLogError, match="mode"):
        open_event_log(tmp_path / "x.jsonl", "a")
    with pytest.raises(EventLogError, match="unknown event log format"):
        open_event_log(tmp_path / "x.jsonl", "r", fmt="csv")
    assert isinstance(open_event_log(tmp_path / "x.jsonl"), JsonlEventLog)
    pq_log = open_event_log(tmp_path / "y.jsonl", "w", fmt="parquet")  # fmt wins over the name
    assert isinstance(pq_log, ParquetEventLog) and pq_log.fmt == "parquet"
    pq_log.close()


def test_format_inference(tmp_path, write_interleaved_run):
    assert infer_format(tmp_path / "a.jsonl") == "jsonl"
    assert infer_format(tmp_path / "a.log") == "jsonl"
    assert infer_format(tmp_path / "a.parquet") == "parquet"
    assert infer_format(tmp_path / "a.d") == "parquet"
    assert infer_format(tmp_path) == "parquet"  # an existing directory
    d = tmp_path / "run.parquet.d"
    write_interleaved_run(d, n_epochs=1)
    assert isinstance(open_event_log(d), ParquetEventLog)
    assert isinstance(open_event_log(tmp_path / "run.parquet"), ParquetEventLog)  # `run.parquet` -> `.d`
    with pytest.raises(EventLogError, match="no chain.jsonl"):
        open_event_log(tmp_path / "nothing.d")


def test_eventlog_alias_calls_the_factory(tmp_path, write_run):
    p = tmp_path / "run.jsonl"
    write_run(p, n_epochs=1)
    log = EventLog(p)
    assert isinstance(log, JsonlEventLog) and log.mode == "r"
    assert [e.seq for e in log.replay()] == [e.seq for e in open_event_log(p).replay()]
    assert inspect.signature(EventLog) == inspect.signature(open_event_log)
    with pytest.raises(EventLogError, match="unknown event log format"):
        EventLog(p, "r", fmt="csv")


def test_contracts_are_abstract():
    assert inspect.isabstract(EventLogWriter) and inspect.isabstract(EventLogReader)
    assert inspect.isabstract(EventLogBase)
    assert not inspect.isabstract(JsonlEventLog) and not inspect.isabstract(ParquetEventLog)
    with pytest.raises(TypeError):
        EventLogBase("x.jsonl")  # type: ignore[abstract]
    assert {"append", "append_interactions", "flush", "close", "closed"} <= EventLogWriter.__abstractmethods__
    assert {"verify", "interaction_batches"} <= EventLogReader.__abstractmethods__
