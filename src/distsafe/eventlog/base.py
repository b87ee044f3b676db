"""`EventLog`: the common face of the JSONL and Parquet logs (write API, replay API, format dispatch)."""

from __future__ import annotations

import os
from typing import Any, Iterator, Sequence

import numpy as np

from distsafe.eventlog.common import (
    ChainStatus,
    EventLogError,
    LogReadResult,
)
from distsafe.eventlog.interactions import (
    batch_from_events,
    interaction_from_event,
    merge_agent_lists,
)
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import Event, EventType
from distsafe.models.interaction import SoftInteraction

_INTERACTION = EventType.INTERACTION_COMPLETED


def infer_format(path: str | os.PathLike[str], mode: str) -> str:
    p = str(path).rstrip("/")
    if os.path.isdir(p) or p.endswith(".d"):
        return "parquet"
    if p.endswith(".parquet"):
        return "parquet"
    return "jsonl"


class EventLog:
    """An append-only, hash-chained event log.

    `EventLog(path, mode="w"|"r", fmt="jsonl"|"parquet"|None, header=None, **options)` returns a
    `JsonlEventLog` or `ParquetEventLog` (both subclasses); `fmt=None` infers the storage from the path
    (a directory, or a name ending in `.parquet` or `.d`, is Parquet; anything else JSONL).
    """

    fmt: str = ""

    def __new__(cls, path: str | os.PathLike[str], mode: str = "r", fmt: str | None = None,
                header: dict[str, Any] | None = None, **options: Any) -> "EventLog":
        if cls is EventLog:
            fmt = fmt or infer_format(path, mode)
            from distsafe.eventlog.jsonl import JsonlEventLog

            if fmt == "parquet":
                try:
                    from distsafe.eventlog.parquet import ParquetEventLog
                except ImportError:
                    raise EventLogError("Parquet event logs need pyarrow: pip install 'distsafe[parquet]'") from None
                sub: type[EventLog] | None = ParquetEventLog
            else:
                sub = {"jsonl": JsonlEventLog}.get(fmt)
            if sub is None:
                raise EventLogError(f"unknown event log format {fmt!r}; use 'jsonl' or 'parquet'")
            return super().__new__(sub)
        return super().__new__(cls)

    # -- set by subclasses
    path: str
    mode: str
    _header: dict[str, Any]
    _seq: int

    @staticmethod
    def _check_mode(mode: str) -> None:
        if mode not in ("r", "w"):
            raise EventLogError(f"mode must be 'r' or 'w', got {mode!r}")

    # ---- writing --------------------------------------------------------------------------------
    def _require_writable(self) -> None:
        if self.mode != "w":
            raise EventLogError(f"{self.path}: log is open for reading; open with mode='w' to append")
        if self.closed:
            raise EventLogError(f"{self.path}: log is closed")

    def append(self, event: Event) -> int:
        """Append one event; the log assigns its `seq` (returned). The Event itself is not modified."""
        raise EventLogError(f"{type(self).__name__} does not implement append")

    def append_interactions(self, batch: InteractionBatch, agent_ids: Sequence[str],
                            timestamp: float | np.ndarray = 0.0) -> range:
        """One `interaction_completed` event per row; returns the range of seqs assigned."""
        raise EventLogError(f"{type(self).__name__} does not implement append_interactions")

    def flush(self) -> None:
        """Write buffered lines (and, for Parquet, the open batch) to disk."""

    def close(self) -> None:
        """Flush and close; reading methods keep working afterwards."""

    @property
    def closed(self) -> bool:
        return True

    @property
    def next_seq(self) -> int:
        return self._seq

    def __enter__(self) -> "EventLog":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _as_times(self, timestamp: float | np.ndarray, n: int) -> np.ndarray:
        t = np.asarray(timestamp, dtype=np.float64)
        if t.ndim == 0:
            return np.full(n, float(t))
        if t.shape != (n,):
            raise EventLogError(f"timestamp must be a scalar or have one value per row ({n}), got shape {t.shape}")
        return t

    @staticmethod
    def _check_batch(batch: InteractionBatch, agent_ids: Sequence[str]) -> None:
        n = len(batch)
        if n and (int(batch.initiator.min(initial=0)) < 0 or int(batch.counterparty.min(initial=0)) < 0
                  or max(int(batch.initiator.max()), int(batch.counterparty.max())) >= len(agent_ids)):
            raise EventLogError(f"interaction batch refers to agents outside agent_ids (len {len(agent_ids)})")

    # ---- reading --------------------------------------------------------------------------------
    @property
    def header(self) -> dict[str, Any]:
        return dict(self._header)

    def _iter_events(self) -> Iterator[Event]:
        raise EventLogError(f"{type(self).__name__} cannot be replayed")

    def verify(self) -> ChainStatus:
        """Check the whole chain; raises EventLogError at the first bad line, else reports completeness."""
        raise EventLogError(f"{type(self).__name__} cannot be verified")

    def replay(self) -> Iterator[Event]:
        """The events in seq order, each line's hash and link checked as it is read.

        A cut-short tail (killed run) ends the iteration quietly at the last valid event; see
        `verify()`/`read_log()` for the message. Tampering raises EventLogError.
        """
        if self.mode == "w" and not self.closed:
            self.flush()
        expected = 0
        for ev in self._iter_events():
            if ev.seq != expected:
                raise EventLogError(f"{self.path}: event seq {ev.seq} where {expected} was expected", seq=ev.seq)
            expected += 1
            yield ev

    def read(self) -> LogReadResult:
        status = self.verify()
        events = list(self.replay())
        return LogReadResult(self.header, events[: status.n_events], status.complete, status.message)

    def to_interactions(self) -> list[SoftInteraction]:
        return [interaction_from_event(ev) for ev in self.replay() if ev.event_type == _INTERACTION]

    def interaction_batches(self) -> Iterator[tuple[InteractionBatch, list[str]]]:
        """(InteractionBatch, agent_ids) per epoch, in log order.

        Agent indices refer to one list that grows in order of first appearance (starting from the
        header's `agent_ids` when it has one); each yielded list is a snapshot of it.
        """
        base = self._header.get("agent_ids")
        names: list[str] = [str(a) for a in base] if isinstance(base, list) else []
        index = {n: i for i, n in enumerate(names)}
        run: list[Event] = []
        for ev in self.replay():
            if ev.event_type != _INTERACTION:
                continue
            if run and ev.epoch != run[0].epoch:
                yield batch_from_events(run, index, names), list(names)
                run = []
            run.append(ev)
        if run:
            yield batch_from_events(run, index, names), list(names)

    def batches_by_epoch(self) -> dict[int, tuple[InteractionBatch, list[str]]]:
        """epoch -> (InteractionBatch, agent_ids) for every epoch the log mentions.

        Epochs that only appear in epoch_started/epoch_completed events map to an empty batch.
        """
        out: dict[int, tuple[InteractionBatch, list[str]]] = {}
        for b, ids in self.interaction_batches():
            e = int(b.epoch[0])
            if e in out:
                out[e] = merge_agent_lists([out[e], (b, ids)])
            else:
                out[e] = (b, ids)
        for ev in self._marker_events():
            if ev.epoch not in out:
                out[ev.epoch] = (InteractionBatch.empty(0), [])
        return dict(sorted(out.items()))

    def _marker_events(self) -> Iterator[Event]:
        for ev in self.replay():
            if ev.event_type in (EventType.EPOCH_STARTED, EventType.EPOCH_COMPLETED):
                yield ev

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r}, mode={self.mode!r}, next_seq={self._seq})"
