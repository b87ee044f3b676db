"""Append-only, hash-chained event logs (JSONL for small runs, a Parquet directory for large ones).

    with open_event_log("run.jsonl", "w", header={"scenario": "baseline", "seed": 7}) as log:
        log.append(Event(event_type=EventType.SIMULATION_STARTED))
        log.append_interactions(batch, agent_ids, timestamp=step)
        log.append(Event(event_type=EventType.SIMULATION_ENDED))
    result = read_log("run.jsonl")          # header, events, complete, message
    verify_chain("run.jsonl")               # raises EventLogError naming the first bad line

See docs/eventlog.md for the file formats and the hash rule.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from distsafe.eventlog.base import EventLog, infer_format
from distsafe.eventlog.common import (
    DEFAULT_IGNORED_HEADER_KEYS,
    ChainStatus,
    EventLogError,
    LogDiff,
    LogReadResult,
    canonical,
)
from distsafe.eventlog.jsonl import JsonlEventLog
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import Event



def __getattr__(name: str) -> Any:
    # The Parquet log needs pyarrow (the [parquet] extra); import it only when asked for.
    if name == "ParquetEventLog":
        from distsafe.eventlog.parquet import ParquetEventLog

        return ParquetEventLog
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ChainStatus",
    "EventLog",
    "EventLogError",
    "JsonlEventLog",
    "LogDiff",
    "LogInfo",
    "LogReadResult",
    "ParquetEventLog",
    "batches_by_epoch",
    "canonical",
    "compare_logs",
    "infer_format",
    "log_info",
    "open_event_log",
    "read_log",
    "verify_chain",
]


def open_event_log(path: str | os.PathLike[str], mode: str = "r", fmt: str | None = None,
                   header: dict[str, Any] | None = None, **options: Any) -> EventLog:
    """Open a log for writing ("w") or reading ("r"); `fmt=None` infers it from the path."""
    return EventLog(path, mode, fmt, header, **options)


@dataclass
class LogInfo:
    """What `replay` needs to print about a log without building its events."""

    header: dict[str, Any]
    n_events: int
    complete: bool
    message: str


def log_info(path: str | os.PathLike[str], fmt: str | None = None) -> LogInfo:
    """Header, number of valid events and completeness of a log; the whole chain is verified (raises
    EventLogError like `verify_chain`), but no Event objects are built (cheap for big Parquet logs)."""
    log = EventLog(path, "r", fmt)
    status = log.verify()
    return LogInfo(log.header, status.n_events, status.complete, status.message)


def read_log(path: str | os.PathLike[str], fmt: str | None = None) -> LogReadResult:
    """Header, events (a list) and completeness of a log; a cut-short tail is dropped with a message."""
    return EventLog(path, "r", fmt).read()


def verify_chain(path: str | os.PathLike[str], fmt: str | None = None) -> ChainStatus:
    """Check every hash and link. Raises EventLogError (with `.line` and `.seq`) at the first bad line;
    otherwise returns the number of valid events and whether the run finished."""
    return EventLog(path, "r", fmt).verify()


def batches_by_epoch(path: str | os.PathLike[str], fmt: str | None = None) -> dict[int, tuple[InteractionBatch, list[str]]]:
    """epoch -> (InteractionBatch, agent_ids), rebuilt from the log alone (for per-epoch metrics)."""
    return EventLog(path, "r", fmt).batches_by_epoch()


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a.hex() != b.hex()
    if type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))
                                       and not isinstance(a, bool) and not isinstance(b, bool)):
        return True
    if isinstance(a, dict):
        return a.keys() != b.keys() or any(_differs(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) != len(b) or any(_differs(x, y) for x, y in zip(a, b))
    return a != b


def compare_logs(path_a: str | os.PathLike[str], path_b: str | os.PathLike[str],
                 ignore_header_keys: Iterable[str] = ()) -> LogDiff | None:
    """The first difference between two logs (any storage), or None when they record the same run.

    Headers are compared key by key except `ignore_header_keys` (plus "storage", so a JSONL log and a
    Parquet log of one run compare equal); events are compared field by field, floats bit for bit.
    """
    log_a, log_b = EventLog(path_a, "r"), EventLog(path_b, "r")
    ignored = set(ignore_header_keys) | set(DEFAULT_IGNORED_HEADER_KEYS)
    ha, hb = log_a.header, log_b.header
    for key in sorted((set(ha) | set(hb)) - ignored):
        va, vb = ha.get(key, "<absent>"), hb.get(key, "<absent>")
        if _differs(va, vb):
            return LogDiff(None, None, f"header.{key}", va, vb, f"headers differ at {key!r}: {va!r} != {vb!r}")
    if log_a.fmt == "parquet" and log_b.fmt == "parquet":
        from distsafe.eventlog.parquet import compare_parquet_events

        return compare_parquet_events(log_a, log_b, compare_event_streams)  # type: ignore[arg-type]
    return compare_event_streams(log_a.replay(), log_b.replay())


def compare_event_streams(it_a: Iterator[Event], it_b: Iterator[Event]) -> LogDiff | None:
    """The first difference between two event streams taken in step, field by field, floats bit for bit."""
    while True:
        ea, eb = next(it_a, None), next(it_b, None)
        if ea is None and eb is None:
            return None
        if ea is None or eb is None:
            present = ea or eb
            assert present is not None
            side = "first" if ea is None else "second"
            return LogDiff(present.seq, present.event_type.value, "<missing>",
                           None if ea is None else ea.event_type.value, None if eb is None else eb.event_type.value,
                           f"the {side} log ends before event seq {present.seq} ({present.event_type.value})")
        diff = event_diff(ea, eb)
        if diff is not None:
            return diff


def event_diff(ea: Event, eb: Event) -> LogDiff | None:
    """The first differing field of two events (data keys one by one), or None."""
    ra, rb = ea.to_record(), eb.to_record()
    for key in sorted(set(ra) | set(rb)):
        va, vb = ra.get(key, "<absent>"), rb.get(key, "<absent>")
        if key == "data" and isinstance(va, dict) and isinstance(vb, dict):
            for dk in sorted(set(va) | set(vb)):
                da, db = va.get(dk, "<absent>"), vb.get(dk, "<absent>")
                if _differs(da, db):
                    return LogDiff(ea.seq, ea.event_type.value, f"data.{dk}", da, db,
                                   f"event seq {ea.seq} ({ea.event_type.value}) differs at data.{dk}: {da!r} != {db!r}")
        elif _differs(va, vb):
            return LogDiff(ea.seq, ea.event_type.value, key, va, vb,
                           f"event seq {ea.seq} ({ea.event_type.value}) differs at {key}: {va!r} != {vb!r}")
    return None
