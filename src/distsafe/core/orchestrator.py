"""The engine: one loop, columns inside.

    for epoch in range(n_epochs):
        epoch start: governance hooks (decay, unfreeze), new tasks, expired tasks
        for step in range(steps_per_epoch):
            every agent that may act gets its turn (schedule order); groups decide in one call each
            rate limits and safety rails; feed actions; task claims
            resolve the step's interactions: acceptance, hidden outcome v, observables, p,
            governance costs, payoffs, state updates, events
        epoch metrics

Agent state lives in an `AgentTable` (numpy columns); each step's interactions in an `InteractionBatch`.
Scripted agents run as vectorized group policies; seed-style `BaseAgent` objects (including LLM agents,
awaited concurrently) are groups of one. Time is simulation time (the global step index).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from distsafe import __version__
from distsafe.agents.base import BaseAgent
from distsafe.agents.policies import ScriptedPolicy
from distsafe.agents.registry import policy_for
from distsafe.agents.scripted import ScriptedAgent
from distsafe.core.config import EpochMetrics, OrchestratorConfig
from distsafe.core.observables import ObservableGenerator
from distsafe.core.payoff import SoftPayoffEngine
from distsafe.core.proxy import ProxyComputer
from distsafe.core.step import StepRunner
from distsafe.env.feed import Feed
from distsafe.env.state import EnvState
from distsafe.env.tasks import TaskPool
from distsafe.governance.engine import GovernanceEngine
from distsafe.governance.levers import GovernanceContext
from distsafe.metrics.soft_metrics import SoftMetrics
from distsafe.models.agent import BAD_ACTOR_TYPES, AgentState, AgentType
from distsafe.models.agent_table import AgentTable
from distsafe.models.columns import InteractionBatch, InteractionBuffer
from distsafe.models.events import Event, EventType

def _nanmean(values: list[float]) -> float:
    """Mean over the defined values; nan (without a warning) when there are none."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    return float(x.mean()) if x.size else float("nan")


_STREAMS = ("schedule", "policy", "accept", "observables", "governance", "tasks", "observation")


@dataclass
class Group:
    """Agents decided by one call: a scripted policy over many rows, or one object agent."""

    gid: int
    kind: str  # "scripted" or "object"
    rng: np.random.Generator
    policy: ScriptedPolicy | None = None
    agent: BaseAgent | None = None
    key: tuple = ()
    rows: list[np.ndarray] = field(default_factory=list)

    def all_rows(self) -> np.ndarray:
        if len(self.rows) == 1:  # a population: its rows as added (read-only use)
            return self.rows[0]
        return np.concatenate(self.rows) if self.rows else np.zeros(0, dtype=np.int64)


class Orchestrator:
    def __init__(self, config: OrchestratorConfig | None = None, **kwargs: Any):
        self.config = config or OrchestratorConfig(**kwargs)
        cfg = self.config
        root = np.random.SeedSequence(cfg.seed)
        self._seeds = dict(zip(_STREAMS, root.spawn(len(_STREAMS))))
        self.rngs = {name: np.random.default_rng(ss) for name, ss in self._seeds.items()}
        self.agents = AgentTable()
        self.groups: list[Group] = []
        self._group_by_key: dict[tuple, Group] = {}
        self._objects: dict[int, BaseAgent] = {}  # every registered object, by row
        self._driven: dict[int, BaseAgent] = {}  # objects the engine calls one by one (groups of one)
        self.state = EnvState(feed=Feed(cfg.feed_config), tasks=TaskPool(cfg.task_config),
                              rate_limits=cfg.rate_limits, safety=cfg.safety,
                              steps_per_epoch=cfg.steps_per_epoch)
        self.payoff_engine = SoftPayoffEngine(cfg.payoff_config)
        self.proxy = ProxyComputer.from_config(cfg.proxy_config)
        self.observables = ObservableGenerator(cfg.observable_config)
        self.governance = GovernanceEngine(cfg.governance_config)
        self.metrics = SoftMetrics(self.payoff_engine)
        self.event_log = None
        self.epoch_metrics: list[EpochMetrics] = []
        self.llm_recorder = None
        self._step_runner = StepRunner(self)
        self._epoch_buffer = InteractionBuffer()  # this epoch's interactions; buffers reused across epochs
        self._epoch_counts: dict[str, int] = {}
        self._started = False
        #: how the population was built, in row order: enough for `replay --verify` to rebuild it
        self.population_record: list[dict[str, Any]] = []
        self._epoch_callbacks: list[Callable[[EpochMetrics], None]] = []
        self._step_callbacks: list[Callable[[int, int, int], None]] = []
        self.interaction_sink: Callable[[InteractionBatch], None] | None = None

    # ---- population ----------------------------------------------------------------------------------------
    def _new_group(self, kind: str, **kw: Any) -> Group:
        gid = len(self.groups)
        rng = np.random.default_rng(self._seeds["policy"].spawn(1)[0])
        g = Group(gid=gid, kind=kind, rng=rng, **kw)
        self.groups.append(g)
        return g

    def register_agent(self, agent: BaseAgent, as_group: bool | None = None) -> BaseAgent:
        """Add a seed-style agent object. Built-in scripted agents join their policy's group (vectorized);
        `as_group=False` drives this one through its own `act()` instead, as a group of one."""
        if self._started:
            raise RuntimeError("agents must be registered before the run starts")
        cfg = self.config
        if as_group is not False and ScriptedAgent.runs_as_group(agent):
            key = ("scripted",) + agent.group_key()  # type: ignore[attr-defined]
            group = self._group_by_key.get(key)
            if group is None:
                group = self._new_group("scripted", policy=agent.policy, key=key)  # type: ignore[attr-defined]
                self._group_by_key[key] = group
        else:
            group = self._new_group("object", agent=agent)
            if hasattr(agent, "bind_rng"):
                agent.bind_rng(group.rng)
        rows = self.agents.add(agent.agent_type, group.gid, name=agent.agent_id,
                               resources=cfg.initial_resources, reputation=cfg.initial_reputation)
        group.rows.append(rows)
        self._objects[int(rows[0])] = agent
        init = agent.replay_init() if hasattr(agent, "replay_init") else {"roles": agent.roles, **agent.config}
        self.population_record.append({
            "kind": "object", "class": f"{type(agent).__module__}:{type(agent).__qualname__}",
            "agent_id": agent.agent_id, "init": init})
        if group.kind == "object":
            self._driven[int(rows[0])] = agent
            if self.llm_recorder is not None and hasattr(agent, "set_recorder"):
                agent.set_recorder(self.llm_recorder)
        return agent

    def add_population(self, agent_type: str | AgentType, count: int, prefix: str | None = None,
                       params: dict[str, Any] | None = None, roles: list[str] | None = None) -> np.ndarray:
        """Add `count` scripted agents of a type as columns only (no Python object per agent).

        Names are `prefix_1 .. prefix_count` (prefix defaults to the type name)."""
        if self._started:
            raise RuntimeError("agents must be added before the run starts")
        policy = policy_for(agent_type, params, roles)
        key = ("population", prefix or policy.agent_type.value, len(self.groups))
        group = self._new_group("scripted", policy=policy, key=key)
        rows = self.agents.add(policy.agent_type, group.gid, prefix=prefix or policy.agent_type.value,
                               count=count, resources=self.config.initial_resources,
                               reputation=self.config.initial_reputation)
        group.rows.append(rows)
        self.population_record.append({
            "kind": "population", "type": policy.agent_type.value, "count": int(count),
            "prefix": prefix or policy.agent_type.value, "params": dict(params or {}), "roles": list(roles or [])})
        return rows

    @property
    def agent_objects(self) -> dict[str, BaseAgent]:
        return {a.agent_id: a for a in self._objects.values()}

    def get_agent_state(self, agent_id: str) -> AgentState:
        i = self.agents.ids.index_of(agent_id)
        if i is None:
            raise KeyError(f"unknown agent {agent_id!r}")
        return self.agents.state_of(i, self.state.epoch)

    def get_all_agent_states(self) -> list[AgentState]:
        return [self.agents.state_of(i, self.state.epoch) for i in range(len(self.agents))]

    def on_epoch_end(self, callback: Callable[[EpochMetrics], None]) -> None:
        self._epoch_callbacks.append(callback)

    def on_step_end(self, callback: Callable[[int, int, int], None]) -> None:
        """callback(epoch, step, n_interactions_this_step)."""
        self._step_callbacks.append(callback)

    def kill(self, reason: str = "killed by operator") -> None:
        """The kill switch: the run stops after the current step."""
        self.state.killed = True
        self.state.kill_reason = reason

    def set_llm_recorder(self, recorder: Any) -> None:
        self.llm_recorder = recorder
        for agent in self._objects.values():
            if hasattr(agent, "set_recorder"):
                agent.set_recorder(recorder)

    def get_llm_usage_stats(self) -> dict[str, dict[str, Any]]:
        return {a.agent_id: a.usage_stats() for a in self._objects.values() if hasattr(a, "usage_stats")}

    # ---- logging -------------------------------------------------------------------------------------------
    def header(self) -> dict[str, Any]:
        cfg = self.config
        return {
            "scenario": cfg.scenario_id, "seed": cfg.seed, "distsafe_version": __version__,
            "n_agents": len(self.agents), "n_epochs": cfg.n_epochs, "steps_per_epoch": cfg.steps_per_epoch,
            "config": cfg.model_dump(mode="json", exclude={"log_path", "llm_recording_path"}),
            "population": self.population_record,
        }

    def _open_log(self) -> None:
        cfg = self.config
        if self.event_log is None and cfg.log_path is not None and cfg.log_events:
            from distsafe.eventlog import open_event_log

            cfg.log_path.parent.mkdir(parents=True, exist_ok=True)
            self.event_log = open_event_log(cfg.log_path, "w", fmt=cfg.log_format, header=self.header())

    def emit(self, event_type: EventType, agent: int | None = None, payload: dict[str, Any] | None = None) -> None:
        if self.event_log is None or self.event_log.closed:
            return
        st = self.state
        self.event_log.append(Event(
            event_type=event_type, timestamp=float(st.time), epoch=st.epoch, step=st.step,
            agent_id=self.agents.ids[agent] if agent is not None and agent >= 0 else None,
            payload=payload or {},
        ))

    @property
    def logs_feed_events(self) -> bool:
        """Per-post and per-vote events in JSONL logs; columnar (Parquet) runs log a per-step summary."""
        return self.event_log is not None and getattr(self.event_log, "fmt", "jsonl") == "jsonl"

    # ---- the run -------------------------------------------------------------------------------------------
    def _start(self) -> None:
        if self._started:
            raise RuntimeError("an Orchestrator runs once; build a new one to run again")
        if len(self.agents) == 0:
            raise ValueError("no agents registered")
        self._started = True
        self._open_log()
        self.emit(EventType.SIMULATION_STARTED, payload={
            "agents": {t.value: int(np.count_nonzero(self.agents.type_code == t.code)) for t in AgentType
                       if np.any(self.agents.type_code == t.code)},
            "levers": self.config.governance_config.enabled_levers() if self.config.governance_config else [],
        })

    def _finish(self) -> None:
        payload: dict[str, Any] = {"epochs_run": len(self.epoch_metrics),
                                   "governance": self.governance.stats()}
        if self.state.killed:
            payload["killed"] = self.state.kill_reason
        usage = self.get_llm_usage_stats()
        if usage:
            payload["llm_usage"] = usage
        self.emit(EventType.SIMULATION_ENDED, payload=payload)
        if self.event_log is not None:
            self.event_log.close()

    def run(self) -> list[EpochMetrics]:
        """Run every epoch; returns the per-epoch metrics. LLM agents are awaited per step."""
        self._start()
        try:
            for epoch in range(self.config.n_epochs):
                if self.state.killed:
                    break
                self._run_epoch(epoch, None)
        finally:
            self._finish()
        return self.epoch_metrics

    async def run_async(self) -> list[EpochMetrics]:
        """As `run`, inside an event loop: the async (LLM) agents of a step are called concurrently,
        at most `max_concurrent_llm` at a time."""
        self._start()
        sem = asyncio.Semaphore(self.config.max_concurrent_llm)
        try:
            for epoch in range(self.config.n_epochs):
                if self.state.killed:
                    break
                await self._run_epoch_async(epoch, sem)
        finally:
            self._finish()
        return self.epoch_metrics

    def _begin_epoch(self, epoch: int) -> None:
        st = self.state
        st.epoch, st.step = epoch, 0
        self.agents.reset_epoch_counters()
        self._epoch_buffer.clear()
        self._epoch_counts = {"n_posts": 0, "n_votes": 0, "tasks_completed": 0, "n_blocked": 0}
        ctx = self.gov_context()
        self.governance.on_epoch_start(ctx)
        thawed = np.flatnonzero(self.agents.frozen_until == epoch)
        for i in thawed.tolist():
            self.emit(EventType.AGENT_UNFROZEN, i)
        self.flush_governance_events(ctx)
        self.emit(EventType.EPOCH_STARTED)
        self._step_runner.epoch_tasks(epoch)

    def gov_context(self) -> GovernanceContext:
        return GovernanceContext(agents=self.agents, epoch=self.state.epoch, step=self.state.step,
                                 rng=self.rngs["governance"])

    def flush_governance_events(self, ctx: GovernanceContext) -> None:
        for etype, row, payload in ctx.events:
            self.emit(EventType(etype), row if row >= 0 else None, payload)
        ctx.events.clear()

    def _run_epoch(self, epoch: int, sem: asyncio.Semaphore | None) -> None:
        self._begin_epoch(epoch)
        for step in range(self.config.steps_per_epoch):
            self.state.step = step
            decisions = self._step_runner.decide_objects_sync()
            self._after_decisions(decisions)
            if self.state.killed:
                break
        self._end_epoch(epoch)

    async def _run_epoch_async(self, epoch: int, sem: asyncio.Semaphore) -> None:
        self._begin_epoch(epoch)
        for step in range(self.config.steps_per_epoch):
            self.state.step = step
            decisions = await self._step_runner.decide_objects_async(sem)
            self._after_decisions(decisions)
            if self.state.killed:
                break
        self._end_epoch(epoch)

    def _after_decisions(self, decisions: dict[int, Any]) -> None:
        batch = self._step_runner.run_step(decisions)
        if len(batch):
            buf = self._epoch_buffer
            if buf.n == 0 and buf.capacity < len(batch):  # first step of the run: room for an epoch of it
                buf.reserve(len(batch) * self.config.steps_per_epoch)
            buf.append(batch)
        for cb in self._step_callbacks:
            cb(self.state.epoch, self.state.step, len(batch))

    def _end_epoch(self, epoch: int) -> None:
        batch = self._epoch_buffer.batch()
        values: dict[str, Any] = {"epoch": epoch}
        values.update(self.metrics.compute_epoch(batch))
        a = self.agents
        values["avg_reputation"] = float(a.reputation.mean())
        values["gini_payoff"] = self.metrics_gini(a.total_payoff)
        values["n_frozen"] = int(np.count_nonzero(a.frozen_until > epoch))
        bad = np.isin(a.type_code, [t.code for t in BAD_ACTOR_TYPES])
        values["bad_actor_payoff"] = float(a.total_payoff[bad].mean()) if bad.any() else float("nan")
        values.update({k: float(v) for k, v in self._epoch_counts.items()})
        init_type = a.type_code[batch.initiator]  # one gather, shared by the per-type keys
        for t in AgentType:
            rows = a.type_code == t.code
            if rows.any():
                values[f"payoff_{t.value}"] = float(a.total_payoff[rows].mean())
                init_rows = (init_type == t.code) & batch.accepted if len(batch) else np.zeros(0, bool)
                values[f"toxicity_{t.value}"] = (float((1.0 - batch.p[init_rows]).mean())
                                                 if np.any(init_rows) else float("nan"))
        m = EpochMetrics(values)
        self.epoch_metrics.append(m)
        if self.interaction_sink is not None and len(batch):
            self.interaction_sink(batch)
            self._epoch_buffer.release()  # the sink may keep the batch: the next epoch gets new buffers
        self.emit(EventType.EPOCH_COMPLETED, payload={"metrics": m.to_json_dict()})
        st = self.state
        tox = values["toxicity_rate"]
        if (st.safety.kill_switch_enabled and tox == tox and tox > st.safety.kill_switch_toxicity
                and not st.killed):
            self.kill(f"kill switch: toxicity {tox:.3f} > {st.safety.kill_switch_toxicity}")
        if st.killed:
            self.emit(EventType.KILL_SWITCH, payload={"reason": st.kill_reason})
        for cb in self._epoch_callbacks:
            cb(m)

    @staticmethod
    def metrics_gini(values: np.ndarray) -> float:
        from distsafe.metrics.soft_metrics import gini

        return float(gini(values))

    # ---- results -------------------------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Totals over the run: what the CLI's final report shows."""
        a = self.agents
        ms = self.epoch_metrics
        out: dict[str, Any] = {
            "epochs": len(ms),
            "n_agents": len(a),
            "n_interactions": int(sum(m.n_interactions for m in ms)),
            "avg_toxicity": _nanmean([m.toxicity_rate for m in ms]),
            "avg_quality_gap": _nanmean([m.quality_gap for m in ms]),
            "welfare_per_epoch": float(np.mean([m.total_welfare for m in ms])) if ms else float("nan"),
            "total_welfare": float(sum(m.total_welfare for m in ms)),
            "frozen_ever": int(self.governance.stats().get("freezes", 0)),
        }
        bad = np.isin(a.type_code, [t.code for t in BAD_ACTOR_TYPES])
        out["bad_actor_payoff"] = float(a.total_payoff[bad].mean()) if bad.any() else float("nan")
        for t in AgentType:
            rows = a.type_code == t.code
            if rows.any():
                out[f"payoff_{t.value}"] = float(a.total_payoff[rows].mean())
        out.update(self.governance.stats())
        return out
