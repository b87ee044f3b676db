"""Watch a run folder while its run goes: follow the event log as it grows and fold each new event into the
run's history (`MetricsAggregator`). Works for any run folder, whoever started the run."""

from __future__ import annotations

from pathlib import Path

from distsafe.analysis.aggregation import MetricsAggregator, SimulationHistory, apply_manifest, find_log
from distsafe.eventlog import EventLogError
from distsafe.eventlog.tail import LogFollower
from distsafe.scenarios.run_files import MANIFEST_NAME


class RunWatch:
    """`refresh()` returns the history so far; `ended` is True once the log's end marker and the manifest
    are both there. JSONL logs are followed line by line; a Parquet log is read again at each refresh."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._follower: LogFollower | None = None
        self._agg: MetricsAggregator | None = None
        self.history: SimulationHistory | None = None
        self.ended = False
        #: why the log cannot be read yet (no log, no header): shown while a run starts
        self.waiting: str | None = None

    def refresh(self) -> SimulationHistory | None:
        if self.ended:
            return self.history
        log = find_log(self.folder)
        if log is None:
            self.waiting = f"{self.folder}: no event log yet"
            return self.history
        if log.suffix != ".jsonl":
            return self._reread()
        if self._follower is None:
            try:
                self._follower = LogFollower(log)
            except EventLogError:
                self.waiting = f"{log}: waiting for the log's header"
                return None
            self._agg = MetricsAggregator()
            self._agg.start_from_header(self._follower.header, simulation_id=self.folder.name)
        assert self._agg is not None
        self.waiting = None
        for ev in self._follower.poll():
            self._agg.record_event(ev)
        self.history = self._agg.get_history()
        if self._follower.finished and (self.folder / MANIFEST_NAME).is_file():
            apply_manifest(self.history, self.folder)
            self._follower.close()
            self.ended = True
        return self.history

    def _reread(self) -> SimulationHistory | None:
        try:
            self.history = SimulationHistory.from_run_dir(self.folder)
        except (EventLogError, OSError) as e:
            self.waiting = str(e).splitlines()[0] if str(e) else type(e).__name__
            return self.history
        self.waiting = None
        self.ended = (self.folder / MANIFEST_NAME).is_file()
        return self.history
