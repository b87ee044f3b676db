"""A run's history for figures and export (seed 001, "Data Export"): per-epoch metrics and per-agent
snapshots, collected from the run's events.

    agg = MetricsAggregator()
    agg.start_simulation("sim_001", n_epochs=20, steps_per_epoch=10, n_agents=5)
    for event in events:            # live (an orchestrator's log as it grows) or read back from a log
        agg.record_event(event)
    history = agg.end_simulation()

    history = SimulationHistory.from_run_dir("runs/baseline")   # a run folder written by `distsafe run --out`

The epoch metrics are the ones the engine measured (`epoch_completed` events carry `EpochMetrics`); per-agent
figures are derived from the `interaction_completed`, post, vote and freeze events, so that nothing the engine
writes has to change. An agent's `reputation` here is its initial reputation plus the reputation changes of
its interactions (`r_a`/`r_b`); decay applied by a lever between epochs is not in the log and so not in it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from distsafe.eventlog import open_event_log
from distsafe.models.events import Event, EventType
from distsafe.scenarios.run_files import LOG_NAMES, MANIFEST_NAME

#: agents followed one by one (the first seen); a bigger population's other agents are in the epoch metrics
#: (per type) but get no snapshots, so that a 100,000-agent run's history stays small
MAX_TRACKED_AGENTS = 2000
#: events kept in `notable_events` (freezes, audits, the kill switch, end markers, ...)
MAX_NOTABLE_EVENTS = 5000
#: frequent events that are not kept as notable
_ROUTINE = frozenset(
    {
        EventType.EPOCH_STARTED, EventType.SIMULATION_STARTED, EventType.LLM_CALL, EventType.TASK_CREATED,
        EventType.TASK_CLAIMED, EventType.TASK_COMPLETED, EventType.TASK_EXPIRED, EventType.ACTION_BLOCKED,
        EventType.STRATEGY_UPDATED,
    }
)  # fmt: skip


@dataclass(frozen=True)
class TimeSeriesPoint:
    epoch: int
    value: float


@dataclass
class AgentSnapshot:
    """One agent at the end of one epoch (the epoch's counts, and running totals)."""

    agent_id: str
    agent_type: str
    epoch: int
    n_interactions: int = 0
    n_initiated: int = 0
    n_accepted: int = 0
    n_posts: int = 0
    n_votes: int = 0
    payoff: float = 0.0
    total_payoff: float = 0.0
    reputation_change: float = 0.0
    reputation: float = 0.0
    avg_p_initiated: float = float("nan")
    frozen: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EpochSnapshot:
    """The engine's metrics of one epoch (`EpochMetrics.to_json_dict()`: None where undefined)."""

    epoch: int
    metrics: dict[str, Any]

    def get(self, key: str) -> float:
        v = self.metrics.get(key)
        return float("nan") if v is None or isinstance(v, str) else float(v)


@dataclass
class SimulationHistory:
    simulation_id: str
    n_epochs: int = 0
    steps_per_epoch: int = 0
    n_agents: int = 0
    seed: int | None = None
    epoch_snapshots: list[EpochSnapshot] = field(default_factory=list)
    agent_snapshots: list[AgentSnapshot] = field(default_factory=list)
    #: from a run folder: the manifest's status, summary and success criteria (empty while a run goes)
    status: str = "running"
    summary: dict[str, Any] = field(default_factory=dict)
    success_criteria: list[dict[str, Any]] = field(default_factory=list)
    #: (initiator, counterparty) -> [interactions, accepted, sum of p]: the run's interaction graph
    edges: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    #: events that are not interactions, posts, votes or routine (freezes, audits, kill switch, ...), as dicts
    notable_events: list[dict[str, Any]] = field(default_factory=list)
    #: agents seen beyond MAX_TRACKED_AGENTS (no snapshots, no edges)
    untracked_agents: int = 0

    def add_epoch_snapshot(self, snapshot: EpochSnapshot) -> None:
        self.epoch_snapshots.append(snapshot)

    def add_agent_snapshot(self, snapshot: AgentSnapshot) -> None:
        self.agent_snapshots.append(snapshot)

    @property
    def epochs_done(self) -> int:
        return len(self.epoch_snapshots)

    def metric_names(self) -> list[str]:
        """Every numeric epoch metric, in the order the engine writes them."""
        names: list[str] = []
        for s in self.epoch_snapshots:
            for k, v in s.metrics.items():
                if k != "epoch" and k not in names and (v is None or isinstance(v, (int, float))):
                    names.append(k)
        return names

    def get_time_series(self, metric: str) -> list[TimeSeriesPoint]:
        return [TimeSeriesPoint(s.epoch, s.get(metric)) for s in self.epoch_snapshots]

    def get_agent_time_series(self, agent_id: str, attribute: str) -> list[TimeSeriesPoint]:
        return [
            TimeSeriesPoint(a.epoch, float(getattr(a, attribute)))
            for a in self.agent_snapshots
            if a.agent_id == agent_id
        ]

    def agent_ids(self) -> list[str]:
        return list(dict.fromkeys(a.agent_id for a in self.agent_snapshots))

    def get_final_agent_states(self) -> dict[str, AgentSnapshot]:
        out: dict[str, AgentSnapshot] = {}
        for a in self.agent_snapshots:
            out[a.agent_id] = a  # snapshots are in epoch order: the last one wins
        return out

    @classmethod
    def from_run_dir(cls, path: str | Path) -> SimulationHistory:
        """The history of a run folder: its event log (JSONL or Parquet) read through `distsafe.eventlog`,
        and its manifest when the run has ended. A run still going gives the epochs logged so far."""
        folder = Path(path)
        log = find_log(folder)
        if log is None:
            raise FileNotFoundError(f"{folder}: no event log ({' or '.join(LOG_NAMES)}) in this folder")
        reader = open_event_log(log, "r")
        agg = MetricsAggregator()
        agg.start_from_header(reader.header, simulation_id=folder.name)
        for ev in reader.replay():
            agg.record_event(ev)
        history = agg.end_simulation()
        apply_manifest(history, folder)
        return history


def find_log(folder: Path) -> Path | None:
    for name in LOG_NAMES:
        if (folder / name).exists():
            return folder / name
    return None


def apply_manifest(history: SimulationHistory, folder: Path) -> None:
    """Status, summary and success criteria from the folder's manifest (written when the run ends)."""
    path = folder / MANIFEST_NAME
    if not path.is_file():
        return
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    if isinstance(manifest, dict):
        history.status = str(manifest.get("status", history.status))
        history.summary = dict(manifest.get("summary") or {})
        history.success_criteria = list(manifest.get("success_criteria") or [])


def agent_type_of(agent_id: str, prefixes: Mapping[str, str]) -> str:
    """The type of `agent_id` from the header's population prefixes (`honest_3` -> honest)."""
    best = ""
    for prefix in prefixes:
        if agent_id.startswith(prefix + "_") and len(prefix) > len(best):
            best = prefix
    return prefixes[best] if best else agent_id.rsplit("_", 1)[0]


class MetricsAggregator:
    """Collects a run's history from its events, one at a time (in log order)."""

    def __init__(self) -> None:
        self.history: SimulationHistory | None = None
        self._prefixes: dict[str, str] = {}
        self._initial_reputation = 0.0
        self._agents: dict[str, AgentSnapshot] = {}
        self._p_sum: dict[str, float] = {}
        self._untracked: set[str] = set()

    def start_simulation(
        self,
        simulation_id: str,
        n_epochs: int = 0,
        steps_per_epoch: int = 0,
        n_agents: int = 0,
        seed: int | None = None,
        population: Iterable[Mapping[str, Any]] = (),
        initial_reputation: float = 0.0,
    ) -> None:
        self.history = SimulationHistory(simulation_id, n_epochs, steps_per_epoch, n_agents, seed)
        self._prefixes = {
            str(p.get("prefix") or p.get("type")): str(p.get("type")) for p in population if p.get("type")
        }
        self._initial_reputation = float(initial_reputation)
        self._agents = {}
        self._p_sum = {}
        self._untracked = set()

    def start_from_header(self, header: Mapping[str, Any], simulation_id: str | None = None) -> None:
        """Start from an event log's header (scenario, seed, sizes, population, initial reputation)."""
        config = header.get("config") if isinstance(header.get("config"), dict) else {}
        self.start_simulation(
            simulation_id or str(header.get("scenario", "run")),
            n_epochs=int(header.get("n_epochs") or 0),
            steps_per_epoch=int(header.get("steps_per_epoch") or 0),
            n_agents=int(header.get("n_agents") or 0),
            seed=header.get("seed") if isinstance(header.get("seed"), int) else None,
            population=[p for p in header.get("population") or [] if isinstance(p, dict)],
            initial_reputation=float((config or {}).get("initial_reputation") or 0.0),
        )

    def _require(self) -> SimulationHistory:
        if self.history is None:
            raise RuntimeError("MetricsAggregator: call start_simulation() first")
        return self.history

    def _agent(self, agent_id: str, epoch: int) -> AgentSnapshot | None:
        a = self._agents.get(agent_id)
        if a is None:
            if len(self._agents) >= MAX_TRACKED_AGENTS:
                if agent_id not in self._untracked:
                    self._untracked.add(agent_id)
                    self._require().untracked_agents = len(self._untracked)
                return None
            a = AgentSnapshot(agent_id, agent_type_of(agent_id, self._prefixes), epoch)
            a.reputation = self._initial_reputation
            self._agents[agent_id] = a
        return a

    def record_event(self, event: Event) -> None:
        """Fold one event into the history."""
        self._require()
        kind = event.event_type
        data = event.payload if isinstance(event.payload, dict) else {}
        if kind == EventType.INTERACTION_COMPLETED:
            self._record_interaction(event.epoch, data)
        elif kind in (EventType.POST_CREATED, EventType.REPLY_CREATED) and event.agent_id:
            if (a := self._agent(event.agent_id, event.epoch)) is not None:
                a.n_posts += 1
        elif kind == EventType.VOTE_CAST and event.agent_id:
            if (a := self._agent(event.agent_id, event.epoch)) is not None:
                a.n_votes += 1
        elif kind == EventType.EPOCH_COMPLETED:
            metrics = data.get("metrics")
            self.finalize_epoch(event.epoch, metrics if isinstance(metrics, dict) else {})
        elif kind in (EventType.AGENT_FROZEN, EventType.AGENT_UNFROZEN):
            who = event.agent_id or data.get("agent")
            if isinstance(who, str) and (a := self._agent(who, event.epoch)) is not None:
                a.frozen = kind == EventType.AGENT_FROZEN
            self._notable(event)
        elif kind not in _ROUTINE:
            self._notable(event)

    def _notable(self, event: Event) -> None:
        h = self._require()
        if len(h.notable_events) < MAX_NOTABLE_EVENTS:
            h.notable_events.append(event_dict(event))

    def _record_interaction(self, epoch: int, data: Mapping[str, Any]) -> None:
        h = self._require()
        a_id, b_id = str(data.get("initiator", "")), str(data.get("counterparty", ""))
        accepted = bool(data.get("accepted", False))
        p = _num(data.get("p"))
        a, b = self._agent(a_id, epoch), self._agent(b_id, epoch)
        if a is not None:
            a.n_initiated += 1
            self._p_sum[a_id] = self._p_sum.get(a_id, 0.0) + p
        for agent, pay, rep in ((a, "payoff_a", "r_a"), (b, "payoff_b", "r_b")):
            if agent is None:
                continue
            agent.n_interactions += 1
            agent.payoff += _num(data.get(pay))
            agent.reputation_change += _num(data.get(rep))
            if accepted:
                agent.n_accepted += 1
        if a is None or b is None:
            return
        edge = h.edges.setdefault((a_id, b_id), [0.0, 0.0, 0.0])
        edge[0] += 1
        edge[1] += accepted
        edge[2] += p

    def finalize_epoch(self, epoch: int, metrics: Mapping[str, Any]) -> None:
        """Close an epoch: its metrics (as the engine measured them) and one snapshot per known agent."""
        h = self._require()
        h.add_epoch_snapshot(EpochSnapshot(int(epoch), dict(metrics)))
        for agent_id, a in self._agents.items():
            a.epoch = int(epoch)
            a.total_payoff += a.payoff
            a.reputation += a.reputation_change
            a.avg_p_initiated = self._p_sum[agent_id] / a.n_initiated if a.n_initiated else float("nan")
            h.add_agent_snapshot(AgentSnapshot(**asdict(a)))
            a.n_interactions = a.n_initiated = a.n_accepted = a.n_posts = a.n_votes = 0
            a.payoff = a.reputation_change = 0.0
            self._p_sum[agent_id] = 0.0

    def end_simulation(self) -> SimulationHistory:
        h = self._require()
        if h.status == "running" and h.epoch_snapshots:
            h.n_epochs = max(h.n_epochs, h.epochs_done)
        return h

    def get_history(self) -> SimulationHistory:
        return self._require()


def event_dict(event: Event) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "epoch": event.epoch,
        "step": event.step,
        "type": str(event.event_type.value),
        "agent": event.agent_id,
        "data": event.payload,
    }


def _num(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return 0.0
    return f if math.isfinite(f) else 0.0
