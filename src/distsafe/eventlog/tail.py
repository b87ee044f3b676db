"""Follow a JSONL event log while a run writes it (the dashboard's live view).

    follower = LogFollower("runs/x/events.jsonl")   # raises EventLogError until the header is written
    for event in follower.poll():                    # the events appended since the last poll
        ...

Each line is hash-checked and linked to the one before, as `ChainScanner` does for a whole file; a last line
the writer has not finished is left for the next poll. `finished` tells when the end marker was read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from distsafe.eventlog.common import ChainScanner, EventLogError, record_event
from distsafe.models.events import END_MARKERS, Event, EventType


class LogFollower(ChainScanner):
    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(str(path))
        self.n_events = 0
        self.finished = False
        self.last_type: str | None = None

    def poll(self, max_events: int | None = None) -> Iterator[Event]:
        """The complete events written since the last poll (at most `max_events`), in seq order."""
        lineno = self.n_lines
        n = 0
        while max_events is None or n < max_events:
            start = self._fh.tell()
            raw = self._fh.readline()
            if not raw:
                return
            if not raw.endswith(b"\n"):  # the writer is mid-line: read it again next time
                self._fh.seek(start)
                return
            lineno += 1
            rec = self._check(raw, lineno)
            if rec is None:  # pragma: no cover - a whole line is never "incomplete"
                self._fh.seek(start)
                return
            if rec.get("seq") != self.n_events:
                raise EventLogError(
                    f"{self.path}: line {lineno}: seq {rec.get('seq')} where {self.n_events} was expected",
                    line=lineno,
                    seq=rec.get("seq"),
                )
            self.n_events += 1
            n += 1
            self.last_type = rec.get("type")
            if self.last_type in END_MARKERS or self.last_type == EventType.SIMULATION_ENDED.value:
                self.finished = True
            yield record_event(rec)
