"""The step's actions applied to the world: rate limits and safety rails, then posts, replies, votes and
task claims. Arrays are aligned with the acting rows (`state.active`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from distsafe.agents.policies import CLAIM, NOOP, POST, PROPOSE, REPLY, VOTE, ActionArrays
from distsafe.core.state import EngineState
from distsafe.core.turns import block
from distsafe.models.events import BlockReason, EventType
from distsafe.models.ids import post_id, task_id

_NOT_BLOCKED = 0


def apply_rails(state: EngineState, arr: ActionArrays, contents: dict[int, str], invalid: np.ndarray) -> None:
    """Turn into noops (and report) the actions over a limit or with an invalid target. The first rule
    that applies names the reason; the events come out in `BlockReason` code order."""
    a, active = state.agents, state.active
    lim, safety = state.env.rate_limits, state.env.safety
    act = arr.action
    reason = np.zeros(act.shape[0], dtype=np.int8)
    reason[invalid & (act != NOOP)] = BlockReason.INVALID_TARGET.code
    free = reason == _NOT_BLOCKED
    is_post = (act == POST) | (act == REPLY)
    reason[free & is_post & (a.epoch_posts[active] >= lim.max_posts_per_epoch)] = (
        BlockReason.RATE_LIMIT_POSTS.code
    )
    free = reason == _NOT_BLOCKED
    votes_over = (act == VOTE) & (a.epoch_votes[active] >= lim.max_votes_per_epoch)
    reason[free & votes_over] = BlockReason.RATE_LIMIT_VOTES.code
    if lim.max_tasks_per_epoch is not None:
        free = reason == _NOT_BLOCKED
        claims_over = (act == CLAIM) & (a.epoch_claims[active] >= lim.max_tasks_per_epoch)
        reason[free & claims_over] = BlockReason.RATE_LIMIT_TASKS.code
    is_prop = act == PROPOSE
    free = reason == _NOT_BLOCKED
    props_over = is_prop & (a.epoch_interactions[active] >= lim.max_interactions_per_epoch)
    reason[free & props_over] = BlockReason.RATE_LIMIT_INTERACTIONS.code
    pay = np.maximum(arr.tau, 0.0)
    free = reason == _NOT_BLOCKED
    reason[free & is_prop & (a.epoch_spend[active] + pay > safety.budget_per_epoch)] = BlockReason.BUDGET.code
    for j, text in contents.items():
        if reason[j] == _NOT_BLOCKED and len(text) > safety.max_content_length:
            reason[j] = BlockReason.CONTENT_LENGTH.code
    _plan_rails(state, arr, reason)
    blocked = reason != _NOT_BLOCKED
    if blocked.any():
        for code in np.unique(reason[blocked]).tolist():
            block(state, active[reason == code], BlockReason.from_code(code))
        act[blocked] = NOOP


#: action code -> bit in an allowlist mask
_TOOL_BITS = {POST: 1, REPLY: 2, VOTE: 4, PROPOSE: 8, CLAIM: 16}
_TOOL_CODES = {"post": POST, "reply": REPLY, "vote": VOTE, "propose": PROPOSE, "claim": CLAIM}


def allowed_tools(state: EngineState) -> np.ndarray:
    """Per agent row, the bit mask of the actions the safety config's `tool_allowlist` allows (built once
    per run from the groups' roles; cached on the state)."""
    n = len(state.agents)
    cached = state.extra_columns.get("allowed_tools")
    if cached is not None and cached.shape[0] == n:
        return cached
    allow = state.env.safety.tool_allowlist or {}

    def bits(tools: list[str]) -> int:
        return sum(_TOOL_BITS[_TOOL_CODES[t]] for t in tools)

    everything = sum(_TOOL_BITS.values())
    default = bits(allow["*"]) if "*" in allow else everything
    mask = np.full(n, default, dtype=np.int8)
    for g in state.groups:
        roles = g.policy.roles if g.policy is not None else (g.agent.roles if g.agent is not None else [])
        listed = [r for r in roles if r in allow]
        if listed:
            m = 0
            for r in listed:
                m |= bits(allow[r])
            mask[g.all_rows()] = m
    state.extra_columns["allowed_tools"] = mask
    return mask


def _plan_rails(state: EngineState, arr: ActionArrays, reason: np.ndarray) -> None:
    """The plan's rails beyond the rate limits (each off unless set): tool allowlists, the time between
    posts, interactions per step, the token bucket (which only charges actions that pass the others)."""
    safety, active, act = state.env.safety, state.active, arr.action
    if safety.tool_allowlist:
        mask = allowed_tools(state)[active]
        bit = np.zeros(act.shape[0], dtype=np.int8)
        for code, b in _TOOL_BITS.items():
            bit[act == code] = b
        denied = (bit != 0) & ((mask & bit) == 0)
        reason[(reason == _NOT_BLOCKED) & denied] = BlockReason.TOOL_NOT_ALLOWED.code
    if safety.min_time_between_posts > 0:
        is_post = (act == POST) | (act == REPLY)
        last = state.agent_array("last_post_time", np.int64, -(2**62))
        soon = state.env.time - last[active] < safety.min_time_between_posts
        reason[(reason == _NOT_BLOCKED) & is_post & soon] = BlockReason.POST_COOLDOWN.code
    if safety.max_interactions_per_step is not None:
        cap = safety.max_interactions_per_step
        taken: dict[int, int] = {}
        for j in np.flatnonzero((act == PROPOSE) & (reason == _NOT_BLOCKED)).tolist():
            me, other = int(active[j]), int(arr.target[j])
            if taken.get(me, 0) >= cap or taken.get(other, 0) >= cap:
                reason[j] = BlockReason.RATE_LIMIT_STEP.code
                continue
            taken[me] = taken.get(me, 0) + 1
            taken[other] = taken.get(other, 0) + 1
    if safety.token_bucket_capacity is not None:
        used = state.agent_array("bucket_used", np.float64, 0.0)  # tokens spent and not yet refilled
        np.maximum(used - safety.token_bucket_refill, 0.0, out=used)
        acting = (act != NOOP) & (reason == _NOT_BLOCKED)
        empty = used[active] + 1.0 > safety.token_bucket_capacity
        reason[acting & empty] = BlockReason.TOKEN_BUCKET.code
        used[active[acting & ~empty]] += 1.0


def feed_actions(state: EngineState, arr: ActionArrays, contents: dict[int, str]) -> None:
    """Posts, replies (to live posts) and votes (not on one's own posts); then old posts retire."""
    a, env, active = state.agents, state.env, state.active
    feed, now = env.feed, env.time
    act = arr.action
    log = state.logs_feed_events
    reply_pos = np.flatnonzero(act == REPLY)
    if reply_pos.size:
        live = feed.rows_of(arr.target[reply_pos]) >= 0
        act[reply_pos[~live]] = NOOP
        reply_pos = reply_pos[live]
    post_pos = np.flatnonzero(act == POST)
    pos = np.concatenate([post_pos, reply_pos])
    if pos.size:
        authors = active[pos].astype(np.int32)
        parents = np.concatenate([np.full(post_pos.size, -1, dtype=np.int64), arr.target[reply_pos]])
        texts = {k: contents[j] for k, j in enumerate(pos.tolist()) if j in contents} if contents else None
        ids = feed.add_posts(authors, now, arr.effort[pos].astype(np.float32), parents, texts)
        a.posts[authors] += 1
        a.epoch_posts[authors] += 1
        if "last_post_time" in state.extra_columns:
            state.extra_columns["last_post_time"][authors] = now
        state.counts.n_posts += int(pos.size)
        if log:
            for k, j in enumerate(pos.tolist()):
                payload: dict[str, Any] = {"post": post_id(int(ids[k]))}
                if parents[k] >= 0:
                    payload["parent"] = post_id(int(parents[k]))
                if j in contents:
                    payload["content"] = contents[j]
                etype = EventType.REPLY_CREATED if parents[k] >= 0 else EventType.POST_CREATED
                state.emit(etype, int(authors[k]), payload)
    vote_pos = np.flatnonzero(act == VOTE)
    if vote_pos.size:
        voters = active[vote_pos]
        rows = feed.rows_of(arr.target[vote_pos])
        ok = (rows >= 0) & (feed.author[np.maximum(rows, 0)] != voters)  # no voting on own posts
        vote_pos, voters = vote_pos[ok], voters[ok]
        act[np.flatnonzero(act == VOTE)[~ok]] = NOOP
        if vote_pos.size:
            w = state.governance.vote_weight(state.gov_context(), voters)
            signed = arr.vote[vote_pos] * w
            authors = feed.add_votes(arr.target[vote_pos], signed)
            np.add.at(a.reputation, authors, feed.config.vote_reputation_rate * signed)
            if "influence_gini" in state.config.metrics_to_track:
                np.add.at(state.agent_array("vote_weight", np.float64, 0.0), voters, np.abs(w))
            a.votes_cast[voters] += 1
            a.epoch_votes[voters] += 1
            state.counts.n_votes += int(vote_pos.size)
            if log:
                for k, j in enumerate(vote_pos.tolist()):
                    state.emit(
                        EventType.VOTE_CAST,
                        int(voters[k]),
                        {
                            "post": post_id(int(arr.target[j])),
                            "vote": int(arr.vote[j]),
                            "weight": float(w[k]),
                        },
                    )
    feed.retire(now)


def claim_tasks(state: EngineState, arr: ActionArrays) -> None:
    """Task claims: the pool decides who claims and who joins as a collaborator."""
    claim_pos = np.flatnonzero(arr.action == CLAIM)
    if not claim_pos.size:
        return
    active = state.active
    claimed, joined = state.env.tasks.claim(
        active[claim_pos], arr.target[claim_pos], arr.effort[claim_pos], arr.boost[claim_pos], state.env.time
    )
    np.add.at(state.agents.epoch_claims, active[claim_pos[claimed | joined]], 1)
    if state.logs_feed_events:
        for j in claim_pos[claimed | joined].tolist():
            state.emit(EventType.TASK_CLAIMED, int(active[j]), {"task": task_id(int(arr.target[j]))})
