"""`EngineState`: everything a run's step functions read and write, in one explicit object.

The orchestrator builds it and passes it to the plain functions of `core.step`, `core.turns`,
`core.rails` and `core.resolve`; none of them holds the orchestrator or reads another module's private
attributes. Per-agent state lives in the `AgentTable` (numpy columns); per-step scratch (the acting
rows, the shared observation view) in the fields under "this step".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from distsafe.agents.base import BaseAgent, VisiblePost, VisibleTask
from distsafe.agents.incentives import MarketModel
from distsafe.agents.policies import ScriptedPolicy
from distsafe.core.config import OrchestratorConfig
from distsafe.core.observables import ObservableGenerator
from distsafe.core.payoff import SoftPayoffEngine
from distsafe.core.proxy import ProxyComputer
from distsafe.env.composite_tasks import CompositeTaskPool
from distsafe.env.network import AgentNetwork
from distsafe.env.state import EnvState
from distsafe.governance.engine import GovernanceEngine
from distsafe.governance.incentives import NO_LEVERS, IncentiveView
from distsafe.governance.levers import GovernanceContext
from distsafe.metrics.epoch import EpochCounts
from distsafe.models.agent_table import AgentTable
from distsafe.models.columns import InteractionBatch, InteractionBuffer
from distsafe.models.events import DETECTION_EVENTS, Event, EventType

#: The run's independent random streams, spawned in this order from the seed (the order fixes the draws).
STREAMS: tuple[str, ...] = (
    "schedule",
    "policy",
    "accept",
    "observables",
    "governance",
    "tasks",
    "observation",
    "population",  # added after the others: the earlier streams keep their draws
    "adversary",  # the adaptive adversaries' strategy draws (agents.adaptive_adversary)
    "network",  # env.network: random topologies and path-length sources
    "composite",  # env.composite_tasks: task spawning and subtask assignment
    # the engine's components (core.components), one stream each, whether or not a run has them
    "auction",
    "mission",
    "hfn",
    "permeability",
    "identity",
    "market",
    "motifs",
    "observation_noise",  # core.observation_noise: what agents see of each other's reputation
    "dynamic_toxicity",  # core.parts.dynamic_toxicity: honest agents' exits (trust erosion)
    "contracts",  # core.parts.contracts: contract signing noise and audits
    "perturbations",  # core.parts.perturbations: dropouts and partitions (without the section's own seed)
)


class EventSink(Protocol):
    """What the engine needs of an event log."""

    @property
    def closed(self) -> bool: ...

    def append(self, event: Event) -> Any: ...

    def append_interactions(self, batch: InteractionBatch, agent_ids: Any, timestamp: float) -> Any: ...

    def close(self) -> None: ...


@dataclass(kw_only=True, eq=False)
class Group:
    """Agents decided by one call: a scripted policy over many rows, or one object agent."""

    gid: int
    kind: Literal["scripted", "object"]
    rng: np.random.Generator
    policy: ScriptedPolicy | None = None
    agent: BaseAgent | None = None
    key: tuple[Any, ...] = ()
    rows: list[np.ndarray] = field(default_factory=list)

    def all_rows(self) -> np.ndarray:
        if len(self.rows) == 1:  # a population: its rows as added (read-only use)
            return self.rows[0]
        return np.concatenate(self.rows) if self.rows else np.zeros(0, dtype=np.int64)


@dataclass(kw_only=True, eq=False)
class EngineState:
    """The engine's state. `env` is the shared world (feed, tasks, limits, time), `agents` the agents."""

    config: OrchestratorConfig
    agents: AgentTable
    env: EnvState
    rngs: dict[str, np.random.Generator]
    governance: GovernanceEngine
    payoff_engine: SoftPayoffEngine
    proxy: ProxyComputer
    observables: ObservableGenerator
    groups: list[Group] = field(default_factory=list)
    #: object agents the engine calls one by one (groups of one), by row
    driven: dict[int, BaseAgent] = field(default_factory=dict)
    event_log: EventSink | None = None
    #: the market's rules the agents decide by, and the levers in force this step (`core.step`)
    market: MarketModel = field(default_factory=MarketModel)
    incentives: IncentiveView = NO_LEVERS
    #: every agent's total payoff at the start of the epoch (the population update's fitness)
    epoch_start_payoff: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: this epoch's interactions (buffers reused across epochs) and counters
    epoch_buffer: InteractionBuffer = field(default_factory=InteractionBuffer)
    counts: EpochCounts = field(default_factory=EpochCounts)
    #: per-agent arrays that only some runs need (the safety rails' state, the vote weight behind
    #: influence_gini), by name; allocated on first use by `agent_array`, so other runs carry none
    extra_columns: dict[str, np.ndarray] = field(default_factory=dict)
    #: who can interact with whom (env.network); None: everyone with everyone (no network configured)
    network: AgentNetwork | None = None
    #: composite tasks (env.composite_tasks); None: not enabled
    composite: CompositeTaskPool | None = None
    #: the run's components (`core.components.Component`, built by `core.parts.registry`), in order
    components: list[Any] = field(default_factory=list)
    # ---- this step
    #: rows acting this step, in schedule order (frozen and governance-blocked agents removed)
    active: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: the feed and task view every object agent's observation shares; built on first use in a step
    shared_view: tuple[tuple[VisiblePost, ...], tuple[VisibleTask, ...]] | None = None

    def agent_array(self, name: str, dtype: Any, fill: Any) -> np.ndarray:
        """The per-agent array `name` of `extra_columns`, made (filled with `fill`) or grown on first use."""
        arr = self.extra_columns.get(name)
        n = len(self.agents)
        if arr is None or arr.shape[0] != n:
            new = np.full(n, fill, dtype=dtype)
            if arr is not None:
                k = min(n, arr.shape[0])
                new[:k] = arr[:k]
            arr = self.extra_columns[name] = new
        return arr

    @property
    def has_async_agents(self) -> bool:
        """True if an object agent decides through `act_async` (an LLM agent): the run must await it."""
        return any(a.is_async for a in self.driven.values())

    @property
    def logs_feed_events(self) -> bool:
        """Per-post and per-vote events in JSONL logs; columnar (Parquet) runs log a per-step summary."""
        return self.event_log is not None and getattr(self.event_log, "fmt", "jsonl") == "jsonl"

    def emit(
        self, event_type: EventType, agent: int | None = None, payload: dict[str, Any] | None = None
    ) -> None:
        """Append an event at the current time; `agent` is a row (None or < 0: no agent)."""
        log = self.event_log
        if log is None or log.closed:
            return
        st = self.env
        log.append(
            Event(
                event_type=event_type,
                timestamp=float(st.time),
                epoch=st.epoch,
                step=st.step,
                agent_id=self.agents.ids[agent] if agent is not None and agent >= 0 else None,
                payload=payload or {},
            )
        )

    def gov_context(self) -> GovernanceContext:
        st = self.env
        return GovernanceContext(
            agents=self.agents, epoch=st.epoch, step=st.step, rng=self.rngs["governance"]
        )

    def flush_governance_events(self, ctx: GovernanceContext) -> None:
        """Emit the events the levers queued on `ctx`, in order."""
        for etype, row, payload in ctx.events:
            self.emit(EventType(etype), row if row >= 0 else None, payload)
            if row >= 0 and etype in DETECTION_EVENTS:  # what adaptive adversaries learn from
                self.agent_array("detected", np.bool_, False)[row] = True
                self.agent_array("detected_ever", np.bool_, False)[row] = True
        ctx.events.clear()
