"""The contracts of an event log, apart from the storages that implement them (jsonl.py, parquet.py).

`EventLogWriter` is what a run appends to, `EventLogReader` what replay and metrics read from;
`EventLogBase` is one opened log (both faces: a log open for writing can be read back, which flushes it
first). Every storage subclasses `EventLogBase` and is opened through `open_event_log` (factory.py).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from distsafe.eventlog.checks import record_problem
from distsafe.eventlog.common import ChainStatus, EventLogError, LogReadResult
from distsafe.eventlog.interactions import interaction_from_event, merge_agent_lists
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import Event, EventType
from distsafe.models.interaction import InteractionType, SoftInteraction

_INTERACTION = EventType.INTERACTION_COMPLETED


class EventLogWriter(ABC):
    """The write side: events get consecutive seqs (0, 1, ...) in the order they are appended."""

    _seq: int

    @abstractmethod
    def append(self, event: Event) -> int:
        """Append one event; the log assigns its `seq` (returned). The Event itself is not modified."""

    @abstractmethod
    def append_interactions(
        self, batch: InteractionBatch, agent_ids: Sequence[str], timestamp: float | np.ndarray = 0.0
    ) -> range:
        """One `interaction_completed` event per row; returns the range of seqs assigned."""

    @abstractmethod
    def flush(self) -> None:
        """Write buffered lines (and, for Parquet, the open batch) to disk."""

    @abstractmethod
    def close(self) -> None:
        """Flush and close; reading methods keep working afterwards."""

    @property
    @abstractmethod
    def closed(self) -> bool: ...

    @property
    def next_seq(self) -> int:
        return self._seq

    def __enter__(self) -> EventLogWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _check_record(rec: dict[str, Any]) -> None:
        """Refuse an event a reader would refuse (unknown field, out-of-range epoch, ...) before writing."""
        problem = record_problem(rec)
        if problem is not None:
            raise EventLogError(f"event not written: {problem}")

    @staticmethod
    def _as_times(timestamp: float | np.ndarray, n: int) -> np.ndarray:
        t = np.asarray(timestamp, dtype=np.float64)
        if t.ndim == 0:
            return np.full(n, float(t))
        if t.shape != (n,):
            raise EventLogError(
                f"timestamp must be a scalar or have one value per row ({n}), got shape {t.shape}"
            )
        return t

    @staticmethod
    def _check_batch(batch: InteractionBatch, agent_ids: Sequence[str]) -> None:
        """Refuse rows a reader would refuse (see checks.py): the log stays readable by construction."""
        if len(batch) and (int(batch.epoch.min()) < 0 or int(batch.step.min()) < 0):
            raise EventLogError("interaction batch has a negative epoch or step; the log stores epochs >= 0")
        if len(batch) and (int(batch.itype.min()) < 0 or int(batch.itype.max()) >= len(InteractionType)):
            raise EventLogError("interaction batch has an unknown interaction type code")
        if len(batch) and (
            int(batch.initiator.min(initial=0)) < 0
            or int(batch.counterparty.min(initial=0)) < 0
            or max(int(batch.initiator.max()), int(batch.counterparty.max())) >= len(agent_ids)
        ):
            raise EventLogError(
                f"interaction batch refers to agents outside agent_ids (len {len(agent_ids)})"
            )


class EventLogReader(ABC):
    """The read side: the header, a full chain check, and the events (or interaction columns) in seq order."""

    path: str
    _header: dict[str, Any]

    @property
    def header(self) -> dict[str, Any]:
        return dict(self._header)

    @abstractmethod
    def _iter_events(self) -> Iterator[Event]:
        """The events in storage order (seq order for a sound log), each line hash-checked as it is read."""

    @abstractmethod
    def verify(self) -> ChainStatus:
        """Check the whole chain; raises EventLogError at the first bad line, else reports completeness."""

    @abstractmethod
    def _before_read(self) -> None:
        """Make what was written visible to the readers (a log open for writing flushes)."""

    def replay(self) -> Iterator[Event]:
        """The events in seq order, each line's hash and link checked as it is read.

        A cut-short tail (killed run) ends the iteration quietly at the last valid event; see
        `verify()`/`read_log()` for the message. Tampering raises EventLogError.
        """
        self._before_read()
        expected = 0
        for ev in self._iter_events():
            if ev.seq != expected:
                raise EventLogError(
                    f"{self.path}: event seq {ev.seq} where {expected} was expected", seq=ev.seq
                )
            expected += 1
            yield ev

    def read(self) -> LogReadResult:
        status = self.verify()
        events = list(self.replay())
        return LogReadResult(self.header, events[: status.n_events], status.complete, status.message)

    def to_interactions(self) -> list[SoftInteraction]:
        return [interaction_from_event(ev) for ev in self.replay() if ev.event_type == _INTERACTION]

    @abstractmethod
    def interaction_batches(self) -> Iterator[tuple[InteractionBatch, list[str]]]:
        """(InteractionBatch, agent_ids) per run of same-epoch interactions, in log order, read without
        building Event objects.

        Agent indices refer to one list that grows in order of first appearance (JSONL: starting from the
        header's `agent_ids` when it has one); each yielded list is a snapshot of it.
        """

    def _base_agent_names(self) -> list[str]:
        base = self._header.get("agent_ids")
        return [str(a) for a in base] if isinstance(base, list) else []

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
        """The epoch_started/epoch_completed events (storages may find them without building the rest)."""
        for ev in self.replay():
            if ev.event_type in (EventType.EPOCH_STARTED, EventType.EPOCH_COMPLETED):
                yield ev


class EventLogBase(EventLogWriter, EventLogReader):
    """One opened event log: mode "w" writes (and can read back what it wrote), mode "r" only reads.

    Subclasses set `fmt` and take `(path, mode, header, **options)`; open them with `open_event_log`.
    """

    fmt: str = ""
    mode: str
    #: set when an append or commit was cut off part way (Ctrl-C, an I/O error such as a full disk): the
    #: writer's bookkeeping may no longer match the file, so the log keeps what is on disk and takes nothing
    #: more (closing it then writes nothing further). A run's end marker is skipped for such a log, which
    #: then reads as "did not finish" up to its last whole line.
    _torn: bool = False

    @property
    def torn(self) -> bool:
        return self._torn

    @abstractmethod
    def __init__(
        self,
        path: str | os.PathLike[str],
        mode: str = "r",
        header: dict[str, Any] | None = None,
        **options: Any,
    ) -> None: ...

    @staticmethod
    def _check_mode(mode: str) -> None:
        if mode not in ("r", "w"):
            raise EventLogError(f"mode must be 'r' or 'w', got {mode!r}")

    def _require_writable(self) -> None:
        if self.mode != "w":
            raise EventLogError(f"{self.path}: log is open for reading; open with mode='w' to append")
        if self.closed:
            raise EventLogError(f"{self.path}: log is closed")
        if self._torn:
            raise EventLogError(f"{self.path}: an earlier append was cut off; the log takes no more events")

    def _before_read(self) -> None:
        if self.mode == "w" and not self.closed:
            self.flush()

    def __enter__(self) -> EventLogBase:
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r}, mode={self.mode!r}, next_seq={self._seq})"
