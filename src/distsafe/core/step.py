"""One step of the engine, vectorized: turns, rails, feed, tasks, interactions, payoffs.

Every array here is aligned either with the step's acting agents (in schedule order) or with the step's
interactions. The cost of a step is O(agents + interactions); nothing is O(N^2) or grows with history.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import numpy as np

from distsafe.agents.base import (
    Action,
    ActionType,
    InteractionOutcome,
    InteractionProposal,
    Observation,
    PeerInfo,
    VisiblePost,
    VisibleTask,
)
from distsafe.agents.policies import CLAIM, NOOP, POST, PROPOSE, REPLY, VOTE, ActionArrays, GroupView
from distsafe.env.tasks import TaskStatus
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType
from distsafe.models.interaction import InteractionType

if TYPE_CHECKING:
    from distsafe.core.orchestrator import Orchestrator

BLOCK_REASONS = ("", "rate_limit_posts", "rate_limit_votes", "rate_limit_interactions", "budget",
                 "content_length", "invalid_target", "governance")
_COLLAB = InteractionType.COLLABORATION.code
_REPLY = InteractionType.REPLY.code


def _parse_id(text: str, prefix: str) -> int:
    if text.startswith(prefix) and text[len(prefix):].isdigit():
        return int(text[len(prefix):])
    return -1


class StepRunner:
    def __init__(self, orch: "Orchestrator"):
        self.o = orch
        self._active = np.zeros(0, dtype=np.int64)
        self._obs_cache: tuple[Any, ...] | None = None

    # ---- epoch-level task bookkeeping ----------------------------------------------------------------------
    def epoch_tasks(self, epoch: int) -> None:
        o = self.o
        tasks = o.state.tasks
        for tid in tasks.expire(epoch).tolist():
            if o.logs_feed_events:
                o.emit(EventType.TASK_EXPIRED, payload={"task": f"task_{tid}"})
        n_new = int(round(tasks.config.tasks_per_agent_per_epoch * len(o.agents)))
        if n_new <= 0:
            return
        rng = o.rngs["tasks"]
        posters = rng.integers(0, len(o.agents), n_new).astype(np.int32)
        ids = tasks.spawn(posters, epoch, rng)
        if o.logs_feed_events:
            rows = tasks.rows_of(ids)
            for tid, r in zip(ids.tolist(), rows.tolist()):
                o.emit(EventType.TASK_CREATED, int(tasks.poster[r]),
                       {"task": f"task_{tid}", "bounty": float(tasks.bounty[r]),
                        "deadline_epoch": int(tasks.deadline[r])})

    # ---- who acts --------------------------------------------------------------------------------------------
    def _schedule(self) -> np.ndarray:
        o = self.o
        n = len(o.agents)
        mode = o.config.scheduling
        if mode == "random":
            return o.rngs["schedule"].permutation(n)
        if mode == "priority":
            return np.argsort(-o.agents.reputation, kind="stable")
        return np.roll(np.arange(n), -(o.state.time % n))

    def _prepare(self) -> None:
        o = self.o
        order = self._schedule()
        order = order[~o.agents.frozen_mask(o.state.epoch)[order]]
        ctx = o.gov_context()
        ok = o.governance.can_act(ctx, order)
        if not ok.all():
            self._block_events(order[~ok], "governance")
        self._active = order[ok]
        self._obs_cache = None

    def _block_events(self, rows: np.ndarray, reason: str) -> None:
        """One `action_blocked` event per step and reason: the count and up to 20 agent ids."""
        o = self.o
        o._epoch_counts["n_blocked"] = o._epoch_counts.get("n_blocked", 0) + int(rows.size)
        o.emit(EventType.ACTION_BLOCKED, payload={
            "reason": reason, "count": int(rows.size), "agents": [o.agents.ids[i] for i in rows[:20].tolist()]})

    # ---- object agents ---------------------------------------------------------------------------------------
    def _object_rows(self) -> list[int]:
        o = self.o
        if not o._driven:
            return []
        is_obj = np.zeros(len(o.groups), dtype=bool)
        for g in o.groups:
            is_obj[g.gid] = g.kind == "object"
        act = self._active
        return act[is_obj[o.agents.group[act]]].tolist()

    def _shared_view(self) -> tuple[Any, ...]:
        if self._obs_cache is None:
            o = self.o
            feed = o.state.feed
            top = feed.top_rows(o.state.time)
            posts = tuple(VisiblePost(post_id=p.post_id, author_id=p.author_id, content=p.content,
                                      votes=int(round(p.votes)), replies=p.replies,
                                      age=o.state.time - p.timestamp, score=p.score, parent_id=p.parent_id,
                                      quality_signal=float(q), author_reputation=float(r))
                          for p, q, r in zip(feed.get_visible(now=o.state.time, agent_ids=o.agents.ids),
                                             feed.quality[top].tolist(),
                                             o.agents.reputation[feed.author[top]].tolist()))
            tasks = o.state.tasks
            trows = tasks.open_rows()
            vis_tasks = tuple(VisibleTask(task_id=f"task_{int(tasks.task_id[r])}", bounty=float(tasks.bounty[r]),
                                          deadline_epoch=int(tasks.deadline[r]),
                                          difficulty=float(tasks.difficulty[r])) for r in trows.tolist())
            self._obs_cache = (posts, vis_tasks)
        return self._obs_cache

    def observation_for(self, row: int) -> Observation:
        o = self.o
        a = o.agents
        posts, tasks = self._shared_view()
        n = len(a)
        k = min(o.config.observation_peers, n - 1)
        peers: tuple[PeerInfo, ...] = ()
        if k > 0:
            draw = o.rngs["observation"].choice(n - 1, size=k, replace=False)
            draw = draw + (draw >= row)
            peers = tuple(PeerInfo(agent_id=a.ids[j], reputation=float(a.reputation[j])) for j in draw.tolist())
        lim = o.state.rate_limits
        return Observation(
            agent_id=a.ids[row], epoch=o.state.epoch, step=o.state.step, state=a.state_of(row, o.state.epoch),
            visible_posts=posts, available_tasks=tasks, peers=peers,
            posts_left=max(0, lim.max_posts_per_epoch - int(a.epoch_posts[row])),
            votes_left=max(0, lim.max_votes_per_epoch - int(a.epoch_votes[row])),
            interactions_left=max(0, lim.max_interactions_per_epoch - int(a.epoch_interactions[row])),
        )

    def _collect_decisions(self) -> tuple[dict[int, Action], list[tuple[int, Any, Observation]]]:
        """Start the step: sync object agents decide now; async ones are returned to be awaited."""
        self._prepare()
        out: dict[int, Action] = {}
        pending = []
        for r in self._object_rows():
            agent = self.o._driven[r]
            obs = self.observation_for(r)
            if agent.is_async:
                pending.append((r, agent, obs))
            else:
                out[r] = agent.act(obs)
        return out, pending

    @staticmethod
    async def _await_all(pending: list[tuple[int, Any, Observation]], sem: asyncio.Semaphore) -> list[Action]:
        async def one(agent, obs):
            async with sem:
                return await agent.act_async(obs)
        return await asyncio.gather(*(one(ag, ob) for _, ag, ob in pending))

    def decide_objects_sync(self) -> dict[int, Action]:
        out, pending = self._collect_decisions()
        if pending:
            async def gather() -> list[Action]:
                return await self._await_all(pending, asyncio.Semaphore(self.o.config.max_concurrent_llm))
            out.update({r: a for (r, _, _), a in zip(pending, asyncio.run(gather()))})
        return out

    async def decide_objects_async(self, sem: asyncio.Semaphore) -> dict[int, Action]:
        out, pending = self._collect_decisions()
        if pending:
            out.update({r: a for (r, _, _), a in zip(pending, await self._await_all(pending, sem))})
        return out

    def _object_action(self, action: Action, arr: ActionArrays, j: int, contents: dict[int, str]) -> bool:
        """Write one object agent's Action into row j of the step arrays; False if its target is invalid."""
        a = self.o.agents
        kind = ActionType(action.action_type)
        arr.action[j] = kind.code
        arr.effort[j], arr.boost[j], arr.tau[j] = action.effort, action.signal_boost, action.tau
        arr.itype[j] = InteractionType(action.interaction_type).code
        arr.vote[j] = action.vote
        if action.content:
            contents[j] = action.content
        if kind == ActionType.PROPOSE_INTERACTION:
            t = a.ids.index_of(action.target_id)
            if t is None or t == int(self._active[j]):
                return False
            arr.target[j] = t
        elif kind in (ActionType.REPLY, ActionType.VOTE):
            arr.target[j] = _parse_id(action.target_id, "post_")
            arr.itype[j] = _REPLY
            return arr.target[j] >= 0
        elif kind == ActionType.CLAIM_TASK:
            arr.target[j] = _parse_id(action.target_id, "task_")
            return arr.target[j] >= 0
        return True

    # ---- the step ----------------------------------------------------------------------------------------------
    def run_step(self, decisions: dict[int, Action]) -> InteractionBatch:
        o = self.o
        a = o.agents
        st = o.state
        now = st.time
        active = self._active
        n = active.shape[0]
        arr = ActionArrays.noop(n)
        contents: dict[int, str] = {}
        invalid = np.zeros(n, dtype=bool)
        feed = st.feed
        top = feed.top_rows(now)
        top_posts, top_authors, top_quality = feed.post_id[top], feed.author[top], feed.quality[top]
        open_rows = st.tasks.open_rows()
        group_of = a.group[active]
        for g in o.groups:
            if g.kind != "scripted":
                continue
            pos = np.flatnonzero(group_of == g.gid)
            if pos.size == 0:
                continue
            view = GroupView(members=active[pos], agents=a, epoch=st.epoch, step=st.step, time=now,
                             group_rows=g.all_rows(), top_posts=top_posts, top_authors=top_authors,
                             top_quality=top_quality, open_tasks=st.tasks.task_id[open_rows],
                             open_bounties=st.tasks.bounty[open_rows], rng=g.rng)
            res = g.policy.act_batch(view)
            if int(pos[-1]) - int(pos[0]) + 1 == pos.size:  # a contiguous run (round-robin turns): copy
                pos = slice(int(pos[0]), int(pos[-1]) + 1)
            for name in ("action", "target", "vote", "itype", "tau", "effort", "boost"):
                getattr(arr, name)[pos] = getattr(res, name)
        if decisions:
            pos_of = {int(r): j for j, r in enumerate(active.tolist())} if len(decisions) > 0 else {}
            for r, action in decisions.items():
                j = pos_of[r]
                invalid[j] = not self._object_action(action, arr, j, contents)

        self._apply_rails(arr, contents, invalid)
        a.epoch_actions[active[arr.action != NOOP]] += 1
        self._feed_actions(arr, contents)
        claim_pos = np.flatnonzero(arr.action == CLAIM)
        if claim_pos.size:
            claimed, joined = st.tasks.claim(active[claim_pos], arr.target[claim_pos], arr.effort[claim_pos],
                                             arr.boost[claim_pos], now)
            if o.logs_feed_events:
                for j in claim_pos[claimed | joined].tolist():
                    o.emit(EventType.TASK_CLAIMED, int(active[j]), {"task": f"task_{int(arr.target[j])}"})
        return self._interactions(arr)

    def _apply_rails(self, arr: ActionArrays, contents: dict[int, str], invalid: np.ndarray) -> None:
        o = self.o
        a = o.agents
        active = self._active
        lim, safety = o.state.rate_limits, o.state.safety
        act = arr.action
        reason = np.zeros(act.shape[0], dtype=np.int8)
        reason[invalid & (act != NOOP)] = 6
        is_post = (act == POST) | (act == REPLY)
        reason[(reason == 0) & is_post & (a.epoch_posts[active] >= lim.max_posts_per_epoch)] = 1
        reason[(reason == 0) & (act == VOTE) & (a.epoch_votes[active] >= lim.max_votes_per_epoch)] = 2
        is_prop = act == PROPOSE
        reason[(reason == 0) & is_prop & (a.epoch_interactions[active] >= lim.max_interactions_per_epoch)] = 3
        pay = np.maximum(arr.tau, 0.0)
        reason[(reason == 0) & is_prop & (a.epoch_spend[active] + pay > safety.budget_per_epoch)] = 4
        for j, text in contents.items():
            if reason[j] == 0 and len(text) > safety.max_content_length:
                reason[j] = 5
        blocked = reason > 0
        if blocked.any():
            for code in np.unique(reason[blocked]).tolist():
                self._block_events(active[reason == code], BLOCK_REASONS[code])
            act[blocked] = NOOP

    def _feed_actions(self, arr: ActionArrays, contents: dict[int, str]) -> None:
        o = self.o
        a = o.agents
        st = o.state
        feed = st.feed
        now = st.time
        active = self._active
        act = arr.action
        log = o.logs_feed_events
        # replies must point at a live post
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
            texts = ({k: contents[j] for k, j in enumerate(pos.tolist()) if j in contents} if contents else None)
            ids = feed.add_posts(authors, now, arr.effort[pos].astype(np.float32), parents, texts)
            a.posts[authors] += 1
            a.epoch_posts[authors] += 1
            o._epoch_counts["n_posts"] += int(pos.size)
            if log:
                for k, j in enumerate(pos.tolist()):
                    payload: dict[str, Any] = {"post": f"post_{int(ids[k])}"}
                    if parents[k] >= 0:
                        payload["parent"] = f"post_{int(parents[k])}"
                    if j in contents:
                        payload["content"] = contents[j]
                    o.emit(EventType.REPLY_CREATED if parents[k] >= 0 else EventType.POST_CREATED,
                           int(authors[k]), payload)
        vote_pos = np.flatnonzero(act == VOTE)
        if vote_pos.size:
            voters = active[vote_pos]
            rows = feed.rows_of(arr.target[vote_pos])
            ok = (rows >= 0) & (feed.author[np.maximum(rows, 0)] != voters)  # no voting on own posts
            vote_pos, voters = vote_pos[ok], voters[ok]
            act[np.flatnonzero(act == VOTE)[~ok]] = NOOP
            if vote_pos.size:
                ctx = o.gov_context()
                w = o.governance.vote_weight(ctx, voters)
                signed = arr.vote[vote_pos] * w
                authors = feed.add_votes(arr.target[vote_pos], signed)
                np.add.at(a.reputation, authors, feed.config.vote_reputation_rate * signed)
                a.votes_cast[voters] += 1
                a.epoch_votes[voters] += 1
                o._epoch_counts["n_votes"] += int(vote_pos.size)
                if log:
                    for k, j in enumerate(vote_pos.tolist()):
                        o.emit(EventType.VOTE_CAST, int(voters[k]), {
                            "post": f"post_{int(arr.target[j])}", "vote": int(arr.vote[j]), "weight": float(w[k])})
        feed.retire(now)

    def _interactions(self, arr: ActionArrays) -> InteractionBatch:
        o = self.o
        a = o.agents
        st = o.state
        now = st.time
        active = self._active
        act = arr.action
        feed, tasks = st.feed, st.tasks
        parts_init, parts_cp, parts_type, parts_tau, parts_eff, parts_boost = [], [], [], [], [], []

        prop = np.flatnonzero(act == PROPOSE)
        parts_init.append(active[prop]); parts_cp.append(arr.target[prop]); parts_type.append(arr.itype[prop])
        parts_tau.append(arr.tau[prop]); parts_eff.append(arr.effort[prop]); parts_boost.append(arr.boost[prop])

        # A reply is an interaction with the author of the post replied to.
        rep = np.flatnonzero(act == REPLY)
        if rep.size:
            rows = feed.rows_of(arr.target[rep])
            cp = np.where(rows >= 0, feed.author[np.maximum(rows, 0)], -1)
            keep = (cp >= 0) & (cp != active[rep])
            rep, cp = rep[keep], cp[keep]
            parts_init.append(active[rep]); parts_cp.append(cp); parts_type.append(np.full(rep.size, _REPLY))
            parts_tau.append(np.zeros(rep.size)); parts_eff.append(arr.effort[rep]); parts_boost.append(arr.boost[rep])

        # Finished tasks: the claimer's work is verified by the poster, who pays the bounty (tau < 0 is a
        # transfer from counterparty to initiator); each collaborator's help is an interaction with the claimer.
        due = tasks.due(now)
        n_task = 0
        if due.size:
            parts_init.append(tasks.claimer[due]); parts_cp.append(tasks.poster[due])
            parts_type.append(np.full(due.size, _COLLAB)); parts_tau.append(-tasks.bounty[due])
            parts_eff.append(tasks.worker_effort[due]); parts_boost.append(tasks.worker_boost[due])
            n_task = due.size
            cr, cs = np.nonzero(tasks.collab[due] >= 0)
            parts_init.append(tasks.collab[due][cr, cs]); parts_cp.append(tasks.claimer[due][cr])
            parts_type.append(np.full(cr.size, _COLLAB)); parts_tau.append(np.zeros(cr.size))
            parts_eff.append(tasks.collab_effort[due][cr, cs]); parts_boost.append(np.zeros(cr.size))

        init = np.concatenate(parts_init).astype(np.int32)
        m = init.shape[0]
        if m == 0:
            if due.size:
                tasks.complete(due)
            return InteractionBatch.empty(0)
        cp = np.concatenate(parts_cp).astype(np.int32)
        effort = np.concatenate(parts_eff).astype(np.float64)
        boost = np.concatenate(parts_boost).astype(np.float64)
        batch = InteractionBatch.from_columns(
            epoch=np.full(m, st.epoch), step=np.full(m, st.step), initiator=init, counterparty=cp,
            itype=np.concatenate(parts_type), tau=np.concatenate(parts_tau).astype(np.float64))

        batch.accepted = self._accept(batch)
        drawn = o.observables.draw(effort, boost, o.rngs["observables"])
        for name, col in drawn.items():
            setattr(batch, name, col)
        o.proxy.apply_to_batch(batch)
        cfg = o.config
        quality = 2.0 * batch.p - 1.0
        batch.r_a = np.where(batch.accepted, cfg.reputation_rate_initiator * quality, 0.0)
        batch.r_b = np.where(batch.accepted, cfg.reputation_rate_counterparty * quality, 0.0)
        ctx = o.gov_context()
        o.governance.on_interactions(ctx, batch)
        o.payoff_engine.apply_to_batch(batch)
        o.governance.after_payoffs(ctx, batch)
        self._update_agents(batch, n_proposals=prop.size)

        if n_task:
            first = sum(p.shape[0] for p in parts_init[:-2])
            verified = batch.accepted[first:first + n_task]
            tasks.complete(due)
            o._epoch_counts["tasks_completed"] += int(np.count_nonzero(verified))
            if o.logs_feed_events:
                for r, ok in zip(due.tolist(), verified.tolist()):
                    o.emit(EventType.TASK_COMPLETED, int(tasks.claimer[r]),
                           {"task": f"task_{int(tasks.task_id[r])}", "verified": bool(ok)})
        self._notify_objects(batch)
        if o.event_log is not None:
            o.event_log.append_interactions(batch, a.ids, timestamp=float(now))
        o.flush_governance_events(ctx)
        return batch

    def _accept(self, batch: InteractionBatch) -> np.ndarray:
        o = self.o
        a = o.agents
        cp, init = batch.counterparty, batch.initiator
        m = cp.shape[0]
        acc = np.zeros(m, dtype=bool)
        live = ~a.frozen_mask(o.state.epoch)[cp]
        gcp = a.group[cp]
        rng = o.rngs["accept"]
        for g in o.groups:
            pos = np.flatnonzero((gcp == g.gid) & live)
            if pos.size == 0:
                continue
            if g.kind == "scripted":
                acc[pos] = g.policy.accept_batch(a, cp[pos], init[pos], batch.tau[pos], batch.itype[pos],
                                                 g.all_rows(), rng)
            else:
                for j in pos.tolist():
                    proposal = InteractionProposal(
                        initiator_id=a.ids[int(init[j])], counterparty_id=a.ids[int(cp[j])],
                        interaction_type=InteractionType.from_code(int(batch.itype[j])), tau=float(batch.tau[j]),
                        initiator_reputation=float(a.reputation[int(init[j])]))
                    acc[j] = bool(g.agent.accept_interaction(proposal, None))
        return acc

    def _update_agents(self, batch: InteractionBatch, n_proposals: int) -> None:
        o = self.o
        a = o.agents
        init, cp, acc = batch.initiator, batch.counterparty, batch.accepted
        m = init.shape[0]
        rows: slice | np.ndarray = slice(None)
        n = len(a)
        if 8 * m < n:  # few interactions for the population: sum over the agents involved only
            rows, inv = np.unique(np.concatenate([init, cp]), return_inverse=True)
            init, cp, n = inv[:m], inv[m:], rows.shape[0]
        gain = (np.bincount(init, weights=batch.payoff_a, minlength=n)
                + np.bincount(cp, weights=batch.payoff_b, minlength=n))
        a.resources[rows] += gain
        a.total_payoff[rows] += gain
        a.reputation[rows] += (np.bincount(init, weights=batch.r_a, minlength=n)
                               + np.bincount(cp, weights=batch.r_b, minlength=n))
        a.n_initiated[rows] += np.bincount(init[acc], minlength=n).astype(np.int32)
        a.n_received[rows] += np.bincount(cp[acc], minlength=n).astype(np.int32)
        # Proposals (the first n_proposals rows) count against the interaction limit, accepted or not.
        a.epoch_interactions[rows] += np.bincount(init[:n_proposals], minlength=n).astype(np.int32)
        # What each side paid out: tau > 0 is paid by the initiator, tau < 0 by the counterparty.
        a.epoch_spend[rows] += (
            np.bincount(init, weights=np.where(acc, np.maximum(batch.tau, 0.0), 0.0), minlength=n)
            + np.bincount(cp, weights=np.where(acc, np.maximum(-batch.tau, 0.0), 0.0), minlength=n))

    def _notify_objects(self, batch: InteractionBatch) -> None:
        """Send `update_state` to the object agents (groups of one) involved in this step's interactions."""
        o = self.o
        if not o._driven:
            return
        a = o.agents
        st = o.state
        rows = np.fromiter(o._driven.keys(), dtype=np.int64)
        involved = np.flatnonzero(np.isin(batch.initiator, rows) | np.isin(batch.counterparty, rows))
        for j in involved.tolist():
            for row, as_init in ((int(batch.initiator[j]), True), (int(batch.counterparty[j]), False)):
                agent = o._driven.get(row)
                if agent is None:
                    continue
                agent.update_state(InteractionOutcome(
                    interaction_id=f"{st.epoch}-{st.step}-{j}", initiator_id=a.ids[int(batch.initiator[j])],
                    counterparty_id=a.ids[int(batch.counterparty[j])], accepted=bool(batch.accepted[j]),
                    p=float(batch.p[j]),
                    payoff=float(batch.payoff_a[j] if as_init else batch.payoff_b[j]),
                    as_initiator=as_init, epoch=st.epoch, step=st.step))
