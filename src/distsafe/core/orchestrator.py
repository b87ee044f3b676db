"""The engine: one loop, columns inside.

    for epoch in range(n_epochs):
        epoch start: governance hooks (decay, unfreeze), new tasks, expired tasks
        for step in range(steps_per_epoch):
            every agent that may act gets its turn (schedule order); groups decide in one call each
            rate limits and safety rails; feed actions; task claims
            resolve the step's interactions: acceptance, hidden outcome v, observables, p,
            governance costs, payoffs, state updates, events
        epoch metrics
    seed 001's social structure (network, collusion rings and detection, composite tasks) hooks in at the
    run's start, each epoch's start and end and each step (core.social)

Everything the loop reads and writes is one `EngineState` (core.state), passed to the plain step
functions (core.step, turns, actions, resolve); epoch metrics are measured by `metrics.epoch`. Agent
state lives in an `AgentTable` (numpy columns); each step's interactions in an `InteractionBatch`.
Scripted agents run as vectorized group policies; seed-style `BaseAgent` objects (including LLM agents,
awaited concurrently) are groups of one. Time is simulation time (the global step index).

Length (over ~400 lines): the engine's public face (the seeds' `Orchestrator` API, populations, the run
loop, how it starts and every way it ends, epoch hooks, replay records) is kept in one place; every step's
work is in the step modules it calls.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from distsafe import __version__
from distsafe.agents.base import BaseAgent
from distsafe.agents.incentives import MarketModel, SignalTable
from distsafe.agents.registry import policy_for
from distsafe.agents.scripted import ScriptedAgent
from distsafe.core.config import OrchestratorConfig
from distsafe.core.dynamics import end_epoch_dynamics
from distsafe.core.observables import ObservableGenerator
from distsafe.core.parts.registry import build_components
from distsafe.core.payoff import SoftPayoffEngine
from distsafe.core.proxy import ProxyComputer
from distsafe.core.social import (
    announce_task,
    begin_epoch_social,
    collusion_lever,
    collusion_rings,
    end_epoch_social,
    start_social,
)
from distsafe.core.state import STREAMS, EngineState, EventSink, Group
from distsafe.core.step import begin_step, decide_objects, epoch_tasks, run_step
from distsafe.env.composite_metrics import capability_metrics
from distsafe.env.composite_tasks import CapabilityMetrics, CapabilityType, CompositeTask, CompositeTaskPool
from distsafe.env.feed import Feed
from distsafe.env.network import AgentNetwork
from distsafe.env.state import EnvState
from distsafe.env.tasks import TaskPool
from distsafe.governance.collusion import CollusionReport
from distsafe.governance.engine import GovernanceEngine
from distsafe.governance.levers import GovernanceContext
from distsafe.governance.registry import enabled_levers
from distsafe.governance.security_report import SecurityReport
from distsafe.metrics.detection import detection_summary
from distsafe.metrics.epoch import EpochCounts, EpochMetrics, measure_epoch, run_summary
from distsafe.metrics.soft_metrics import SoftMetrics
from distsafe.models.agent import AgentState, AgentType
from distsafe.models.agent_table import AgentTable
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType

__all__ = ["EpochMetrics", "Group", "Orchestrator", "OrchestratorConfig"]


class Orchestrator:
    """Builds a run (agents, populations, levers, log) and runs it. Its state is one `EngineState`
    (`engine_state`), which the step functions of `core.step` read and write."""

    def __init__(self, config: OrchestratorConfig | None = None, **kwargs: Any):
        self.config = config or OrchestratorConfig(**kwargs)
        cfg = self.config
        root = np.random.SeedSequence(cfg.seed)
        self._seeds = dict(zip(STREAMS, root.spawn(len(STREAMS))))
        env = EnvState(
            feed=Feed(cfg.feed_config), tasks=TaskPool(cfg.task_config), rate_limits=cfg.rate_limits,
            safety=cfg.safety, steps_per_epoch=cfg.steps_per_epoch,
        )  # fmt: skip
        self.engine_state = EngineState(
            config=cfg,
            agents=AgentTable(),
            env=env,
            rngs={name: np.random.default_rng(ss) for name, ss in self._seeds.items()},
            governance=GovernanceEngine(cfg.governance_config),
            payoff_engine=SoftPayoffEngine(cfg.payoff_config),
            proxy=ProxyComputer.from_config(cfg.proxy_config),
            observables=ObservableGenerator(cfg.observable_config),
        )
        eng = self.engine_state
        eng.market = MarketModel(
            payoff=cfg.payoff_config, rate_initiator=cfg.reputation_rate_initiator,
            rate_counterparty=cfg.reputation_rate_counterparty,
            signals=SignalTable(eng.observables, eng.proxy),
            max_interactions_per_epoch=cfg.rate_limits.max_interactions_per_epoch,
        )  # fmt: skip
        self.metrics = SoftMetrics(self.payoff_engine)
        self.epoch_metrics: list[EpochMetrics] = []
        self.llm_recorder: Any = None
        self._llm_paths_seen: dict[str, int] = {}  # decision-path totals at the last epoch's end
        self._group_by_key: dict[tuple[Any, ...], Group] = {}
        self._objects: dict[int, BaseAgent] = {}  # every registered object, by row
        self._started = False
        #: how the population was built, in row order: enough for `replay --verify` to rebuild it
        self.population_record: list[dict[str, Any]] = []
        self._epoch_callbacks: list[Callable[[EpochMetrics], None]] = []
        self._step_callbacks: list[Callable[[int, int, int], None]] = []
        self.interaction_sink: Callable[[InteractionBatch], None] | None = None
        if cfg.enable_composite_tasks or cfg.composite_task_config is not None:
            eng.composite = CompositeTaskPool(cfg.composite_task_config)
        eng.components = build_components(cfg)  # seed 002/003 parts the config switches on
        #: capabilities given through `register_agent_capabilities` (agent id, names): in the log's header
        self.capability_record: list[dict[str, Any]] = []

    # ---- the parts of the engine state, by their public names ------------------------------------------
    @property
    def agents(self) -> AgentTable:
        return self.engine_state.agents

    @property
    def state(self) -> EnvState:
        """The shared world: feed, tasks, limits, time, kill flag."""
        return self.engine_state.env

    @property
    def rngs(self) -> dict[str, np.random.Generator]:
        return self.engine_state.rngs

    @property
    def groups(self) -> list[Group]:
        return self.engine_state.groups

    @property
    def governance(self) -> GovernanceEngine:
        return self.engine_state.governance

    @property
    def payoff_engine(self) -> SoftPayoffEngine:
        return self.engine_state.payoff_engine

    @property
    def proxy(self) -> ProxyComputer:
        return self.engine_state.proxy

    @property
    def observables(self) -> ObservableGenerator:
        return self.engine_state.observables

    @property
    def event_log(self) -> Any:
        return self.engine_state.event_log

    @event_log.setter
    def event_log(self, log: EventSink | None) -> None:
        self.engine_state.event_log = log

    @property
    def has_async_agents(self) -> bool:
        """True if an object agent decides asynchronously (an LLM agent): `run` then needs an event loop."""
        return self.engine_state.has_async_agents

    # ---- population ----------------------------------------------------------------------------------------
    def _new_group(self, kind: Literal["scripted", "object"], **kw: Any) -> Group:
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
        self._check_room(1)
        cfg = self.config
        if as_group is not False and ScriptedAgent.runs_as_group(agent):
            key = ("scripted", *agent.group_key())  # type: ignore[attr-defined]
            group = self._group_by_key.get(key)
            if group is None:
                group = self._new_group("scripted", policy=agent.policy, key=key)  # type: ignore[attr-defined]
                self._group_by_key[key] = group
        else:
            group = self._new_group("object", agent=agent)
            if hasattr(agent, "bind_rng"):
                agent.bind_rng(group.rng)
        rows = self.agents.add(agent.agent_type, group.gid, name=agent.agent_id,
                               resources=cfg.initial_resources,
                               reputation=cfg.initial_reputation)  # fmt: skip
        group.rows.append(rows)
        self._objects[int(rows[0])] = agent
        init = (
            agent.replay_init() if hasattr(agent, "replay_init") else {"roles": agent.roles, **agent.config}
        )
        self.population_record.append({
            "kind": "object", "class": f"{type(agent).__module__}:{type(agent).__qualname__}",
            "agent_id": agent.agent_id, "init": init})  # fmt: skip
        if group.kind == "object":
            self.engine_state.driven[int(rows[0])] = agent
            if self.llm_recorder is not None and hasattr(agent, "set_recorder"):
                agent.set_recorder(self.llm_recorder)
        return agent

    def add_population(
        self, agent_type: str | AgentType, count: int, prefix: str | None = None,
        params: dict[str, Any] | None = None, roles: list[str] | None = None,
        capabilities: list[str] | None = None,
    ) -> np.ndarray:  # fmt: skip
        """Add `count` scripted agents of a type as columns only (no Python object per agent).

        Names are `prefix_1 .. prefix_count` (prefix defaults to the type name). `capabilities`: their
        composite-task capabilities (env.composite_tasks; needs composite tasks on)."""
        if self._started:
            raise RuntimeError("agents must be added before the run starts")
        self._check_room(count)
        policy = policy_for(agent_type, params, roles)
        key = ("population", prefix or policy.agent_type.value, len(self.groups))
        group = self._new_group("scripted", policy=policy, key=key)
        rows = self.agents.add(policy.agent_type, group.gid, prefix=prefix or policy.agent_type.value,
                               count=count, resources=self.config.initial_resources,
                               reputation=self.config.initial_reputation)  # fmt: skip
        group.rows.append(rows)
        self.population_record.append({
            "kind": "population", "type": policy.agent_type.value, "count": int(count),
            "prefix": prefix or policy.agent_type.value, "params": dict(params or {}),
            "roles": list(roles or [])})  # fmt: skip
        if capabilities:
            self.register_capabilities(rows, capabilities)
            self.population_record[-1]["capabilities"] = sorted(CapabilityType(c).value for c in capabilities)
        return rows

    def _check_room(self, count: int) -> None:
        """ValueError (one line) if `count` more agents would take the run over a cap (core.limits),
        checked before anything is allocated."""
        cfg = self.config
        found = cfg.limits.run_problem(len(self.agents) + int(count), cfg.n_epochs, cfg.steps_per_epoch)
        if found is not None:
            raise ValueError(found[1])

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
        } | ({"capabilities": self.capability_record} if self.capability_record else {})  # fmt: skip

    def _open_log(self) -> None:
        cfg = self.config
        if self.event_log is None and cfg.log_path is not None and cfg.log_events:
            from distsafe.eventlog import open_event_log

            cfg.log_path.parent.mkdir(parents=True, exist_ok=True)
            self.event_log = open_event_log(cfg.log_path, "w", fmt=cfg.log_format, header=self.header())

    def emit(
        self, event_type: EventType, agent: int | None = None, payload: dict[str, Any] | None = None
    ) -> None:
        self.engine_state.emit(event_type, agent, payload)

    @property
    def logs_feed_events(self) -> bool:
        """Per-post and per-vote events in JSONL logs; columnar (Parquet) runs log a per-step summary."""
        return self.engine_state.logs_feed_events

    def gov_context(self) -> GovernanceContext:
        return self.engine_state.gov_context()

    def flush_governance_events(self, ctx: GovernanceContext) -> None:
        self.engine_state.flush_governance_events(ctx)

    # ---- the run -------------------------------------------------------------------------------------------
    def run(self, n_epochs: int | None = None) -> list[EpochMetrics]:
        """Run every epoch; returns the per-epoch metrics. `n_epochs` (the plan's `run(n_epochs)`) sets
        the number of epochs in place of `config.n_epochs` (validated and recorded in the log's header).

        The loop is written once, as the coroutine `run_async`. Without async agents it never suspends,
        so it is driven here by hand (one `send`): no event loop is needed, so `run()` also works inside
        a running loop (Jupyter, pytest-asyncio), and a step costs no more than a plain call. With async
        (LLM) agents it needs a loop: `asyncio.run` when none is running; inside one, await `run_async()`.
        """
        if n_epochs is not None:
            self._set_epochs(n_epochs)
        if self.has_async_agents:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return asyncio.run(self.run_async())
            raise RuntimeError(
                "this run has async (LLM) agents and an event loop is already running: "
                "use `await orchestrator.run_async()`"
            )
        coro = self.run_async()
        try:
            coro.send(None)
        except StopIteration as done:
            result: list[EpochMetrics] = done.value
            return result
        coro.close()
        raise RuntimeError(
            "the run suspended although no agent is async; use `await orchestrator.run_async()`"
        )

    def _set_epochs(self, n_epochs: int) -> None:
        if self._started:
            raise RuntimeError("an Orchestrator runs once; build a new one to run again")
        cfg = self.config
        fields = {name: getattr(cfg, name) for name in type(cfg).model_fields}
        new = type(cfg).model_validate({**fields, "n_epochs": n_epochs})
        found = new.limits.run_problem(len(self.agents), new.n_epochs, new.steps_per_epoch)
        if found is not None:
            raise ValueError(found[1])
        self.config = self.engine_state.config = new

    async def run_async(self, n_epochs: int | None = None) -> list[EpochMetrics]:
        """Run every epoch inside an event loop: the async (LLM) agents of a step are called concurrently,
        at most `max_concurrent_llm` at a time. `n_epochs` as in `run`."""
        if n_epochs is not None:
            self._set_epochs(n_epochs)
        sem = asyncio.Semaphore(self.config.max_concurrent_llm)
        eng = self.engine_state
        self._start()
        try:
            for epoch in range(self.config.n_epochs):
                if eng.env.killed:
                    break
                self._begin_epoch(epoch)
                for step in range(self.config.steps_per_epoch):
                    eng.env.step = step
                    begin_step(eng)
                    decisions = await decide_objects(eng, sem)
                    self._after_step(run_step(eng, decisions))
                    if eng.env.killed:
                        break
                self._end_epoch(epoch)
        except BaseException as exc:
            self._finish_early(exc)
            raise
        self._finish()
        return self.epoch_metrics

    def _start(self) -> None:
        if self._started:
            raise RuntimeError("an Orchestrator runs once; build a new one to run again")
        if len(self.agents) == 0:
            raise ValueError("no agents registered")
        self._started = True
        self._open_log()
        a = self.agents
        self._start_social()
        for comp in self.engine_state.components:
            comp.start(self.engine_state)
        self.emit(EventType.SIMULATION_STARTED, payload={
            "agents": {t.value: int(np.count_nonzero(a.type_code == t.code)) for t in AgentType
                       if np.any(a.type_code == t.code)},
            "levers": enabled_levers(self.config.governance_config) if self.config.governance_config else [],
        })  # fmt: skip

    def _finish(self) -> None:
        payload: dict[str, Any] = {
            "epochs_run": len(self.epoch_metrics),
            "governance": self.governance.stats(),
        }
        if self.state.killed:
            payload["killed"] = self.state.kill_reason
        usage = self.get_llm_usage_stats()
        if usage:
            payload["llm_usage"] = usage
        if self.engine_state.components:
            payload["components"] = self.component_summaries()
        self.emit(EventType.SIMULATION_ENDED, payload=payload)
        if self.event_log is not None:
            self.event_log.close()

    def _finish_early(self, exc: BaseException) -> None:
        """End the log of a run that stopped early: `simulation_interrupted` for Ctrl-C or a cancelled task,
        `simulation_failed` for an exception, with the reason (never `simulation_ended`, so the log does not
        read as complete). The exception itself propagates; a log whose own write failed part way (torn)
        keeps what it has, with no marker."""
        interrupted = isinstance(exc, (KeyboardInterrupt, asyncio.CancelledError, GeneratorExit))
        kind = EventType.SIMULATION_INTERRUPTED if interrupted else EventType.SIMULATION_FAILED
        text = " ".join(str(exc).split())
        reason = (f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:300]
        log = self.event_log
        try:
            if log is not None and not log.closed and not getattr(log, "torn", False):
                self.emit(kind, payload={"reason": reason, "epochs_completed": len(self.epoch_metrics)})
        except Exception:  # noqa: BLE001 - the original exception is what the caller must see
            pass
        try:
            if log is not None:
                log.close()
        except Exception:  # noqa: BLE001 - same: a full disk may fail the close too
            pass

    def _begin_epoch(self, epoch: int) -> None:
        eng = self.engine_state
        eng.env.epoch, eng.env.step = epoch, 0
        eng.agents.reset_epoch_counters()
        if "vote_weight" in eng.extra_columns:
            eng.extra_columns["vote_weight"][:] = 0.0
        eng.epoch_buffer.clear()
        eng.counts = EpochCounts()
        ctx = eng.gov_context()
        eng.governance.on_epoch_start(ctx)
        for i in np.flatnonzero(eng.agents.frozen_until == epoch).tolist():
            eng.emit(EventType.AGENT_UNFROZEN, i)
        eng.flush_governance_events(ctx)
        eng.emit(EventType.EPOCH_STARTED)
        epoch_tasks(eng, epoch)
        begin_epoch_social(eng)
        for comp in eng.components:
            comp.begin_epoch(eng)

    def _after_step(self, batch: InteractionBatch) -> None:
        eng = self.engine_state
        if len(batch):
            buf = eng.epoch_buffer
            if buf.n == 0 and buf.capacity < len(batch):  # first step of the run: room for an epoch of it
                buf.reserve(len(batch) * self.config.steps_per_epoch)
            buf.append(batch)
        for cb in self._step_callbacks:
            cb(eng.env.epoch, eng.env.step, len(batch))

    def _end_epoch(self, epoch: int) -> None:
        eng = self.engine_state
        batch = eng.epoch_buffer.batch()
        revenue = eng.governance.settle_epoch(eng.gov_context())  # taxes and penalties go where configured
        sections = end_epoch_social(eng)
        for comp in eng.components:
            sections.update(comp.end_epoch(eng, batch))
        m = measure_epoch(
            epoch, batch, eng.agents, eng.counts, self.metrics, self.config.metrics_to_track,
            vote_weight=eng.extra_columns.get("vote_weight"), revenue=revenue,
            lever_metrics=eng.governance.epoch_metrics(), sections=sections,
        )  # fmt: skip
        self._add_llm_epoch_metrics(m)
        self.epoch_metrics.append(m)
        end_epoch_dynamics(eng, batch)  # learning, market quality, population update (core.dynamics)
        if self.interaction_sink is not None and len(batch):
            self.interaction_sink(batch)
            eng.epoch_buffer.release()  # the sink may keep the batch: the next epoch gets new buffers
        self.emit(EventType.EPOCH_COMPLETED, payload={"metrics": m.to_json_dict()})
        st = eng.env
        tox = m.values["toxicity_rate"]
        if (
            st.safety.kill_switch_enabled
            and tox == tox
            and tox > st.safety.kill_switch_toxicity
            and m.values["n_accepted"] >= st.safety.kill_switch_min_accepted
            and not st.killed
        ):
            self.kill(f"kill switch: toxicity {tox:.3f} > {st.safety.kill_switch_toxicity}")
        if st.killed:
            self.emit(EventType.KILL_SWITCH, payload={"reason": st.kill_reason})
        for cb in self._epoch_callbacks:
            cb(m)

    def _add_llm_epoch_metrics(self, m: EpochMetrics) -> None:
        """With LLM agents: the epoch's decisions and valid-action rates (`distsafe.llm.decisions`)."""
        usage = self.get_llm_usage_stats()
        if not usage:
            return
        from distsafe.llm.decisions import epoch_metrics, total_paths

        now = total_paths(usage)
        m.values.update(epoch_metrics(self._llm_paths_seen, now))
        self._llm_paths_seen = now

    def lever_warnings(self) -> list[str]:
        """Levers (and the kill switch) configured so that they cannot bind in this run, one line each,
        computed from the configuration and the population (`distsafe.governance.binding`)."""
        from distsafe.governance.binding import BindingContext, kill_switch_warning
        from distsafe.governance.registry import lever_warnings

        cfg = self.config
        p_min, p_max = self.proxy.p_bounds()
        res = self.agents.resources
        ctx = BindingContext(
            n_epochs=cfg.n_epochs, steps_per_epoch=cfg.steps_per_epoch,
            initial_resources=float(res.min()) if len(self.agents) else cfg.initial_resources,
            p_min=p_min, p_max=p_max, max_votes_per_epoch=cfg.rate_limits.max_votes_per_epoch,
        )  # fmt: skip
        out = lever_warnings(cfg.governance_config, ctx) if cfg.governance_config is not None else []
        kill = kill_switch_warning(cfg.safety.kill_switch_enabled, cfg.safety.kill_switch_toxicity, ctx)
        return out + ([kill] if kill else [])

    # ---- security (seed 001): the lever's report and containment, by agent id -----------------------------
    @property
    def governance_engine(self) -> GovernanceEngine:
        """The seed's name for `governance`."""
        return self.governance

    def get_security_report(self) -> SecurityReport:
        return self.governance.security_report(self.agents, self.engine_state.env.epoch)

    def get_quarantined_agents(self) -> list[str]:
        return self.governance.quarantined_agents(self.agents)

    # ---- social structure (core.social): network, collusion rings, composite tasks -------------------------
    def _start_social(self) -> None:
        pool = self.engine_state.composite
        for item in self.capability_record:
            row = self.agents.ids.index_of(item["agent_id"])
            if row is None:
                warnings.warn(
                    f"capabilities for unknown agent {item['agent_id']!r} ignored",
                    RuntimeWarning,
                    stacklevel=3,
                )
            elif pool is not None:
                pool.register(np.array([row]), [CapabilityType(c) for c in item["capabilities"]])
        start_social(self.engine_state)

    @property
    def network(self) -> AgentNetwork | None:
        """The run's network (env.network), built when the run starts; None without a `network_config`."""
        return self.engine_state.network

    def get_collusion_report(self) -> CollusionReport | None:
        """The collusion detector's report as of the last epoch's end (governance.collusion); None when
        `collusion_detection_enabled` is off."""
        lever = collusion_lever(self.engine_state)
        return lever.report if lever is not None else None

    def _pool(self) -> CompositeTaskPool:
        pool = self.engine_state.composite
        if pool is None:
            raise RuntimeError("composite tasks are off: OrchestratorConfig(enable_composite_tasks=True)")
        return pool

    def register_agent_capabilities(
        self, agent_id: str, capabilities: set[CapabilityType] | list[str]
    ) -> None:
        """Give an agent capabilities for composite tasks (env.composite_tasks), before the run. An agent
        registered later (before the run) gets them too; at the start, ids no agent has are dropped with a
        warning (as in the seed's Quick Start, which names an `agent_2` it never registers)."""
        if self._started:
            raise RuntimeError("capabilities must be registered before the run starts")
        caps = sorted(CapabilityType(c) for c in capabilities)
        self._pool()
        self.capability_record.append({"agent_id": agent_id, "capabilities": [c.value for c in caps]})

    def register_capabilities(self, rows: np.ndarray, capabilities: list[str]) -> None:
        """Give agent `rows` (e.g. a population's, from `add_population`) these capabilities."""
        caps = sorted(CapabilityType(c) for c in capabilities)
        self._pool().register(rows, caps)

    def add_composite_task(self, task: CompositeTask) -> None:
        """Add a composite task to the pool (before or during the run)."""
        self._pool().add(task)
        if self._started:
            announce_task(self.engine_state, task)

    def get_capability_metrics(self) -> CapabilityMetrics:
        """The emergent metrics of the composite tasks finished so far (env.composite_metrics)."""
        return capability_metrics(self._pool())

    @property
    def collusion_rings(self) -> dict[str, np.ndarray]:
        """The planted collusion rings (policy param `collusion_group`): name -> agent rows."""
        return collusion_rings(self.engine_state)

    # ---- results -------------------------------------------------------------------------------------------
    def component_summaries(self) -> dict[str, dict[str, Any]]:
        """Each component's totals so far (core.components), by name."""
        return {c.name: c.summary() for c in self.engine_state.components}

    def get_component(self, name: str) -> Any:
        """The run's component `name` (core.components), e.g. "hfn"; KeyError if the run has none."""
        for c in self.engine_state.components:
            if c.name == name:
                return c
        have = ", ".join(c.name for c in self.engine_state.components) or "none"
        raise KeyError(f"this run has no component {name!r} (it has: {have})")

    def summary(self) -> dict[str, Any]:
        """Totals over the run: what the CLI's final report shows."""
        out = run_summary(self.epoch_metrics, self.agents, self.governance.stats())
        if self.governance.levers:  # who governance named, against who the bad actors are
            out.update(detection_summary(self.agents, self.engine_state.extra_columns.get("detected_ever")))
        if self.engine_state.components:
            out["components"] = self.component_summaries()
        return out
