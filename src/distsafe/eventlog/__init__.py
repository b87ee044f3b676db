"""Append-only, hash-chained event logs (JSONL for small runs, a Parquet directory for large ones).

    with open_event_log("run.jsonl", "w", header={"scenario": "baseline", "seed": 7}) as log:
        log.append(Event(event_type=EventType.SIMULATION_STARTED))
        log.append_interactions(batch, agent_ids, timestamp=step)
        log.append(Event(event_type=EventType.SIMULATION_ENDED))
    result = read_log("run.jsonl")          # header, events, complete, message
    verify_chain("run.jsonl")               # raises EventLogError naming the first bad line

Modules: base (the writer/reader contracts), factory (`open_event_log`), jsonl and parquet (the two
storages), common (line format, hash rule, chain scanner), compare (`compare_logs`), interactions (rows
<-> events). See docs/eventlog.md for the file formats and the hash rule.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from distsafe.eventlog.base import EventLogBase, EventLogReader, EventLogWriter
from distsafe.eventlog.common import ChainStatus, EventLogError, LogDiff, LogReadResult, canonical
from distsafe.eventlog.compare import compare_event_streams, compare_logs, event_diff
from distsafe.eventlog.factory import EventLog, infer_format, open_event_log
from distsafe.eventlog.jsonl import JsonlEventLog
from distsafe.models.columns import InteractionBatch


def __getattr__(name: str) -> Any:
    # The Parquet log needs pyarrow (the [parquet] extra); import it only when asked for.
    if name == "ParquetEventLog":
        from distsafe.eventlog.parquet import ParquetEventLog

        return ParquetEventLog
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ChainStatus",
    "EventLog",
    "EventLogBase",
    "EventLogError",
    "EventLogReader",
    "EventLogWriter",
    "JsonlEventLog",
    "LogDiff",
    "LogInfo",
    "LogReadResult",
    "ParquetEventLog",
    "batches_by_epoch",
    "canonical",
    "compare_event_streams",
    "compare_logs",
    "event_diff",
    "infer_format",
    "log_info",
    "open_event_log",
    "read_log",
    "verify_chain",
]


@dataclass
class LogInfo:
    """What `replay` needs to print about a log without building its events."""

    header: dict[str, Any]
    n_events: int
    complete: bool
    message: str
    #: the last hash of the chain (what `distsafe run --sign` signs), the last event's type, and the reason
    #: an interrupted or failed run's end marker gives
    last_hash: str = ""
    last_type: str | None = None
    end_reason: str | None = None
    last_position: tuple[int, int] | None = None


def log_info(path: str | os.PathLike[str], fmt: str | None = None) -> LogInfo:
    """Header, number of valid events and completeness of a log; the whole chain is verified (raises
    EventLogError like `verify_chain`), but no Event objects are built (cheap for big Parquet logs)."""
    log = open_event_log(path, "r", fmt)
    status = log.verify()
    return LogInfo(
        log.header,
        status.n_events,
        status.complete,
        status.message,
        status.last_hash,
        status.last_type,
        status.end_reason,
        status.last_position,
    )


def read_log(path: str | os.PathLike[str], fmt: str | None = None) -> LogReadResult:
    """Header, events (a list) and completeness of a log; a cut-short tail is dropped with a message."""
    return open_event_log(path, "r", fmt).read()


def verify_chain(path: str | os.PathLike[str], fmt: str | None = None) -> ChainStatus:
    """Check every hash and link. Raises EventLogError (with `.line` and `.seq`) at the first bad line;
    otherwise returns the number of valid events and whether the run finished."""
    return open_event_log(path, "r", fmt).verify()


def batches_by_epoch(
    path: str | os.PathLike[str], fmt: str | None = None
) -> dict[int, tuple[InteractionBatch, list[str]]]:
    """epoch -> (InteractionBatch, agent_ids), rebuilt from the log alone (for per-epoch metrics)."""
    return open_event_log(path, "r", fmt).batches_by_epoch()
