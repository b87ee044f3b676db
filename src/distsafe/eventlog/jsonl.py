"""JSONL storage: one sealed JSON record per line, the header first (see docs/eventlog.md)."""

from __future__ import annotations

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
from distsafe.eventlog.interactions import (
    FLOAT_COLUMNS,
    batch_from_records,
    interaction_line_parts,
)
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import Event

_CHUNK = 1 << 15  # rows serialised at a time by append_interactions (bounds the memory used)


class JsonlEventLog(EventLogBase):
    """Hash-chained JSONL event log.

    Writing: `open_event_log(path, "w", "jsonl", header={...}, scenario=..., seed=..., flush_every=1000,
    fsync=False)`. The header line is written and flushed at once; events are buffered and written
    every `flush_every` lines, on `flush()` and on `close()`.
    """

    fmt = "jsonl"

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
    ) -> None:
        self._check_mode(mode)
        self.path = str(path)
        self.mode = mode
        self._seq = 0
        self._writer: ChainWriter | None = None
        self._last_type: str | None = None
        if mode == "w":
            extra = dict(header or {})
            scenario = extra.pop("scenario", scenario)
            seed = extra.pop("seed", seed)
            self._header = make_header(scenario, seed, extra, storage="jsonl")
            self._writer = ChainWriter(self.path, self._header, flush_every=flush_every, fsync=fsync)
        else:
            if not os.path.isfile(self.path):
                raise EventLogError(f"{self.path}: no such event log file")
            scanner = ChainScanner(self.path)
            scanner.close()
            self._header = scanner.header

    # ---- writing --------------------------------------------------------------------------------
    def append(self, event: Event) -> int:
        self._require_writable()
        assert self._writer is not None
        seq = self._seq
        rec = event_record(event, seq, "")
        self._check_record(rec)
        try:
            self._writer.add(rec)
        except EventLogError:  # refused before anything was buffered (not canonical JSON)
            raise
        except BaseException:
            self._torn = True
            raise
        self._seq += 1
        self._last_type = event.event_type.value
        return seq

    def append_interactions(
        self, batch: InteractionBatch, agent_ids: Sequence[str], timestamp: float | np.ndarray = 0.0
    ) -> range:
        self._require_writable()
        assert self._writer is not None
        n = len(batch)
        self._check_batch(batch, agent_ids)
        t = self._as_times(timestamp, n)
        seq0 = self._seq
        # Check every value first so that a bad one (NaN, inf) leaves the log untouched.
        for name in FLOAT_COLUMNS:
            col = getattr(batch, name)
            if not np.all(np.isfinite(col)):
                raise EventLogError(
                    f"interaction column {name!r} row {int(np.flatnonzero(~np.isfinite(col))[0])} "
                    "is not finite; the log stores finite floats only"
                )
        if not np.all(np.isfinite(t)):
            raise EventLogError("timestamp has non-finite values; the log stores finite floats only")
        try:
            for lo in range(0, n, _CHUNK):
                before, after = interaction_line_parts(
                    batch, agent_ids, t, lo, min(lo + _CHUNK, n), seq0 + lo
                )
                self._writer.add_interactions(before, after)
        except BaseException:
            self._torn = True
            raise
        self._seq += n
        if n:
            self._last_type = "interaction_completed"
        return range(seq0, seq0 + n)

    def flush(self) -> None:
        if self._writer is not None and not self._torn:
            self._writer.flush()

    def close(self) -> None:
        if self._writer is not None:
            if self._torn:
                self._writer.abandon()
            else:
                self._writer.close()

    @property
    def closed(self) -> bool:
        return self._writer is None or self._writer.closed

    # ---- reading --------------------------------------------------------------------------------
    def _iter_events(self) -> Iterator[Event]:
        for _, rec in ChainScanner(self.path):
            yield record_event(rec)

    def interaction_batches(self) -> Iterator[tuple[InteractionBatch, list[str]]]:
        # Read from the records directly: no Event objects.
        self._before_read()
        names = self._base_agent_names()
        index = {n: i for i, n in enumerate(names)}
        epochs: list[int] = []
        steps: list[int] = []
        datas: list[dict[str, Any]] = []
        expected = 0
        for lineno, rec in ChainScanner(self.path):
            if rec.get("seq") != expected:
                raise EventLogError(
                    f"{self.path}: line {lineno}: seq {rec.get('seq')} where {expected} was expected",
                    line=lineno,
                    seq=rec.get("seq"),
                )
            expected += 1
            if rec.get("type") != "interaction_completed":
                continue
            epoch = rec.get("epoch", 0)
            if epochs and epoch != epochs[0]:
                yield batch_from_records(epochs, steps, datas, index, names), list(names)
                epochs, steps, datas = [], [], []
            epochs.append(epoch)
            steps.append(rec.get("step", 0))
            data = rec.get("data", {})
            if not isinstance(data, dict):  # a forged (resealed) log: its data is not an object
                raise EventLogError(
                    f"{self.path}: line {lineno}: interaction data is {type(data).__name__}, not an object",
                    line=lineno,
                    seq=rec.get("seq"),
                )
            datas.append(data)
        if epochs:
            yield batch_from_records(epochs, steps, datas, index, names), list(names)

    def verify(self) -> ChainStatus:
        self._before_read()
        scanner = ChainScanner(self.path)
        n = 0
        last_type = None
        last_rec: dict[str, Any] | None = None
        for lineno, rec in scanner:
            if rec.get("seq") != n:
                raise EventLogError(
                    f"{self.path}: line {lineno}: seq {rec.get('seq')} where {n} was expected",
                    line=lineno,
                    seq=rec.get("seq"),
                )
            n += 1
            last_type = rec.get("type")
            last_rec = rec
        reason = end_reason(last_type, last_rec)
        complete, message = status_message(n, last_type, scanner.truncated_line, reason)
        where = position(last_rec.get("epoch"), last_rec.get("step")) if last_rec is not None else None
        return ChainStatus(
            n, scanner.n_lines, complete, message, scanner.last_hash, scanner.truncated_line,
            last_type, reason, where,
        )  # fmt: skip
