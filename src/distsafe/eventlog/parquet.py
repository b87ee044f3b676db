"""Parquet storage for large runs: a directory holding a hash-chained `chain.jsonl` and batch files.

    run.parquet.d/
        chain.jsonl            header, then one sealed line per non-interaction event (same format as a
                               JSONL log) or per committed interaction batch (`{"batch": {...}}`)
        batch_000001.parquet   the interactions of one epoch, columnar: the InteractionBatch columns
        batch_000002.parquet   (agent indices) plus `seq` (int64) and `t` (float64)

A batch line records the file name, row count, epoch, first/last seq, `digest` (sha256 of the batch's
canonical bytes, see `batch_digest`) and, when it changed since the previous batch, the `agents` list the
indices refer to. Its `h` covers `prev` and the digest, so the chain runs through every batch. A batch file
is written to a hidden temp name and renamed before its line is appended, so a killed run leaves at worst
an uncommitted file that readers ignore (and mention).
"""

from __future__ import annotations

import glob
import hashlib
import os
from typing import Any, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from distsafe.eventlog.base import EventLog
from distsafe.eventlog.common import (
    ChainScanner,
    ChainStatus,
    ChainWriter,
    EventLogError,
    canonical,
    event_record,
    make_event,
    make_header,
    record_event,
    status_message,
)
from distsafe.eventlog.interactions import (
    DATA_COLUMNS,
    FLOAT_COLUMNS,
    batch_from_events,
    merge_agent_lists,
)
from distsafe.models.columns import COLUMNS, InteractionBatch
from distsafe.models.events import Event, EventType
from distsafe.models.interaction import InteractionType

CHAIN_FILE = "chain.jsonl"
EXTRA_COLUMNS: dict[str, Any] = {"seq": np.int64, "t": np.float64}
ALL_COLUMNS: dict[str, Any] = {**COLUMNS, **EXTRA_COLUMNS}
_TYPE_VALUES = [t.value for t in InteractionType]
_INTERACTION = EventType.INTERACTION_COMPLETED


def batch_digest(cols: dict[str, np.ndarray]) -> str:
    """sha256 over, for each column of ALL_COLUMNS in order: name, NUL, the little-endian raw values."""
    h = hashlib.sha256()
    for name, dt in ALL_COLUMNS.items():
        h.update(name.encode("ascii") + b"\0")
        h.update(np.ascontiguousarray(cols[name], dtype=np.dtype(dt).newbyteorder("<")).tobytes())
    return h.hexdigest()


def log_dir(path: str | os.PathLike[str]) -> str:
    p = str(path).rstrip("/")
    return p + ".d" if p.endswith(".parquet") else p


class ParquetEventLog(EventLog):
    """Parquet-backed event log with the same API as `JsonlEventLog`.

    Interactions are buffered and committed as one batch file when the epoch changes, when the open batch
    reaches `max_batch_rows`, on `flush()` and on `close()`. Non-interaction events appended while a batch
    is open are written after its batch line (replay merges them back into seq order).
    """

    fmt = "parquet"

    def __init__(self, path: str | os.PathLike[str], mode: str = "r", fmt: str | None = None,
                 header: dict[str, Any] | None = None, *, scenario: Any = None, seed: Any = None,
                 flush_every: int = 1000, fsync: bool = False, max_batch_rows: int = 1 << 21,
                 compression: str = "zstd") -> None:
        self._check_mode(mode)
        if fmt not in (None, "parquet"):
            raise EventLogError(f"ParquetEventLog cannot open format {fmt!r}")
        self.path = log_dir(path)
        self.mode = mode
        self._seq = 0
        self._chain: ChainWriter | None = None
        self._pending: list[tuple[InteractionBatch, list[str], np.ndarray, np.ndarray]] = []
        self._pending_rows = 0
        self._pending_epoch: int | None = None
        self._pending_events: list[dict[str, Any]] = []
        self._last_agents: list[str] | None = None
        # The names of the last `agent_ids` passed to append_interactions, materialised once: the
        # engine passes the same AgentIds object every step (agents are only appended before a run).
        self._ids_source: Any = None
        self._ids_len = -1
        self._ids: list[str] = []
        self._n_files = 0
        if max_batch_rows < 1:
            raise EventLogError(f"max_batch_rows must be >= 1, got {max_batch_rows}")
        self.max_batch_rows = int(max_batch_rows)
        self.compression = compression
        self.fsync = fsync
        chain_path = os.path.join(self.path, CHAIN_FILE)
        if mode == "w":
            os.makedirs(self.path, exist_ok=True)
            for old in [chain_path, *glob.glob(os.path.join(self.path, "batch_*.parquet")),
                        *glob.glob(os.path.join(self.path, ".batch_*.tmp"))]:
                if os.path.exists(old):
                    os.remove(old)
            extra = dict(header or {})
            scenario = extra.pop("scenario", scenario)
            seed = extra.pop("seed", seed)
            self._header = make_header(scenario, seed, extra, storage="parquet")
            self._chain = ChainWriter(chain_path, self._header, flush_every=flush_every, fsync=fsync)
        else:
            if not os.path.isfile(chain_path):
                raise EventLogError(f"{self.path}: no {CHAIN_FILE}; not a Parquet event log directory")
            scanner = ChainScanner(chain_path)
            scanner.close()
            self._header = scanner.header

    @property
    def chain_path(self) -> str:
        return os.path.join(self.path, CHAIN_FILE)

    # ---- writing --------------------------------------------------------------------------------
    def append(self, event: Event) -> int:
        self._require_writable()
        assert self._chain is not None
        seq = self._seq
        if event.event_type == _INTERACTION:
            unknown = set(event.payload) - {"type" if c == "itype" else c for c in DATA_COLUMNS}
            if unknown or event.agent_id is not None:
                raise EventLogError("a Parquet log stores interaction_completed events as columns; "
                                    f"unsupported fields: {sorted(unknown) or ['agent']}")
            names: list[str] = []
            ev = event.model_copy(update={"seq": seq})
            try:
                batch = batch_from_events([ev], {}, names)
            except (KeyError, TypeError, ValueError, OverflowError) as exc:
                raise EventLogError(f"interaction event data does not fit the interaction columns: {exc!r}") from None
            self._check_finite(batch, np.array([float(event.timestamp)]))
            self._add_rows(batch, names, np.array([seq], dtype=np.int64), np.array([float(event.timestamp)]))
        else:
            rec = event_record(event, seq, "")
            if self._pending:
                self._pending_events.append(rec)
            else:
                self._chain.add(rec)
        self._seq += 1
        return seq

    @staticmethod
    def _check_finite(batch: InteractionBatch, t: np.ndarray) -> None:
        for name in FLOAT_COLUMNS:
            if not np.all(np.isfinite(getattr(batch, name))):
                raise EventLogError(f"interaction column {name!r} has non-finite values; "
                                    "the log stores finite floats only")
        if not np.all(np.isfinite(t)):
            raise EventLogError("timestamp has non-finite values; the log stores finite floats only")

    def append_interactions(self, batch: InteractionBatch, agent_ids: Sequence[str],
                            timestamp: float | np.ndarray = 0.0) -> range:
        self._require_writable()
        n = len(batch)
        self._check_batch(batch, agent_ids)
        t = self._as_times(timestamp, n)
        self._check_finite(batch, t)
        seq0 = self._seq
        if n == 0:
            return range(seq0, seq0)
        ids = self._agent_names(agent_ids)
        seqs = np.arange(seq0, seq0 + n, dtype=np.int64)
        cuts = np.flatnonzero(np.diff(batch.epoch)) + 1
        bounds = [0, *cuts.tolist(), n]
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            part = batch if (lo == 0 and hi == n) else batch.take(np.arange(lo, hi))
            self._add_rows(part, ids, seqs[lo:hi], t[lo:hi])
        self._seq += n
        return range(seq0, seq0 + n)

    def _agent_names(self, agent_ids: Sequence[str]) -> list[str]:
        """`[str(a) for a in agent_ids]`, rebuilt only when `agent_ids` is a different object or changed length.

        A list passed again is compared with the kept names (no copy; the strings are the same objects,
        so this is cheap), since a caller may have changed it in place.
        """
        n = len(agent_ids)
        if agent_ids is self._ids_source and n == self._ids_len:
            if not isinstance(agent_ids, list) or agent_ids == self._ids:
                return self._ids
        ids = [str(a) for a in agent_ids]
        if ids == self._ids:
            ids = self._ids  # same names: keep one list, so pending parts and `_last_agents` share it
        self._ids_source, self._ids_len, self._ids = agent_ids, n, ids
        return ids

    def _add_rows(self, batch: InteractionBatch, ids: list[str], seqs: np.ndarray, t: np.ndarray) -> None:
        epoch = int(batch.epoch[0])
        if self._pending and epoch != self._pending_epoch:
            self._commit()
        lo, n = 0, len(batch)
        while lo < n:
            hi = min(n, lo + self.max_batch_rows - self._pending_rows)
            part = batch if (lo == 0 and hi == n) else batch.take(np.arange(lo, hi))
            self._pending.append((part, ids, seqs[lo:hi], t[lo:hi]))
            self._pending_rows += hi - lo
            self._pending_epoch = epoch
            if self._pending_rows >= self.max_batch_rows:
                self._commit()
            lo = hi

    def _commit(self) -> None:
        """Write the open batch (temp file, rename), then its chain line and the events held back."""
        if not self._pending:
            return
        assert self._chain is not None
        batch, agents = merge_agent_lists([(b, ids) for b, ids, _, _ in self._pending])
        cols = batch.columns()
        cols["seq"] = np.concatenate([s for _, _, s, _ in self._pending])
        cols["t"] = np.concatenate([t for _, _, _, t in self._pending])
        self._n_files += 1
        name = f"batch_{self._n_files:06d}.parquet"
        tmp = os.path.join(self.path, f".batch_{self._n_files:06d}.tmp")
        table = pa.table({c: np.ascontiguousarray(cols[c], dtype=dt) for c, dt in ALL_COLUMNS.items()})
        pq.write_table(table, tmp, compression=self.compression)
        if self.fsync:
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, os.path.join(self.path, name))
        entry: dict[str, Any] = {
            "file": name,
            "rows": len(batch),
            "epoch": int(self._pending_epoch or 0),
            "seq_first": int(cols["seq"][0]),
            "seq_last": int(cols["seq"][-1]),
            "digest": batch_digest(cols),
        }
        if agents is not self._last_agents and agents != self._last_agents:
            entry["agents"] = agents
            self._last_agents = agents
        self._chain.add({"batch": entry})
        for rec in self._pending_events:
            self._chain.add(rec)
        self._pending, self._pending_rows, self._pending_epoch, self._pending_events = [], 0, None, []
        self._chain.flush()

    def flush(self) -> None:
        if self._chain is not None and not self._chain.closed:
            self._commit()
            self._chain.flush()

    def close(self) -> None:
        if self._chain is not None and not self._chain.closed:
            self._commit()
            self._chain.close()

    @property
    def closed(self) -> bool:
        return self._chain is None or self._chain.closed

    # ---- reading --------------------------------------------------------------------------------
    def _load(self, entry: dict[str, Any], lineno: int) -> dict[str, np.ndarray]:
        fname = str(entry.get("file", ""))
        full = os.path.join(self.path, os.path.basename(fname))
        where = f"{self.chain_path}: line {lineno} (seq {entry.get('seq_first')})"
        if not os.path.isfile(full):
            raise EventLogError(f"{where}: batch file {fname} is missing", line=lineno, seq=entry.get("seq_first"))
        try:
            table = pq.read_table(full)
            cols = {c: np.asarray(table.column(c).to_numpy(), dtype=dt) for c, dt in ALL_COLUMNS.items()}
        except (OSError, KeyError, pa.ArrowException) as exc:
            raise EventLogError(f"{where}: batch file {fname} unreadable: {exc}".replace("\n", " "),
                                line=lineno, seq=entry.get("seq_first")) from None
        if len(cols["seq"]) != entry.get("rows") or batch_digest(cols) != entry.get("digest"):
            raise EventLogError(f"{where}: batch file {fname} does not match its digest; the log was modified",
                                line=lineno, seq=entry.get("seq_first"))
        return cols

    def _iter_batches(self) -> Iterator[tuple[int, dict[str, Any] | None, dict[str, Any]]]:
        """(lineno, batch columns or None, record) for every chain line; batch lines carry `agents`."""
        agents: list[str] = []
        for lineno, rec in ChainScanner(self.chain_path):
            entry = rec.get("batch")
            if entry is None:
                yield lineno, None, rec
                continue
            if "agents" in entry:
                agents = [str(a) for a in entry["agents"]]
            cols: dict[str, Any] = dict(self._load(entry, lineno))
            cols["__agents__"] = agents
            yield lineno, cols, entry

    @staticmethod
    def _row_events(cols: dict[str, Any], lo: int, hi: int) -> Iterator[Event]:
        agents = cols["__agents__"]
        lists = {c: cols[c][lo:hi].tolist() for c in ALL_COLUMNS}
        for c in ("initiator", "counterparty"):
            lists[c] = [agents[i] for i in lists[c]]
        lists["itype"] = [_TYPE_VALUES[i] for i in lists["itype"]]
        keys = ["type" if c == "itype" else c for c in DATA_COLUMNS]
        for seq, t, epoch, step, vals in zip(lists["seq"], lists["t"], lists["epoch"], lists["step"],
                                             zip(*(lists[c] for c in DATA_COLUMNS))):
            yield make_event(seq, _INTERACTION, t, epoch, step, None, dict(zip(keys, vals)))

    def _iter_events(self) -> Iterator[Event]:
        current: dict[str, Any] | None = None
        pos = 0
        for _, cols, rec in self._iter_batches():
            if cols is not None:
                if current is not None:
                    yield from self._row_events(current, pos, len(current["seq"]))
                current, pos = cols, 0
                continue
            ev = record_event(rec)
            if current is not None and pos < len(current["seq"]):
                stop = int(np.searchsorted(current["seq"], ev.seq))
                if stop > pos:
                    yield from self._row_events(current, pos, stop)
                    pos = stop
            yield ev
        if current is not None:
            yield from self._row_events(current, pos, len(current["seq"]))

    def interaction_batches(self) -> Iterator[tuple[InteractionBatch, list[str]]]:
        run: list[tuple[InteractionBatch, list[str]]] = []
        for _, cols, _ in self._iter_batches():
            if cols is None:
                continue
            b = InteractionBatch(**{c: cols[c] for c in COLUMNS})
            if run and int(b.epoch[0]) != int(run[0][0].epoch[0]):
                yield merge_agent_lists(run)
                run = []
            run.append((b, list(cols["__agents__"])))
        if run:
            yield merge_agent_lists(run)

    def _marker_events(self) -> Iterator[Event]:
        for _, cols, rec in self._iter_batches():
            if cols is None and rec.get("type") in ("epoch_started", "epoch_completed"):
                yield record_event(rec)

    def verify(self) -> ChainStatus:
        if self.mode == "w" and not self.closed:
            self.flush()
        scanner = ChainScanner(self.chain_path)
        seqs: list[np.ndarray] = []
        last_seq, last_type = -1, None
        agents_known = False
        referenced: set[str] = set()
        for lineno, rec in scanner:
            entry = rec.get("batch")
            if entry is None:
                s = rec.get("seq")
                if not isinstance(s, int):
                    raise EventLogError(f"{self.chain_path}: line {lineno}: event without an integer seq", line=lineno)
                seqs.append(np.array([s], dtype=np.int64))
                if s > last_seq:
                    last_seq, last_type = s, rec.get("type")
                continue
            agents_known = agents_known or "agents" in entry
            if not agents_known:
                raise EventLogError(f"{self.chain_path}: line {lineno}: batch before any agent list", line=lineno)
            cols = self._load(entry, lineno)
            referenced.add(os.path.basename(str(entry["file"])))
            seqs.append(cols["seq"])
            if len(cols["seq"]) and int(cols["seq"][-1]) > last_seq:
                last_seq, last_type = int(cols["seq"][-1]), _INTERACTION.value
        allseq = np.sort(np.concatenate(seqs)) if seqs else np.zeros(0, dtype=np.int64)
        n = len(allseq)
        if not np.array_equal(allseq, np.arange(n)):
            bad = int(np.flatnonzero(allseq != np.arange(n))[0])
            raise EventLogError(f"{self.chain_path}: seq numbers are not 0..{n - 1}: first gap or repeat at {bad}",
                                seq=bad)
        complete, message = status_message(n, last_type, scanner.truncated_line)
        orphans = sorted(set(os.path.basename(p) for p in glob.glob(os.path.join(self.path, "batch_*.parquet")))
                         - referenced)
        if orphans:
            complete = False
            message += f"; {len(orphans)} uncommitted batch file(s) ignored ({orphans[0]}...)"
        return ChainStatus(n, scanner.n_lines, complete, message, scanner.last_hash, scanner.truncated_line)


# ---- comparing two Parquet logs -------------------------------------------------------------------
# A segment is one batch line's columns (or None before the first batch) plus the non-interaction
# records that follow it up to the next batch line. Replay yields each segment's events merged in seq
# order, segment after segment, so two logs written the same way can be compared segment by segment:
# columns with numpy (bit for bit), other records as text, building Events only where they differ.
Segment = tuple[dict[str, Any] | None, list[dict[str, Any]]]


def _segments(log: ParquetEventLog) -> Iterator[Segment]:
    cols: dict[str, Any] | None = None
    recs: list[dict[str, Any]] = []
    for _, batch_cols, rec in log._iter_batches():
        if batch_cols is None:
            recs.append(rec)
            continue
        if cols is not None or recs:
            yield cols, recs
        cols, recs = batch_cols, []
    if cols is not None or recs:
        yield cols, recs


def _segment_events(seg: Segment) -> Iterator[Event]:
    """The segment's events in the order `ParquetEventLog._iter_events` yields them."""
    cols, recs = seg
    pos = 0
    n = 0 if cols is None else len(cols["seq"])
    for rec in recs:
        ev = record_event(rec)
        if cols is not None and pos < n:
            stop = int(np.searchsorted(cols["seq"], ev.seq))
            if stop > pos:
                yield from ParquetEventLog._row_events(cols, pos, stop)
                pos = stop
        yield ev
    if cols is not None and pos < n:
        yield from ParquetEventLog._row_events(cols, pos, n)


def _events_from(first: Segment | None, rest: Iterator[Segment], start: int, path: str) -> Iterator[Event]:
    """Events of `first` and the segments after it, seq-checked from `start` as `replay()` checks them."""
    expected = start
    segs = rest if first is None else _chain_one(first, rest)
    for seg in segs:
        for ev in _segment_events(seg):
            if ev.seq != expected:
                raise EventLogError(f"{path}: event seq {ev.seq} where {expected} was expected", seq=ev.seq)
            expected += 1
            yield ev


def _chain_one(first: Segment, rest: Iterator[Segment]) -> Iterator[Segment]:
    yield first
    yield from rest


def _record_text_factory() -> Any:
    """Sorted-key JSON bytes of a record without its chain fields (orjson when installed)."""
    try:
        import orjson
    except ImportError:
        orjson = None

    def text(rec: dict[str, Any]) -> bytes | None:
        body = {k: v for k, v in rec.items() if k != "prev" and k != "h"}
        try:
            if orjson is not None:
                return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
            return canonical(body).encode("ascii")
        except (TypeError, ValueError, EventLogError):
            return None

    return text


_record_text = _record_text_factory()


def _bits(arr: np.ndarray) -> np.ndarray:
    """Floats as their bit patterns (so -0.0 != 0.0, as the event comparison's float.hex() has it)."""
    return arr.view(f"u{arr.dtype.itemsize}") if arr.dtype.kind == "f" else arr


def _same_segment(sa: Segment, sb: Segment, start: int, event_diff: Any) -> int | None:
    """The number of events of two segments that hold the same events (seqs start.., in the same order
    on both sides); None when they differ anywhere or are laid out differently."""
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
        agents_a, agents_b = cols_a["__agents__"], cols_b["__agents__"]
        same_agents = agents_a is agents_b or agents_a == agents_b
        for c in ("initiator", "counterparty"):
            if same_agents:
                if not np.array_equal(cols_a[c], cols_b[c]):
                    return None
            else:
                try:
                    names_a = np.asarray(agents_a, dtype=object)[cols_a[c]]
                    names_b = np.asarray(agents_b, dtype=object)[cols_b[c]]
                except IndexError:
                    return None
                if not np.all(names_a == names_b):
                    return None
    for ra, rb in zip(recs_a, recs_b):
        ta = _record_text(ra)
        if ta is not None and ta == _record_text(rb):
            continue
        if event_diff(record_event(ra), record_event(rb)) is not None:
            return None
    return m


def compare_parquet_events(log_a: ParquetEventLog, log_b: ParquetEventLog, compare_streams: Any) -> Any:
    """`compare_logs` for two Parquet logs: the first differing event (a LogDiff) or None.

    Equal segments are skipped column-wise; from the first segment that differs (or does not line up,
    e.g. batches cut at other rows) the logs are compared event by event with `compare_streams`, so the
    difference named is the one a full event-by-event comparison names.
    """
    from distsafe.eventlog import event_diff

    seg_a, seg_b = _segments(log_a), _segments(log_b)
    start = 0
    while True:
        sa, sb = next(seg_a, None), next(seg_b, None)
        if sa is None and sb is None:
            return None
        if sa is not None and sb is not None:
            m = _same_segment(sa, sb, start, event_diff)
            if m is not None:
                start += m
                continue
        return compare_streams(_events_from(sa, seg_a, start, log_a.path),
                               _events_from(sb, seg_b, start, log_b.path))
