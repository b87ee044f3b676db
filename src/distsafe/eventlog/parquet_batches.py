"""The batch files of a Parquet event log: their columns and digest, writing and checking one, and
turning their rows back into events merged with the event records held back behind them.

Kept apart from parquet.py (the log class) so that the comparison (compare.py) can use the segment
reading without reaching into the class.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from distsafe.eventlog.checks import agent_index_problem, columns_problem
from distsafe.eventlog.common import EventLogError, make_event, record_event
from distsafe.eventlog.interactions import DATA_COLUMNS
from distsafe.models.columns import COLUMNS
from distsafe.models.events import Event, EventType
from distsafe.models.interaction import InteractionType

CHAIN_FILE = "chain.jsonl"
EXTRA_COLUMNS: dict[str, Any] = {"seq": np.int64, "t": np.float64}
ALL_COLUMNS: dict[str, Any] = {**COLUMNS, **EXTRA_COLUMNS}
_TYPE_VALUES = [t.value for t in InteractionType]
_INTERACTION = EventType.INTERACTION_COMPLETED

# A segment: one batch line's columns (None before the first batch line) and the event records that
# follow it up to the next batch line. Events appended while a batch was open are held back behind its
# line, so a segment's events interleave by seq; replay merges them back into seq order.
Segment = tuple[dict[str, Any] | None, list[dict[str, Any]]]


def batch_digest(cols: dict[str, np.ndarray]) -> str:
    """sha256 over, for each column of ALL_COLUMNS in order: name, NUL, the little-endian raw values."""
    h = hashlib.sha256()
    for name, dt in ALL_COLUMNS.items():
        h.update(name.encode("ascii") + b"\0")
        h.update(np.ascontiguousarray(cols[name], dtype=np.dtype(dt).newbyteorder("<")).tobytes())
    return h.hexdigest()


def write_batch_file(
    directory: str, number: int, cols: dict[str, np.ndarray], compression: str, fsync: bool
) -> str:
    """Write batch file `number` under a hidden temp name, then rename it; returns its file name."""
    name = f"batch_{number:06d}.parquet"
    tmp = os.path.join(directory, f".batch_{number:06d}.tmp")
    table = pa.table({c: np.ascontiguousarray(cols[c], dtype=dt) for c, dt in ALL_COLUMNS.items()})
    pq.write_table(table, tmp, compression=compression)
    if fsync:
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
    os.replace(tmp, os.path.join(directory, name))
    return name


def load_batch_file(directory: str, entry: dict[str, Any], lineno: int) -> dict[str, np.ndarray]:
    """The columns of the batch file a batch line names, checked against its row count and digest."""
    fname = str(entry.get("file", ""))
    full = os.path.join(directory, os.path.basename(fname))
    where = f"{os.path.join(directory, CHAIN_FILE)}: line {lineno} (seq {entry.get('seq_first')})"
    if not os.path.isfile(full):
        raise EventLogError(
            f"{where}: batch file {fname} is missing", line=lineno, seq=entry.get("seq_first")
        )
    try:
        table = pq.read_table(full)
        cols = {c: np.asarray(table.column(c).to_numpy(), dtype=dt) for c, dt in ALL_COLUMNS.items()}
    except (OSError, KeyError, pa.ArrowException) as exc:
        raise EventLogError(
            f"{where}: batch file {fname} unreadable: {exc}".replace("\n", " "),
            line=lineno,
            seq=entry.get("seq_first"),
        ) from None
    if len(cols["seq"]) != entry.get("rows") or batch_digest(cols) != entry.get("digest"):
        raise EventLogError(
            f"{where}: batch file {fname} does not match its digest; the log was modified",
            line=lineno,
            seq=entry.get("seq_first"),
        )
    problem = columns_problem(cols, entry)
    if problem is not None:
        raise EventLogError(
            f"{where}: batch file {fname}: {problem}", line=lineno, seq=entry.get("seq_first")
        )
    return cols


def check_agent_indices(cols: dict[str, np.ndarray], agents: list[str], where: str, lineno: int) -> None:
    """EventLogError unless every agent index of a batch names an agent of `agents`."""
    problem = agent_index_problem(cols, len(agents))
    if problem is not None:
        raise EventLogError(f"{where}: line {lineno}: {problem}", line=lineno)


def row_events(cols: dict[str, Any], lo: int, hi: int) -> Iterator[Event]:
    """The interaction events of rows lo..hi of a batch's columns (with `__agents__`)."""
    agents = cols["__agents__"]
    lists = {c: cols[c][lo:hi].tolist() for c in ALL_COLUMNS}
    for c in ("initiator", "counterparty"):
        lists[c] = [agents[i] for i in lists[c]]
    lists["itype"] = [_TYPE_VALUES[i] for i in lists["itype"]]
    keys = ["type" if c == "itype" else c for c in DATA_COLUMNS]
    for seq, t, epoch, step, vals in zip(
        lists["seq"], lists["t"], lists["epoch"], lists["step"], zip(*(lists[c] for c in DATA_COLUMNS))
    ):
        yield make_event(seq, _INTERACTION, t, epoch, step, None, dict(zip(keys, vals)))


def merge_events(entries: Iterable[tuple[dict[str, Any] | None, dict[str, Any]]]) -> Iterator[Event]:
    """Events in seq order from chain entries in chain order, lazily: (batch columns, entry) for a batch
    line, (None, record) for an event line. Records held back behind a batch line are merged between its
    rows by seq."""
    current: dict[str, Any] | None = None
    pos = 0
    for cols, rec in entries:
        if cols is not None:
            if current is not None:
                yield from row_events(current, pos, len(current["seq"]))
            current, pos = cols, 0
            continue
        ev = record_event(rec)
        if current is not None and pos < len(current["seq"]):
            stop = int(np.searchsorted(current["seq"], ev.seq))
            if stop > pos:
                yield from row_events(current, pos, stop)
                pos = stop
        yield ev
    if current is not None:
        yield from row_events(current, pos, len(current["seq"]))


def segment_entries(segments: Iterable[Segment]) -> Iterator[tuple[dict[str, Any] | None, dict[str, Any]]]:
    """Segments back as the chain entries `merge_events` takes."""
    for cols, recs in segments:
        if cols is not None:
            yield cols, {}
        for rec in recs:
            yield None, rec
