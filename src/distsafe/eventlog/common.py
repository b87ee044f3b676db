"""Shared pieces of the event log: the line format and hash rule, the chain scanner, result types.

Length (over ~400 lines): the chain scanner and its result types are read together with the line rule
they check; the record checks are apart in checks.py.

Line rule (both storages; see docs/eventlog.md):

    body = json.dumps(record_without_h, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)
    h    = sha256(body.encode("ascii")).hexdigest()
    line = body[:-1] + ',"h":"' + h + '"}' + "\\n"

so `h` is always the last key of a line, and the body can be recovered byte for byte as
`line[:-73] + "}"` (without the trailing newline: `line[:-72] + "}"`). Each record carries `prev`, the
`h` of the line before it (the header's `prev` is 64 zeros), which makes the file a hash chain.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import distsafe
from distsafe.eventlog.checks import batch_entry_problem, loads, record_problem
from distsafe.models.events import END_MARKERS, Event, EventType

FORMAT_NAME = "distsafe-eventlog"
LOG_FORMAT_VERSION = 1
ZERO_HASH = "0" * 64
HASH_SUFFIX_LEN = 72  # len(',"h":"') + 64 + len('"}')
RESERVED_HEADER_KEYS = frozenset({"prev", "h"})
DEFAULT_IGNORED_HEADER_KEYS = frozenset({"storage"})


class EventLogError(Exception):
    """Any problem with an event log; the message is one line. `line`/`seq` locate it when known."""

    def __init__(self, message: str, *, line: int | None = None, seq: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.seq = seq


def canonical(obj: dict[str, Any]) -> str:
    """The canonical JSON text of a record (the hashed body)."""
    try:
        return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise EventLogError(f"record is not canonical JSON: {exc}") from None


def seal(body: str) -> tuple[str, str]:
    """(line with trailing newline, h) for a canonical body."""
    h = hashlib.sha256(body.encode("ascii")).hexdigest()
    return f'{body[:-1]},"h":"{h}"}}\n', h


def unseal(line: str) -> tuple[str, str] | None:
    """(body, h) of a line without its newline, or None when it has no well-formed `h` suffix."""
    if len(line) < HASH_SUFFIX_LEN + 2 or not line.endswith('"}'):
        return None
    if line[-HASH_SUFFIX_LEN : -HASH_SUFFIX_LEN + 6] != ',"h":"':
        return None
    return line[:-HASH_SUFFIX_LEN] + "}", line[-66:-2]


def make_header(
    scenario: Any = None, seed: Any = None, extra: dict[str, Any] | None = None, storage: str = "jsonl"
) -> dict[str, Any]:
    head: dict[str, Any] = {
        "format": FORMAT_NAME,
        "log_version": LOG_FORMAT_VERSION,
        "version": distsafe.__version__,
        "storage": storage,
        "scenario": scenario,
        "seed": seed,
    }
    for key, value in (extra or {}).items():
        if key in RESERVED_HEADER_KEYS:
            raise EventLogError(f"header key {key!r} is reserved for the hash chain")
        head[key] = value
    return head


# ---- results ------------------------------------------------------------------------------------
@dataclass
class LogReadResult:
    header: dict[str, Any]
    events: list[Event]
    complete: bool
    message: str


@dataclass
class ChainStatus:
    """What a full verification found: events read, whether the run finished, and a one-line message."""

    n_events: int
    n_lines: int
    complete: bool
    message: str
    last_hash: str
    truncated_line: int | None = None
    #: type of the last event (by seq), and `data.reason` when it is an end marker (interrupted/failed run)
    last_type: str | None = None
    end_reason: str | None = None
    #: (epoch, step) of the last event by seq, when both are integers: how far the run got
    last_position: tuple[int, int] | None = None


@dataclass
class LogDiff:
    seq: int | None
    event_type: str | None
    field: str
    a: Any
    b: Any
    message: str = ""

    def __str__(self) -> str:
        return self.message


# ---- the chain scanner --------------------------------------------------------------------------
class ChainScanner:
    """Reads a chain file line by line, checking each line's hash and `prev` link.

    Iterating yields (line_number, record) for the events after the header (line numbers are 1-based,
    the header is line 1). A final line that is cut short (no newline and not a valid sealed record) is
    dropped and noted in `truncated_line`; a bad line anywhere else raises EventLogError.
    """

    def __init__(self, path: str) -> None:
        self.path = str(path)
        self.truncated_line: int | None = None
        self.n_lines = 0
        self.last_hash = ZERO_HASH
        self.header: dict[str, Any] = {}
        self._fh = open(self.path, "rb")
        first = self._fh.readline()
        rec = self._check(first, 1) if first else None
        if rec is None:
            self._fh.close()
            raise EventLogError(f"{self.path}: no complete header line; not a readable event log", line=1)
        if rec.get("format") != FORMAT_NAME:
            self._fh.close()
            raise EventLogError(f"{self.path}: line 1 is not a {FORMAT_NAME} header", line=1)
        rec.pop("h", None)
        rec.pop("prev", None)
        self.header = rec

    def _check(self, raw: bytes, lineno: int) -> dict[str, Any] | None:
        """The record of a line, or None for an incomplete last line; raises on a corrupt line."""
        whole = raw.endswith(b"\n")
        try:
            text = (raw[:-1] if whole else raw).decode("ascii")
            parts = unseal(text)
            if parts is None:
                raise ValueError("no hash field at the end of the line")
            body, h = parts
            if hashlib.sha256(body.encode("ascii")).hexdigest() != h:
                raise ValueError("hash mismatch")
            rec = loads(text)
            if not isinstance(rec, dict) or rec.get("h") != h:
                raise ValueError("hash mismatch")
        except RecursionError:
            raise EventLogError(
                f"{self.path}: line {lineno}: JSON nested too deeply; not a record this log writes",
                line=lineno,
            ) from None
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            if not whole:
                self.truncated_line = lineno
                return None
            seq = _guess_seq(raw)
            where = f"line {lineno}" + (f" (seq {seq})" if seq is not None else "")
            raise EventLogError(
                f"{self.path}: {where}: {exc}; the log was modified or corrupted", line=lineno, seq=seq
            ) from None
        if rec.get("prev") != self.last_hash:
            seq = rec.get("seq")
            where = f"line {lineno}" + (f" (seq {seq})" if seq is not None else "")
            raise EventLogError(
                f"{self.path}: {where}: prev does not match the hash of line {lineno - 1}; "
                "a line was removed, reordered or modified",
                line=lineno,
                seq=seq,
            )
        if lineno > 1:
            problem = batch_entry_problem(rec) if "batch" in rec else record_problem(rec)
            if problem is not None:
                seq = rec.get("seq")
                seq = seq if type(seq) is int else None
                where = f"line {lineno}" + (f" (seq {seq})" if seq is not None else "")
                raise EventLogError(f"{self.path}: {where}: {problem}", line=lineno, seq=seq)
        self.last_hash = h
        self.n_lines = lineno
        return rec

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        lineno = 1
        try:
            for raw in self._fh:
                lineno += 1
                rec = self._check(raw, lineno)
                if rec is None:
                    return
                yield lineno, rec
        finally:
            self._fh.close()

    def close(self) -> None:
        self._fh.close()


def _guess_seq(raw: bytes) -> int | None:
    i = raw.find(b'"seq":')
    if i < 0:
        return None
    j = i + 6
    k = j
    while k < len(raw) and raw[k : k + 1].isdigit():
        k += 1
    return int(raw[j:k]) if k > j else None


def end_reason(last_type: Any, last_record: dict[str, Any] | None) -> str | None:
    """The reason an interrupted/failed run's end marker gives (one line, at most 300 characters)."""
    if last_type not in END_MARKERS or not isinstance(last_record, dict):
        return None
    data = last_record.get("data")
    reason = data.get("reason") if isinstance(data, dict) else None
    return " ".join(str(reason).split())[:300] if reason is not None else "no reason given"


def position(epoch: Any, step: Any) -> tuple[int, int] | None:
    """(epoch, step) when both are plain integers, else None."""
    if type(epoch) is int and type(step) is int:
        return epoch, step
    return None


def status_message(
    n_events: int, last_type: str | None, truncated_line: int | None, reason: str | None = None
) -> tuple[bool, str]:
    if last_type in END_MARKERS and truncated_line is None:
        how = "interrupted" if last_type == EventType.SIMULATION_INTERRUPTED.value else "failed"
        return False, (
            f"run {how} ({reason or 'no reason given'}): the log ends with {last_type}; "
            f"reading {n_events} events"
        )
    if truncated_line is not None:
        return False, (
            f"log truncated after event seq {n_events - 1} (line {truncated_line} incomplete); "
            f"reading {n_events} events"
        )
    if last_type != EventType.SIMULATION_ENDED.value:
        return False, f"log has no simulation_ended event (run did not finish); reading {n_events} events"
    return True, f"log complete: {n_events} events"


# ---- events <-> records -------------------------------------------------------------------------
def event_record(event: Event, seq: int, prev: str) -> dict[str, Any]:
    rec = event.to_record()
    rec["seq"] = seq
    rec["t"] = float(rec["t"])
    rec["prev"] = prev
    return rec


EventMaker = Callable[[int, EventType, float, int, int, str | None, dict[str, Any]], Event]


def _event_factory() -> EventMaker:
    """A fast `Event.model_construct` for trusted (hash-checked) records.

    Sets the same instance attributes pydantic's model_construct sets; a self-check at import falls back
    to model_construct if a pydantic version ever lays its instances out differently.
    """
    new = object.__new__
    setattr_ = object.__setattr__
    fields_set = frozenset(("seq", "event_type", "timestamp", "epoch", "step", "agent_id", "payload"))

    def fast(
        seq: int,
        event_type: EventType,
        timestamp: float,
        epoch: int,
        step: int,
        agent_id: str | None,
        payload: dict[str, Any],
    ) -> Event:
        ev = new(Event)
        setattr_(
            ev,
            "__dict__",
            {
                "seq": seq,
                "event_type": event_type,
                "timestamp": timestamp,
                "epoch": epoch,
                "step": step,
                "agent_id": agent_id,
                "payload": payload,
            },
        )
        setattr_(ev, "__pydantic_fields_set__", set(fields_set))
        setattr_(ev, "__pydantic_extra__", None)
        setattr_(ev, "__pydantic_private__", None)
        return ev

    def slow(
        seq: int,
        event_type: EventType,
        timestamp: float,
        epoch: int,
        step: int,
        agent_id: str | None,
        payload: dict[str, Any],
    ) -> Event:
        return Event.model_construct(
            seq=seq,
            event_type=event_type,
            timestamp=timestamp,
            epoch=epoch,
            step=step,
            agent_id=agent_id,
            payload=payload,
        )

    try:
        args = (3, EventType.AUDIT, 1.5, 2, 7, "x", {"k": [1, 2.5]})
        a, b = fast(*args), slow(*args)
        if (
            a == b
            and a.model_dump() == b.model_dump()
            and a.to_record() == b.to_record()
            and a.model_copy() == b
        ):
            return fast
    except Exception:  # noqa: BLE001 - any difference in pydantic internals selects the safe path
        pass
    return slow


make_event = _event_factory()


def record_event(rec: dict[str, Any]) -> Event:
    data = rec.get("data", {})
    if not isinstance(data, dict):  # a forged (resealed) log; every reader expects an object here
        raise EventLogError(f"event {rec.get('seq')}: data is {type(data).__name__}, not an object")
    return make_event(
        rec["seq"],
        EventType(rec["type"]),
        rec.get("t", 0.0),
        rec.get("epoch", 0),
        rec.get("step", 0),
        rec.get("agent"),
        data,
    )


class ChainWriter:
    """Appends sealed lines to a chain file, buffered: written every `flush_every` lines and on flush()."""

    def __init__(
        self, path: str, header: dict[str, Any], flush_every: int = 1000, fsync: bool = False
    ) -> None:
        if flush_every < 1:
            raise EventLogError(f"flush_every must be >= 1, got {flush_every}")
        self.path = str(path)
        self.flush_every = int(flush_every)
        self.fsync = fsync
        self.prev = ZERO_HASH
        self.buf: list[str] = []
        self._fh = open(self.path, "w", encoding="ascii", newline="")
        self.add(dict(header))
        self.flush()

    def add(self, rec: dict[str, Any]) -> str:
        """Seal and buffer one record (its `prev` is set here); returns its hash."""
        rec["prev"] = self.prev
        line, self.prev = seal(canonical(rec))
        self.buf.append(line)
        if len(self.buf) >= self.flush_every:
            self.flush()
        return self.prev

    def add_interactions(self, before: list[str], after: list[str]) -> None:
        prev = self.prev
        buf = self.buf
        sha = hashlib.sha256
        for b, a in zip(before, after):
            body = b + prev + a
            prev = sha(body.encode("ascii")).hexdigest()
            buf.append(f'{body[:-1]},"h":"{prev}"}}\n')
            if len(buf) >= self.flush_every:
                self.prev = prev
                self.flush()
                buf = self.buf
        self.prev = prev

    def flush(self) -> None:
        if self._fh.closed:
            return
        if self.buf:
            self._fh.write("".join(self.buf))
            self.buf = []
        self._fh.flush()
        if self.fsync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if not self._fh.closed:
            self.flush()
            self._fh.close()

    def abandon(self) -> None:
        """Close without writing the lines still buffered (after a write that was cut off part way)."""
        self.buf = []
        if not self._fh.closed:
            try:
                self._fh.close()
            except OSError:  # the disk that failed the write may fail the close's flush too
                pass

    @property
    def closed(self) -> bool:
        return self._fh.closed
