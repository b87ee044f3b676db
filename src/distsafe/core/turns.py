"""Who acts this step, what the object agents see, and what they decide.

`begin_step` fixes the acting rows; `decide_objects` asks the object agents (groups of one) for their
actions, awaiting the async (LLM) ones concurrently; `write_object_action` turns one `Action` into a row
of the step's action arrays. Scripted groups decide later, in one call each (`core.step`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np

from distsafe.agents.base import (
    Action,
    ActionType,
    BaseAgent,
    Observation,
    PeerInfo,
    VisiblePost,
    VisibleTask,
)
from distsafe.agents.policies import ActionArrays
from distsafe.core.state import EngineState
from distsafe.models.events import BlockReason, EventType
from distsafe.models.ids import parse_post_id, parse_task_id, task_id
from distsafe.models.interaction import InteractionType

_REPLY = InteractionType.REPLY.code


def schedule(state: EngineState) -> np.ndarray:
    """Every row, in this step's turn order."""
    n = len(state.agents)
    mode = state.config.scheduling
    if mode == "random":
        return state.rngs["schedule"].permutation(n)
    if mode == "priority":
        return np.argsort(-state.agents.reputation, kind="stable")
    return np.roll(np.arange(n), -(state.env.time % n))


def block(state: EngineState, rows: np.ndarray, reason: BlockReason) -> None:
    """Count blocked actions; one `action_blocked` event per step and reason (count, up to 20 agent ids)."""
    state.counts.n_blocked += int(rows.size)
    ids = state.agents.ids
    state.emit(
        EventType.ACTION_BLOCKED,
        payload={
            "reason": reason.value,
            "count": int(rows.size),
            "agents": [ids[i] for i in rows[:20].tolist()],
        },
    )


def begin_step(state: EngineState) -> None:
    """Fix the acting rows: the schedule without frozen agents and those governance stops."""
    order = schedule(state)
    order = order[~state.agents.frozen_mask(state.env.epoch)[order]]
    for comp in state.components:  # a component may keep agents out (core.parts.perturbations: dropout)
        order = comp.may_act(state, order)
    ok = state.governance.can_act(state.gov_context(), order)
    cap = state.config.max_actions_per_step
    if cap is not None and int(np.count_nonzero(ok)) > cap:  # the schedule stops at the cap-th that may act
        seen = (np.cumsum(ok) - ok) < cap
        order, ok = order[seen], ok[seen]
    if not ok.all():
        block(state, order[~ok], BlockReason.GOVERNANCE)
    state.active = order[ok]
    state.shared_view = None


def object_rows(state: EngineState) -> list[int]:
    """The acting rows that are object agents, in turn order."""
    if not state.driven:
        return []
    is_obj = np.zeros(len(state.groups), dtype=bool)
    for g in state.groups:
        is_obj[g.gid] = g.kind == "object"
    act = state.active
    rows: list[int] = act[is_obj[state.agents.group[act]]].tolist()
    return rows


def shared_view(state: EngineState) -> tuple[tuple[VisiblePost, ...], tuple[VisibleTask, ...]]:
    """The visible posts and open tasks, built once per step for every observation."""
    if state.shared_view is None:
        env, a = state.env, state.agents
        feed, now = env.feed, env.time
        top = feed.top_rows(now)
        posts = tuple(
            VisiblePost(
                post_id=p.post_id, author_id=p.author_id, content=p.content, votes=int(round(p.votes)),
                replies=p.replies, age=now - p.timestamp, score=p.score, parent_id=p.parent_id,
                quality_signal=float(q), author_reputation=float(r),
            )
            for p, q, r in zip(
                feed.get_visible(now=now, agent_ids=a.ids),
                feed.quality[top].tolist(),
                a.reputation[feed.author[top]].tolist(),
            )
        )  # fmt: skip
        tasks = env.tasks
        tasks_seen = tuple(
            VisibleTask(
                task_id=task_id(int(tasks.task_id[r])), bounty=float(tasks.bounty[r]),
                deadline_epoch=int(tasks.deadline[r]), difficulty=float(tasks.difficulty[r]),
            )
            for r in tasks.open_rows().tolist()
        )  # fmt: skip
        state.shared_view = (posts, tasks_seen)
    return state.shared_view


def observation_for(state: EngineState, row: int) -> Observation:
    a, env = state.agents, state.env
    posts, tasks = shared_view(state)
    n = len(a)
    k = min(state.config.observation_peers, n - 1)
    peers: tuple[PeerInfo, ...] = ()
    if state.network is not None:  # a network: the agent sees its neighbours only
        indptr, indices = state.network.neighbours()
        nb = indices[indptr[row] : indptr[row + 1]]
        k = min(k, nb.shape[0])
        if k > 0:
            draw = nb[state.rngs["observation"].choice(nb.shape[0], size=k, replace=False)]
            peers = tuple(
                PeerInfo(agent_id=a.ids[j], reputation=float(a.reputation[j])) for j in draw.tolist()
            )
    elif k > 0:
        draw = state.rngs["observation"].choice(n - 1, size=k, replace=False)
        draw = draw + (draw >= row)
        peers = tuple(PeerInfo(agent_id=a.ids[j], reputation=float(a.reputation[j])) for j in draw.tolist())
    lim = env.rate_limits
    return Observation(
        agent_id=a.ids[row], epoch=env.epoch, step=env.step, state=a.state_of(row, env.epoch),
        visible_posts=posts, available_tasks=tasks, peers=peers,
        posts_left=max(0, lim.max_posts_per_epoch - int(a.epoch_posts[row])),
        votes_left=max(0, lim.max_votes_per_epoch - int(a.epoch_votes[row])),
        interactions_left=max(0, lim.max_interactions_per_epoch - int(a.epoch_interactions[row])),
    )  # fmt: skip


async def _await_all(
    pending: Sequence[tuple[int, BaseAgent, Observation]], sem: asyncio.Semaphore
) -> list[Action]:
    async def one(agent: BaseAgent, obs: Observation) -> Action:
        async with sem:
            return await agent.act_async(obs)

    return list(await asyncio.gather(*(one(ag, ob) for _, ag, ob in pending)))


async def decide_objects(state: EngineState, sem: asyncio.Semaphore) -> dict[int, Action]:
    """The object agents' actions, by row. Sync agents are called in turn order; async ones are then
    awaited together (at most `sem` at once). Without async agents this never suspends."""
    out: dict[int, Action] = {}
    pending: list[tuple[int, BaseAgent, Observation]] = []
    for r in object_rows(state):
        agent = state.driven[r]
        obs = observation_for(state, r)
        if agent.is_async:
            pending.append((r, agent, obs))
        else:
            out[r] = agent.act(obs)
    if pending:
        out.update({r: act for (r, _, _), act in zip(pending, await _await_all(pending, sem))})
    return out


def write_object_action(
    state: EngineState, action: Action, arr: ActionArrays, j: int, contents: dict[int, str]
) -> bool:
    """Write one object agent's Action into row j of the step arrays; False if its target is invalid."""
    kind = ActionType(action.action_type)
    arr.action[j] = kind.code
    arr.effort[j], arr.boost[j], arr.tau[j] = action.effort, action.signal_boost, action.tau
    arr.itype[j] = InteractionType(action.interaction_type).code
    arr.vote[j] = action.vote
    if action.content:
        contents[j] = action.content
    if kind == ActionType.PROPOSE_INTERACTION:
        t = state.agents.ids.index_of(action.target_id)
        if t is None or t == int(state.active[j]):
            return False
        arr.target[j] = t
    elif kind in (ActionType.REPLY, ActionType.VOTE):
        arr.target[j] = parse_post_id(action.target_id)
        arr.itype[j] = _REPLY
        return bool(arr.target[j] >= 0)
    elif kind == ActionType.CLAIM_TASK:
        arr.target[j] = parse_task_id(action.target_id)
        return bool(arr.target[j] >= 0)
    return True
