"""The engine's social-structure parts at the run's start and each epoch's end, as plain functions of
`EngineState`: the planted collusion rings, the network (env.network), the collusion detector's epoch
(governance.collusion) and composite tasks (env.composite_tasks).

    start_social(state)              rings wired into their policies; network built; composite pool seeded
    begin_epoch_social(state)        composite tasks: expire overdue ones, maybe spawn one
    step_social(state)               composite tasks: assign, work, complete, pay (after the step's actions)
    end_epoch_social(state) -> dict  network decay/prune/disconnect; the parts' metrics for the epoch record
"""

from __future__ import annotations

from typing import Any

import numpy as np

from distsafe.core.state import EngineState
from distsafe.env.composite_metrics import section_metrics
from distsafe.env.composite_tasks import CompositeTask, CompositeTaskPool
from distsafe.env.network import AgentNetwork
from distsafe.governance.collusion import CollusionLever
from distsafe.metrics.epoch import SECTION_METRICS
from distsafe.models.events import EventType

#: pruned pairs listed in a `network_updated` event up to this many (beyond: the count only)
MAX_LISTED_PAIRS = 50


def collusion_rings(state: EngineState) -> dict[str, np.ndarray]:
    """Planted collusion rings: `collusion_group` name -> the sorted rows of every scripted agent whose
    policy names it."""
    parts: dict[str, list[np.ndarray]] = {}
    for g in state.groups:
        policy = g.policy if g.policy is not None else getattr(g.agent, "policy", None)
        name = getattr(getattr(policy, "params", None), "collusion_group", None)
        if name:
            parts.setdefault(name, []).append(g.all_rows())
    return {name: np.unique(np.concatenate(rows)).astype(np.int64) for name, rows in sorted(parts.items())}


def collusion_lever(state: EngineState) -> CollusionLever | None:
    lever = state.governance.get_lever(CollusionLever.name)
    return lever if isinstance(lever, CollusionLever) else None


def start_social(state: EngineState) -> None:
    """At the run's start: each ring's rows handed to its policies, then the network built (rings joined
    edge by edge: their members know each other), then the composite-task pool seeded."""
    rings = collusion_rings(state)
    for g in state.groups:
        policy = g.policy if g.policy is not None else getattr(g.agent, "policy", None)
        name = getattr(getattr(policy, "params", None), "collusion_group", None)
        if name:
            policy.ring_rows = rings[name]  # type: ignore[union-attr]
    cfg = state.config
    if cfg.network_config is not None:
        net = AgentNetwork.build(
            cfg.network_config, state.agents.ids, state.rngs["network"], list(rings.values())
        )
        state.network = net
        state.emit(
            EventType.NETWORK_UPDATED,
            payload={"topology": cfg.network_config.topology.value, "n_edges": net.n_edges, "built": True},
        )
    pool = state.composite
    if isinstance(pool, CompositeTaskPool):
        pool.grow(len(state.agents))
        for spec in pool.config.initial_tasks:
            pool.add(spec.build(0))
        for task in pool.tasks:
            announce_task(state, task)


def announce_task(state: EngineState, task: CompositeTask) -> None:
    state.emit(EventType.COMPOSITE_TASK_CREATED, payload={
        "task": task.task_id, "type": task.task_type, "bounty": task.bounty,
        "deadline_epoch": task.deadline_epoch,
        "capabilities": sorted(c.value for c in task.required_capabilities),
    })  # fmt: skip


def begin_epoch_social(state: EngineState) -> None:
    pool = state.composite
    if not isinstance(pool, CompositeTaskPool):
        return
    for what, task in pool.begin_epoch(state.env.epoch, state.rngs["composite"]):
        if what == "created":
            announce_task(state, task)
        else:
            state.emit(EventType.COMPOSITE_TASK_EXPIRED, payload={"task": task.task_id})


def step_social(state: EngineState) -> None:
    """Composite tasks' step (env.composite_tasks): only the agents acting this step work."""
    pool = state.composite
    if not isinstance(pool, CompositeTaskPool) or not pool.open_tasks:
        return
    a = state.agents
    frozen = a.frozen_mask(state.env.epoch)
    events, rows, amounts = pool.step(state.active, frozen, state.env.epoch, state.rngs["composite"], a.ids)
    if rows.size:
        np.add.at(a.resources, rows, amounts)
        np.add.at(a.total_payoff, rows, amounts)
    for what, task, detail in events:
        if what == "subtask":
            pool.epoch_subtasks += 1
            state.emit(EventType.SUBTASK_COMPLETED, task.rows[detail.name], {
                "task": task.task_id, "subtask": detail.name, "capability": detail.required_capability.value,
                "quality": detail.quality,
            })  # fmt: skip
        else:
            pool.epoch_completed += 1
            state.emit(EventType.COMPOSITE_TASK_COMPLETED, payload={
                "task": task.task_id, "bounty": task.bounty, "contributors": task.contributors,
            })  # fmt: skip


def end_epoch_social(state: EngineState) -> dict[str, Any]:
    """At an epoch's end: the network's decay, pruning and disconnection (with a `network_updated` event
    when anything changed); returns the parts' metrics for the epoch record (`SECTION_METRICS`)."""
    out: dict[str, Any] = {}
    net = state.network
    if net is not None:
        change = net.end_epoch(state.agents.reputation)
        removed, cut = change["removed"], change["disconnected"]
        if removed.size or cut.size:
            payload: dict[str, Any] = {
                "n_edges": net.n_edges, "pruned": change["n_pruned"], "removed": int(removed.size),
                "disconnected": [state.agents.ids[int(r)] for r in cut[:MAX_LISTED_PAIRS].tolist()],
            }  # fmt: skip
            if removed.size <= MAX_LISTED_PAIRS:
                ids = state.agents.ids
                payload["removed_pairs"] = [
                    [ids[int(k >> 32)], ids[int(k & 0xFFFFFFFF)]] for k in removed.tolist()
                ]
            state.emit(EventType.NETWORK_UPDATED, payload=payload)
        metrics = net.get_metrics(state.rngs["network"])
        metrics["edges_pruned"] = float(change["n_pruned"])
        metrics["agents_disconnected"] = float(cut.size)
        out.update({k: metrics[k] for k in SECTION_METRICS["network"]})
    lever = collusion_lever(state)
    if lever is not None:
        ctx = state.gov_context()
        lever.end_epoch(ctx, net.degree() if net is not None else None)
        state.flush_governance_events(ctx)
        out.update(lever.section_metrics())
    pool = state.composite
    if isinstance(pool, CompositeTaskPool):
        out.update(section_metrics(pool, pool.epoch_completed, pool.epoch_subtasks))
        pool.epoch_completed = pool.epoch_subtasks = 0
    return out
