"""Comparing two event logs: the first difference, field by field, floats bit for bit.

`compare_logs` is what `distsafe replay --verify` uses to check a re-run against the original log. Two
logs of any storage are compared event by event; two Parquet logs take a fast path that compares equal
segments (a batch's columns and the records after it) with numpy and builds Events only from the first
segment that differs, so the difference it names is the one the event-by-event comparison names.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from distsafe.eventlog.common import DEFAULT_IGNORED_HEADER_KEYS, EventLogError, LogDiff, record_event
from distsafe.eventlog.factory import open_event_log
from distsafe.models.events import Event

if TYPE_CHECKING:
    from collections.abc import Callable

    from distsafe.eventlog.parquet import ParquetEventLog
    from distsafe.eventlog.parquet_batches import Segment

    StreamComparer = Callable[[Iterator[Event], Iterator[Event]], LogDiff | None]


def compare_logs(
    path_a: str | os.PathLike[str], path_b: str | os.PathLike[str], ignore_header_keys: Iterable[str] = ()
) -> LogDiff | None:
    """The first difference between two logs (any storage), or None when they record the same run.

    Headers are compared key by key except `ignore_header_keys` (plus "storage", so a JSONL log and a
    Parquet log of one run compare equal); events are compared field by field, floats bit for bit.
    """
    try:
        return _compare_logs(path_a, path_b, ignore_header_keys)
    except RecursionError:  # a payload nested too deeply to compare (a forged log)
        raise EventLogError(f"{path_a} / {path_b}: a record is nested too deeply to compare") from None


def _compare_logs(
    path_a: str | os.PathLike[str], path_b: str | os.PathLike[str], ignore_header_keys: Iterable[str]
) -> LogDiff | None:
    log_a, log_b = open_event_log(path_a, "r"), open_event_log(path_b, "r")
    ignored = set(ignore_header_keys) | set(DEFAULT_IGNORED_HEADER_KEYS)
    ha, hb = log_a.header, log_b.header
    for key in sorted((set(ha) | set(hb)) - ignored):
        va, vb = ha.get(key, "<absent>"), hb.get(key, "<absent>")
        if _differs(va, vb):
            return LogDiff(
                None, None, f"header.{key}", va, vb, f"headers differ at {key!r}: {va!r} != {vb!r}"
            )
    if log_a.fmt == "parquet" and log_b.fmt == "parquet":
        from distsafe.eventlog.parquet import ParquetEventLog

        assert isinstance(log_a, ParquetEventLog) and isinstance(log_b, ParquetEventLog)
        return compare_parquet_events(log_a, log_b)
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
            return LogDiff(
                present.seq,
                present.event_type.value,
                "<missing>",
                None if ea is None else ea.event_type.value,
                None if eb is None else eb.event_type.value,
                f"the {side} log ends before event seq {present.seq} ({present.event_type.value})",
            )
        diff = event_diff(ea, eb)
        if diff is not None:
            return diff


def event_diff(ea: Event, eb: Event) -> LogDiff | None:
    """The first differing field of two events (data keys one by one), or None."""
    ra, rb = ea.to_record(), eb.to_record()
    where = f"event seq {ea.seq} ({ea.event_type.value}) differs at"
    for key in sorted(set(ra) | set(rb)):
        va, vb = ra.get(key, "<absent>"), rb.get(key, "<absent>")
        if key == "data" and isinstance(va, dict) and isinstance(vb, dict):
            for dk in sorted(set(va) | set(vb)):
                da, db = va.get(dk, "<absent>"), vb.get(dk, "<absent>")
                if _differs(da, db):
                    field = f"data.{dk}"
                    return LogDiff(
                        ea.seq, ea.event_type.value, field, da, db, f"{where} {field}: {da!r} != {db!r}"
                    )
        elif _differs(va, vb):
            return LogDiff(ea.seq, ea.event_type.value, key, va, vb, f"{where} {key}: {va!r} != {vb!r}")
    return None


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a.hex() != b.hex()
    both_numbers = (
        isinstance(a, (int, float))
        and isinstance(b, (int, float))
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    )
    if type(a) is not type(b) and not both_numbers:
        return True
    if isinstance(a, dict):
        return a.keys() != b.keys() or any(_differs(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) != len(b) or any(_differs(x, y) for x, y in zip(a, b))
    return bool(a != b)


# ---- two Parquet logs: equal segments compared column-wise ---------------------------------------------
def compare_parquet_events(
    log_a: ParquetEventLog, log_b: ParquetEventLog, compare_streams: StreamComparer | None = None
) -> LogDiff | None:
    """`compare_logs` for two Parquet logs: the first differing event (a LogDiff) or None.

    Equal segments are skipped column-wise; from the first segment that differs (or does not line up,
    e.g. batches cut at other rows) the logs are compared event by event with `compare_streams`
    (default `compare_event_streams`).
    """
    compare = compare_streams or compare_event_streams
    seg_a, seg_b = log_a.segments(), log_b.segments()
    start = 0
    while True:
        sa, sb = next(seg_a, None), next(seg_b, None)
        if sa is None and sb is None:
            return None
        if sa is not None and sb is not None:
            m = _same_segment(sa, sb, start)
            if m is not None:
                start += m
                continue
        return compare(_events_from(sa, seg_a, start, log_a.path), _events_from(sb, seg_b, start, log_b.path))


def _events_from(first: Segment | None, rest: Iterator[Segment], start: int, path: str) -> Iterator[Event]:
    """Events of `first` and the segments after it, seq-checked from `start` as `replay()` checks them."""
    from distsafe.eventlog.parquet_batches import merge_events, segment_entries

    expected = start
    segs = rest if first is None else _chain_one(first, rest)
    for ev in merge_events(segment_entries(segs)):
        if ev.seq != expected:
            raise EventLogError(f"{path}: event seq {ev.seq} where {expected} was expected", seq=ev.seq)
        expected += 1
        yield ev


def _chain_one(first: Segment, rest: Iterator[Segment]) -> Iterator[Segment]:
    yield first
    yield from rest


def _record_text(rec: dict[str, Any]) -> bytes | None:
    """Sorted-key JSON bytes of a record without its chain fields; None when orjson cannot encode it
    (e.g. an integer beyond 64 bits): the caller then compares the events field by field."""
    body = {k: v for k, v in rec.items() if k != "prev" and k != "h"}
    try:
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    except (TypeError, ValueError):  # orjson.JSONEncodeError is a TypeError
        return None


def _bits(arr: np.ndarray) -> np.ndarray:
    """Floats as their bit patterns (so -0.0 != 0.0, as the event comparison's float.hex() has it)."""
    return arr.view(f"u{arr.dtype.itemsize}") if arr.dtype.kind == "f" else arr


def _same_segment(sa: Segment, sb: Segment, start: int) -> int | None:
    """The number of events of two segments that hold the same events (seqs start.., in the same order
    on both sides); None when they differ anywhere or are laid out differently."""
    from distsafe.eventlog.parquet_batches import ALL_COLUMNS

    cols_a, recs_a = sa
    cols_b, recs_b = sb
    if (cols_a is None) != (cols_b is None) or len(recs_a) != len(recs_b):
        return None
    nb_a = [r.get("seq") for r in recs_a]
    if nb_a != [r.get("seq") for r in recs_b] or not all(type(s) is int for s in nb_a):
        return None
    seq_parts = [np.asarray(nb_a, dtype=np.int64)]
    if cols_a is not None and cols_b is not None:
        if not np.array_equal(cols_a["seq"], cols_b["seq"]):
            return None
        seq_parts.append(cols_a["seq"])
    for part in seq_parts:
        if len(part) > 1 and not np.all(np.diff(part) > 0):
            return None
    allseq = np.sort(np.concatenate(seq_parts))
    m = len(allseq)
    if not np.array_equal(allseq, np.arange(start, start + m, dtype=np.int64)):
        return None
    if cols_a is not None and cols_b is not None:
        for c in ALL_COLUMNS:
            if c in ("initiator", "counterparty", "seq"):
                continue
            if not np.array_equal(_bits(cols_a[c]), _bits(cols_b[c])):
                return None
        if not _same_agents(cols_a, cols_b):
            return None
    for ra, rb in zip(recs_a, recs_b):
        ta = _record_text(ra)
        if ta is not None and ta == _record_text(rb):
            continue
        if event_diff(record_event(ra), record_event(rb)) is not None:
            return None
    return m


def _same_agents(cols_a: dict[str, Any], cols_b: dict[str, Any]) -> bool:
    """Whether the initiator and counterparty columns name the same agents (lists may be ordered apart)."""
    agents_a, agents_b = cols_a["__agents__"], cols_b["__agents__"]
    same_lists = agents_a is agents_b or agents_a == agents_b
    for c in ("initiator", "counterparty"):
        if same_lists:
            if not np.array_equal(cols_a[c], cols_b[c]):
                return False
            continue
        try:
            names_a = np.asarray(agents_a, dtype=object)[cols_a[c]]
            names_b = np.asarray(agents_b, dtype=object)[cols_b[c]]
        except IndexError:
            return False
        if not np.all(names_a == names_b):
            return False
    return True
