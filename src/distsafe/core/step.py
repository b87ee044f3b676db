"""One step of the engine, vectorized, as plain functions of `EngineState`.

    begin_step(state)                                   who acts (core.turns)
    decisions = await decide_objects(state, sem)        object agents decide (core.turns)
    batch = run_step(state, decisions)                  groups decide; rails, feed, claims (core.actions);
                                                        interactions resolved and paid (core.resolve)

Every array here is aligned either with the step's acting agents (in schedule order) or with the step's
interactions. The cost of a step is O(agents + interactions); nothing is O(N^2) or grows with history.
"""

from __future__ import annotations

import numpy as np

from distsafe.agents.base import Action
from distsafe.agents.policies import NOOP, PROPOSE, ActionArrays, GroupView, ScriptedPolicy
from distsafe.core.actions import apply_rails, claim_tasks, feed_actions
from distsafe.core.dynamics import learn_from_step
from distsafe.core.observation_noise import observed_reputation
from distsafe.core.resample import after_rails, monitor, resample_group
from distsafe.core.resolve import resolve_interactions
from distsafe.core.social import step_social
from distsafe.core.state import EngineState
from distsafe.core.turns import begin_step, decide_objects, write_object_action
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType
from distsafe.models.ids import task_id

__all__ = ["begin_step", "decide_objects", "epoch_tasks", "run_step"]

_ACTION_FIELDS = ("action", "target", "vote", "itype", "tau", "effort", "boost")


def epoch_tasks(state: EngineState, epoch: int) -> None:
    """Epoch start: expire overdue tasks, post this epoch's new ones."""
    tasks = state.env.tasks
    log = state.logs_feed_events
    for tid in tasks.expire(epoch).tolist():
        if log:
            state.emit(EventType.TASK_EXPIRED, payload={"task": task_id(tid)})
    n_agents = len(state.agents)
    n_new = int(round(tasks.config.tasks_per_agent_per_epoch * n_agents))
    if n_new <= 0:
        return
    rng = state.rngs["tasks"]
    posters = rng.integers(0, n_agents, n_new).astype(np.int32)
    ids = tasks.spawn(posters, epoch, rng)
    if log:
        for tid, r in zip(ids.tolist(), tasks.rows_of(ids).tolist()):
            payload = {
                "task": task_id(tid),
                "bounty": float(tasks.bounty[r]),
                "deadline_epoch": int(tasks.deadline[r]),
            }
            state.emit(EventType.TASK_CREATED, int(tasks.poster[r]), payload)


def group_actions(state: EngineState) -> ActionArrays:
    """The scripted groups' actions (one call per group) in the rows of the acting agents; the other
    rows are noops."""
    a, env, active = state.agents, state.env, state.active
    now = env.time
    # The levers in force, once per step, for every group's decisions (and its acceptances this step).
    state.incentives = state.governance.incentive_view(
        epoch=env.epoch, step=env.step, steps_per_epoch=state.config.steps_per_epoch,
        n_epochs=state.config.n_epochs,
    )  # fmt: skip
    for g in state.groups:  # scripted objects driven one by one decide by the same rules
        policy = g.policy if g.policy is not None else getattr(g.agent, "policy", None)
        if isinstance(policy, ScriptedPolicy):
            policy.bind(state.incentives, state.market)
    arr = ActionArrays.noop(active.shape[0])
    feed = env.feed
    top = feed.top_rows(now)
    top_posts, top_authors, top_quality = feed.post_id[top], feed.author[top], feed.quality[top]
    open_rows = env.tasks.open_rows()
    group_of = a.group[active]
    neighbours = state.network.neighbours() if state.network is not None else None
    for g in state.groups:
        if g.policy is None:
            continue
        pos = np.flatnonzero(group_of == g.gid)
        if pos.size == 0:
            continue
        view = GroupView(
            members=active[pos], agents=a, epoch=env.epoch, step=env.step, time=now, group_rows=g.all_rows(),
            top_posts=top_posts, top_authors=top_authors, top_quality=top_quality,
            open_tasks=env.tasks.task_id[open_rows], open_bounties=env.tasks.bounty[open_rows], rng=g.rng,
            neighbours=neighbours,
        )  # fmt: skip
        res = g.policy.act_batch(view)
        res = resample_group(state, g.policy, view, res)  # the resample protocol, if on
        rows: np.ndarray | slice = pos
        if int(pos[-1]) - int(pos[0]) + 1 == pos.size:  # a contiguous run (round-robin turns): copy
            rows = slice(int(pos[0]), int(pos[-1]) + 1)
        for name in _ACTION_FIELDS:
            getattr(arr, name)[rows] = getattr(res, name)
        if res.misuse is not None:  # a group whose work misuses tools (agents.attackers)
            if arr.misuse is None:
                arr.misuse = np.zeros(active.shape[0])
            arr.misuse[rows] = res.misuse
    return arr


def run_step(state: EngineState, decisions: dict[int, Action]) -> InteractionBatch:
    """Everything after the decisions of the object agents (`decisions`, by row): the scripted groups
    decide, the rails block, feed actions and task claims apply, the interactions resolve."""
    active = state.active
    monitor(state)  # the resample protocol's monitor (if on) sees true reputations
    with observed_reputation(state):  # the agents decide on what they see (observation noise, if any)
        arr = group_actions(state)
    contents: dict[int, str] = {}
    invalid = np.zeros(active.shape[0], dtype=bool)
    if decisions:
        pos_of = {int(r): j for j, r in enumerate(active.tolist())}
        for r, action in decisions.items():
            j = pos_of[r]
            invalid[j] = not write_object_action(state, action, arr, j, contents)
    apply_rails(state, arr, contents, invalid)
    after_rails(state, arr)
    state.agents.epoch_actions[active[arr.action != NOOP]] += 1
    feed_actions(state, arr, contents)
    claim_tasks(state, arr)
    step_social(state)  # composite tasks (core.social)
    work = [(c, w) for c in state.components if (w := c.step(state)) is not None]
    batch = resolve_interactions(state, arr, work)
    # The batch's first rows are this step's proposals, one per PROPOSE left after the rails.
    learn_from_step(state, batch, int(np.count_nonzero(arr.action == PROPOSE)))
    return batch
