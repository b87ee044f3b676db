"""Parquet storage for large runs: a directory holding a hash-chained `chain.jsonl` and batch files.
(Length: at ~400 lines with the batch files apart in parquet_batches.py.)

    run.parquet.d/
        chain.jsonl            header, then one sealed line per non-interaction event (same format as a
                               JSONL log) or per committed interaction batch (`{"batch": {...}}`)
        batch_000001.parquet   the interactions of one epoch, columnar: the InteractionBatch columns
        batch_000002.parquet   (agent indices) plus `seq` (int64) and `t` (float64)

A batch line records the file name, row count, epoch, first/last seq, `digest` (sha256 of the batch's
canonical bytes, see `parquet_batches.batch_digest`) and, when it changed since the previous batch, the
`agents` list the indices refer to. Its `h` covers `prev` and the digest, so the chain runs through every
batch. A batch file is written to a hidden temp name and renamed before its line is appended, so a killed
run leaves at worst an uncommitted file that readers ignore (and mention). The batch files themselves
(columns, digest, rows back to events) are in parquet_batches.py.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from distsafe.eventlog.base import EventLogBase
from distsafe.eventlog.common import (
    ChainScanner,
    ChainStatus,
    ChainWriter,
    EventLogError,
    end_reason,
    event_record,
    make_header,
    position,
    record_event,
    status_message,
)
from distsafe.eventlog.interactions import DATA_COLUMNS, FLOAT_COLUMNS, batch_from_events, merge_agent_lists
from distsafe.eventlog.parquet_batches import (
    CHAIN_FILE,
    Segment,
    batch_digest,
    check_agent_indices,
    load_batch_file,
    merge_events,
    write_batch_file,
)
from distsafe.models.columns import COLUMNS, InteractionBatch
from distsafe.models.events import Event, EventType

_INTERACTION = EventType.INTERACTION_COMPLETED


def log_dir(path: str | os.PathLike[str]) -> str:
    p = str(path).rstrip("/")
    return p + ".d" if p.endswith(".parquet") else p


class ParquetEventLog(EventLogBase):
    """Parquet-backed event log with the same API as `JsonlEventLog`.

    Interactions are buffered and committed as one batch file when the epoch changes, when the open batch
    reaches `max_batch_rows`, on `flush()` and on `close()`. Non-interaction events appended while a batch
    is open are written after its batch line (replay merges them back into seq order).
    """

    fmt = "parquet"

    def __init__(
        self,
        path: str | os.PathLike[str],
        mode: str = "r",
        header: dict[str, Any] | None = None,
        *,
        scenario: Any = None,
        seed: Any = None,
        flush_every: int = 1000,
        fsync: bool = False,
        max_batch_rows: int = 1 << 21,
        compression: str = "zstd",
    ) -> None:
        self._check_mode(mode)
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
            for old in [
                chain_path,
                *glob.glob(os.path.join(self.path, "batch_*.parquet")),
                *glob.glob(os.path.join(self.path, ".batch_*.tmp")),
            ]:
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
                raise EventLogError(
                    "a Parquet log stores interaction_completed events as columns; "
                    f"unsupported fields: {sorted(unknown) or ['agent']}"
                )
            names: list[str] = []
            ev = event.model_copy(update={"seq": seq})
            try:
                batch = batch_from_events([ev], {}, names)
            except (KeyError, TypeError, ValueError, OverflowError) as exc:
                raise EventLogError(
                    f"interaction event data does not fit the interaction columns: {exc!r}"
                ) from None
            self._check_batch(batch, names)
            self._check_finite(batch, np.array([float(event.timestamp)]))
            try:
                self._add_rows(
                    batch, names, np.array([seq], dtype=np.int64), np.array([float(event.timestamp)])
                )
            except BaseException:
                self._torn = True
                raise
        else:
            rec = event_record(event, seq, "")
            self._check_record(rec)
            if self._pending:
                self._pending_events.append(rec)
            else:
                try:
                    self._chain.add(rec)
                except EventLogError:  # refused before anything was buffered (not canonical JSON)
                    raise
                except BaseException:
                    self._torn = True
                    raise
        self._seq += 1
        return seq

    @staticmethod
    def _check_finite(batch: InteractionBatch, t: np.ndarray) -> None:
        for name in FLOAT_COLUMNS:
            if not np.all(np.isfinite(getattr(batch, name))):
                raise EventLogError(
                    f"interaction column {name!r} has non-finite values; the log stores finite floats only"
                )
        if not np.all(np.isfinite(t)):
            raise EventLogError("timestamp has non-finite values; the log stores finite floats only")

    def append_interactions(
        self, batch: InteractionBatch, agent_ids: Sequence[str], timestamp: float | np.ndarray = 0.0
    ) -> range:
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
        try:
            for lo, hi in zip(bounds[:-1], bounds[1:]):
                part = batch if (lo == 0 and hi == n) else batch.take(np.arange(lo, hi))
                self._add_rows(part, ids, seqs[lo:hi], t[lo:hi])
        except BaseException:
            self._torn = True
            raise
        self._seq += n
        return range(seq0, seq0 + n)

    def _agent_names(self, agent_ids: Sequence[str]) -> list[str]:
        """`[str(a) for a in agent_ids]`, rebuilt only when `agent_ids` is another object or changed length.

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
        name = write_batch_file(self.path, self._n_files, cols, self.compression, self.fsync)
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
        if self._chain is not None and not self._chain.closed and not self._torn:
            self._guarded_commit()
            self._chain.flush()

    def close(self) -> None:
        if self._chain is not None and not self._chain.closed:
            if self._torn:
                self._chain.abandon()
                return
            self._guarded_commit()
            self._chain.close()

    def _guarded_commit(self) -> None:
        try:
            self._commit()
        except BaseException:
            self._torn = True
            if self._chain is not None:
                self._chain.abandon()
            raise

    @property
    def closed(self) -> bool:
        return self._chain is None or self._chain.closed

    # ---- reading --------------------------------------------------------------------------------
    def chain_entries(self) -> Iterator[tuple[int, dict[str, Any] | None, dict[str, Any]]]:
        """(lineno, batch columns or None, record) for every chain line, hash- and digest-checked.

        A batch line's columns carry `"__agents__"`, the names its agent indices refer to."""
        agents: list[str] = []
        for lineno, rec in ChainScanner(self.chain_path):
            entry = rec.get("batch")
            if entry is None:
                yield lineno, None, rec
                continue
            if "agents" in entry:
                agents = [str(a) for a in entry["agents"]]
            cols: dict[str, Any] = dict(load_batch_file(self.path, entry, lineno))
            check_agent_indices(cols, agents, self.chain_path, lineno)
            cols["__agents__"] = agents
            yield lineno, cols, entry

    def segments(self) -> Iterator[Segment]:
        """The chain cut at batch lines (see `Segment`), in chain order."""
        cols: dict[str, Any] | None = None
        recs: list[dict[str, Any]] = []
        for _, batch_cols, rec in self.chain_entries():
            if batch_cols is None:
                recs.append(rec)
                continue
            if cols is not None or recs:
                yield cols, recs
            cols, recs = batch_cols, []
        if cols is not None or recs:
            yield cols, recs

    def _iter_events(self) -> Iterator[Event]:
        return merge_events((cols, rec) for _, cols, rec in self.chain_entries())

    def interaction_batches(self) -> Iterator[tuple[InteractionBatch, list[str]]]:
        run: list[tuple[InteractionBatch, list[str]]] = []
        for _, cols, _ in self.chain_entries():
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
        for _, cols, rec in self.chain_entries():
            if cols is None and rec.get("type") in ("epoch_started", "epoch_completed"):
                yield record_event(rec)

    def verify(self) -> ChainStatus:
        self._before_read()
        scanner = ChainScanner(self.chain_path)
        seqs: list[np.ndarray] = []
        last_seq, last_type = -1, None
        last_rec: dict[str, Any] | None = None
        where: tuple[int, int] | None = None
        agents_known = False
        agents: list[str] = []
        referenced: set[str] = set()
        for lineno, rec in scanner:
            entry = rec.get("batch")
            if entry is None:
                s = rec.get("seq")
                if not isinstance(s, int):
                    raise EventLogError(
                        f"{self.chain_path}: line {lineno}: event without an integer seq", line=lineno
                    )
                seqs.append(np.array([s], dtype=np.int64))
                if s > last_seq:
                    last_seq, last_type, last_rec = s, rec.get("type"), rec
                    where = position(rec.get("epoch"), rec.get("step"))
                continue
            agents_known = agents_known or "agents" in entry
            if not agents_known:
                raise EventLogError(
                    f"{self.chain_path}: line {lineno}: batch before any agent list", line=lineno
                )
            agents = entry.get("agents", agents)
            cols = load_batch_file(self.path, entry, lineno)
            check_agent_indices(cols, agents, self.chain_path, lineno)
            referenced.add(os.path.basename(str(entry["file"])))
            seqs.append(cols["seq"])
            if len(cols["seq"]) and int(cols["seq"][-1]) > last_seq:
                last_seq, last_type = int(cols["seq"][-1]), _INTERACTION.value
                where = (int(cols["epoch"][-1]), int(cols["step"][-1]))
        allseq = np.sort(np.concatenate(seqs)) if seqs else np.zeros(0, dtype=np.int64)
        n = len(allseq)
        if not np.array_equal(allseq, np.arange(n)):
            bad = int(np.flatnonzero(allseq != np.arange(n))[0])
            raise EventLogError(
                f"{self.chain_path}: seq numbers are not 0..{n - 1}: first gap or repeat at {bad}", seq=bad
            )
        reason = end_reason(last_type, last_rec)
        complete, message = status_message(n, last_type, scanner.truncated_line, reason)
        orphans = sorted(
            set(os.path.basename(p) for p in glob.glob(os.path.join(self.path, "batch_*.parquet")))
            - referenced
        )
        if orphans:
            complete = False
            message += f"; {len(orphans)} uncommitted batch file(s) ignored ({orphans[0]}...)"
        return ChainStatus(
            n, scanner.n_lines, complete, message, scanner.last_hash, scanner.truncated_line,
            last_type, reason, where,
        )  # fmt: skip
