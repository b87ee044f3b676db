"""Resolve a step's interactions: gather them (proposals, replies, finished tasks), decide acceptance,
draw the hidden outcome and observables, label, charge governance, pay, update the agents, report.

Every array is aligned with the step's interactions; the cost is O(interactions) plus O(agents involved).
"""

from __future__ import annotations

import numpy as np

from distsafe.agents.base import InteractionOutcome, InteractionProposal
from distsafe.agents.policies import PROPOSE, REPLY, ActionArrays
from distsafe.core.components import Component, ComponentWork, work_quality
from distsafe.core.observation_noise import observed_reputation
from distsafe.core.state import EngineState
from distsafe.governance.rbac_actions import CODE as ACTION_CODE
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType
from distsafe.models.ids import interaction_id, task_id
from distsafe.models.interaction import InteractionType
from distsafe.models.schema import RejectReason

_COLLAB = InteractionType.COLLABORATION.code
_REPLY = InteractionType.REPLY.code


class _Parts:
    """The step's interactions as lists of column pieces, concatenated once."""

    def __init__(self) -> None:
        self.init: list[np.ndarray] = []
        self.cp: list[np.ndarray] = []
        self.itype: list[np.ndarray] = []
        self.tau: list[np.ndarray] = []
        self.effort: list[np.ndarray] = []
        self.boost: list[np.ndarray] = []
        self.n = 0  # rows so far

    def add(
        self,
        init: np.ndarray,
        cp: np.ndarray,
        itype: np.ndarray,
        tau: np.ndarray,
        effort: np.ndarray,
        boost: np.ndarray,
    ) -> int:
        """Append a piece; returns the row where it starts."""
        start = self.n
        self.init.append(init)
        self.cp.append(cp)
        self.itype.append(itype)
        self.tau.append(tau)
        self.effort.append(effort)
        self.boost.append(boost)
        self.n += init.shape[0]
        return start


def resolve_interactions(
    state: EngineState, arr: ActionArrays, work: list[tuple[Component, ComponentWork]] | None = None
) -> InteractionBatch:
    """Build, resolve and report the step's interactions; returns them as one batch. `work`: the
    interactions the run's components add (core.components), after everything else."""
    a, env, active = state.agents, state.env, state.active
    now = env.time
    act = arr.action
    feed, tasks = env.feed, env.tasks
    parts = _Parts()

    prop = np.flatnonzero(act == PROPOSE)
    parts.add(
        active[prop], arr.target[prop], arr.itype[prop], arr.tau[prop], arr.effort[prop], arr.boost[prop]
    )

    # A reply is an interaction with the author of the post replied to.
    rep = np.flatnonzero(act == REPLY)
    if rep.size:
        rows = feed.rows_of(arr.target[rep])
        cp = np.where(rows >= 0, feed.author[np.maximum(rows, 0)], -1)
        keep = (cp >= 0) & (cp != active[rep])
        rep, cp = rep[keep], cp[keep]
        parts.add(
            active[rep], cp, np.full(rep.size, _REPLY), np.zeros(rep.size), arr.effort[rep], arr.boost[rep]
        )

    # Finished tasks: the claimer's work is verified by the poster, who pays the bounty (tau < 0 is a
    # transfer from counterparty to initiator); each collaborator's help is an interaction with the claimer.
    due = tasks.due(now)
    n_task, task_start = 0, 0
    if due.size:
        task_start = parts.add(
            tasks.claimer[due], tasks.poster[due], np.full(due.size, _COLLAB), -tasks.bounty[due],
            tasks.worker_effort[due], tasks.worker_boost[due],
        )  # fmt: skip
        n_task = due.size
        cr, cs = np.nonzero(tasks.collab[due] >= 0)
        parts.add(
            tasks.collab[due][cr, cs], tasks.claimer[due][cr], np.full(cr.size, _COLLAB), np.zeros(cr.size),
            tasks.collab_effort[due][cr, cs], np.zeros(cr.size),
        )  # fmt: skip

    n_engine = parts.n  # proposals, then replies, then finished tasks' and collaborators' work
    # The components' interactions (core.components): each its own rows, after the engine's own.
    comp_rows: list[tuple[Component, slice, bool]] = []
    for comp, w in work or ():
        n = len(w)
        if n == 0:
            continue
        own_effort, own_boost = work_quality(state, w.initiator) if w.effort is None or w.boost is None else (
            w.effort, w.boost)  # fmt: skip
        start = parts.add(
            np.asarray(w.initiator, dtype=np.int32), np.asarray(w.counterparty, dtype=np.int32),
            np.full(n, w.itype.code), np.asarray(w.tau, dtype=np.float64),
            np.asarray(w.effort if w.effort is not None else own_effort, dtype=np.float64),
            np.asarray(w.boost if w.boost is not None else own_boost, dtype=np.float64),
        )  # fmt: skip
        comp_rows.append((comp, slice(start, start + n), w.agreed))

    init = np.concatenate(parts.init).astype(np.int32)
    m = init.shape[0]
    if m == 0:
        if due.size:
            tasks.complete(due)
        return InteractionBatch.empty(0)
    effort = np.concatenate(parts.effort).astype(np.float64)
    boost = np.concatenate(parts.boost).astype(np.float64)
    batch = InteractionBatch.from_columns(
        epoch=np.full(m, env.epoch), step=np.full(m, env.step), initiator=init,
        counterparty=np.concatenate(parts.cp).astype(np.int32), itype=np.concatenate(parts.itype),
        tau=np.concatenate(parts.tau).astype(np.float64),
    )  # fmt: skip

    with observed_reputation(state):  # as they see it (observation noise, if any)
        batch.accepted = accept(state, batch)
    for _, own, agreed in comp_rows:  # agreed terms: only a frozen counterparty refuses
        if agreed:
            batch.accepted[own] = ~state.agents.frozen_mask(env.epoch)[batch.counterparty[own]]
    batch.reject_reason = reject_reasons(state, batch)
    if state.network is not None and prop.size:  # proposals to a non-neighbour are rejected
        far = ~state.network.has_edge(batch.initiator[: prop.size], batch.counterparty[: prop.size])
        batch.accepted[: prop.size] &= ~far
        batch.reject_reason[: prop.size][far] = RejectReason.NOT_NEIGHBOUR.value
    extra_misuse = None
    if arr.misuse is not None:  # proposals are the batch's first rows
        extra_misuse = np.zeros(m)
        extra_misuse[: prop.size] = arr.misuse[prop]
    observed = state.observables.draw(effort, boost, state.rngs["observables"], extra_misuse=extra_misuse)
    for name, col in observed.items():
        setattr(batch, name, col)
    state.proxy.apply_to_batch(batch)
    # The initiator pays for the work it did (effort and signal gaming), when the work is accepted.
    batch.c_a = batch.c_a + np.where(batch.accepted, state.payoff_engine.action_cost(effort, boost), 0.0)
    cfg = state.config
    quality = 2.0 * batch.p - 1.0
    batch.r_a = np.where(batch.accepted, cfg.reputation_rate_initiator * quality, 0.0)
    batch.r_b = np.where(batch.accepted, cfg.reputation_rate_counterparty * quality, 0.0)
    for comp in state.components:  # terms set on every interaction (core.components `before_payoffs`)
        comp.before_payoffs(state, batch)
    ctx = state.gov_context()
    ctx.row_actions = row_actions(m, prop.size, prop.size + rep.size, n_engine)
    state.governance.on_interactions(ctx, batch)
    state.payoff_engine.apply_to_batch(batch)
    state.governance.after_payoffs(ctx, batch)
    update_agents(state, batch, n_proposals=prop.size)
    if state.network is not None and state.network.config.dynamic:  # accepted interactions strengthen
        acc = batch.accepted
        state.network.strengthen(batch.initiator[acc], batch.counterparty[acc])

    if n_task:
        verified = batch.accepted[task_start : task_start + n_task]
        tasks.complete(due)
        state.counts.tasks_completed += int(np.count_nonzero(verified))
        if state.logs_feed_events:
            for r, ok in zip(due.tolist(), verified.tolist()):
                state.emit(
                    EventType.TASK_COMPLETED, int(tasks.claimer[r]),
                    {"task": task_id(int(tasks.task_id[r])), "verified": bool(ok)},
                )  # fmt: skip
    for comp, own, _ in comp_rows:
        comp.resolved(state, batch, own)
    notify_objects(state, batch)
    if state.event_log is not None:
        state.event_log.append_interactions(batch, a.ids, timestamp=float(now))
    state.flush_governance_events(ctx)
    return batch


def row_actions(m: int, n_prop: int, reply_end: int, task_end: int) -> np.ndarray:
    """The action that made each of the step's `m` rows, as role-based access control checks it
    (`governance.rbac_actions.CODE`): proposals and the components' rows propose an interaction, replies
    reply, a finished task's and its collaborators' rows submit work."""
    out = np.full(m, ACTION_CODE["propose_interaction"], dtype=np.int64)
    out[n_prop:reply_end] = ACTION_CODE["reply"]
    out[reply_end:task_end] = ACTION_CODE["submit_output"]
    return out


def accept(state: EngineState, batch: InteractionBatch) -> np.ndarray:
    """Each counterparty's decision: scripted groups decide in one call, objects one by one; frozen
    counterparties refuse."""
    a = state.agents
    cp, init = batch.counterparty, batch.initiator
    acc = np.zeros(cp.shape[0], dtype=bool)
    live = ~a.frozen_mask(state.env.epoch)[cp]
    gcp = a.group[cp]
    rng = state.rngs["accept"]
    for g in state.groups:
        pos = np.flatnonzero((gcp == g.gid) & live)
        if pos.size == 0:
            continue
        if g.policy is not None:
            acc[pos] = g.policy.accept_batch(
                a, cp[pos], init[pos], batch.tau[pos], batch.itype[pos], g.all_rows(), rng
            )
            if g.policy.ring_rows is not None:  # a planted colluder accepts its ring unconditionally
                acc[pos] |= np.isin(init[pos], g.policy.ring_rows)
        elif g.agent is not None:
            for j in pos.tolist():
                proposal = InteractionProposal(
                    initiator_id=a.ids[int(init[j])], counterparty_id=a.ids[int(cp[j])],
                    interaction_type=InteractionType.from_code(int(batch.itype[j])), tau=float(batch.tau[j]),
                    initiator_reputation=float(a.reputation[int(init[j])]),
                )  # fmt: skip
                acc[j] = bool(g.agent.accept_interaction(proposal, None))
    return acc


def reject_reasons(state: EngineState, batch: InteractionBatch) -> np.ndarray:
    """`RejectReason` per interaction: accepted, refused by the counterparty's choice, or refused because
    the counterparty was frozen (a frozen agent cannot accept, whatever it would have chosen)."""
    frozen = state.agents.frozen_mask(state.env.epoch)[batch.counterparty]
    reason = np.where(frozen, RejectReason.FROZEN.value, RejectReason.CHOICE.value)
    return np.where(batch.accepted, RejectReason.NONE.value, reason).astype(np.int8)


def update_agents(state: EngineState, batch: InteractionBatch, n_proposals: int) -> None:
    """Payoffs, reputation, counts, the interaction limit and spending, into the agent columns."""
    a = state.agents
    init: np.ndarray = batch.initiator
    cp: np.ndarray = batch.counterparty
    acc = batch.accepted
    m = init.shape[0]
    rows: slice | np.ndarray = slice(None)
    n = len(a)
    if 8 * m < n:  # few interactions for the population: sum over the agents involved only
        rows, inv = np.unique(np.concatenate([init, cp]), return_inverse=True)
        init, cp, n = inv[:m], inv[m:], rows.shape[0]
    gain = np.bincount(init, weights=batch.payoff_a, minlength=n) + np.bincount(
        cp, weights=batch.payoff_b, minlength=n
    )
    a.resources[rows] += gain
    a.total_payoff[rows] += gain
    a.reputation[rows] += np.bincount(init, weights=batch.r_a, minlength=n) + np.bincount(
        cp, weights=batch.r_b, minlength=n
    )
    a.n_initiated[rows] += np.bincount(init[acc], minlength=n).astype(np.int32)
    a.n_received[rows] += np.bincount(cp[acc], minlength=n).astype(np.int32)
    # Proposals (the first n_proposals rows) count against the interaction limit, accepted or not.
    a.epoch_interactions[rows] += np.bincount(init[:n_proposals], minlength=n).astype(np.int32)
    # What each side paid out: tau > 0 is paid by the initiator, tau < 0 by the counterparty.
    a.epoch_spend[rows] += np.bincount(
        init, weights=np.where(acc, np.maximum(batch.tau, 0.0), 0.0), minlength=n
    ) + np.bincount(cp, weights=np.where(acc, np.maximum(-batch.tau, 0.0), 0.0), minlength=n)


def notify_objects(state: EngineState, batch: InteractionBatch) -> None:
    """Send `update_state` to the object agents (groups of one) involved in this step's interactions."""
    driven = state.driven
    if not driven:
        return
    a, env = state.agents, state.env
    rows = np.fromiter(driven.keys(), dtype=np.int64)
    involved = np.flatnonzero(np.isin(batch.initiator, rows) | np.isin(batch.counterparty, rows))
    for j in involved.tolist():
        for row, as_init in ((int(batch.initiator[j]), True), (int(batch.counterparty[j]), False)):
            agent = driven.get(row)
            if agent is None:
                continue
            agent.update_state(
                InteractionOutcome(
                    interaction_id=interaction_id(env.epoch, env.step, j),
                    initiator_id=a.ids[int(batch.initiator[j])],
                    counterparty_id=a.ids[int(batch.counterparty[j])],
                    accepted=bool(batch.accepted[j]),
                    p=float(batch.p[j]),
                    payoff=float(batch.payoff_a[j] if as_init else batch.payoff_b[j]),
                    as_initiator=as_init,
                    epoch=env.epoch,
                    step=env.step,
                )
            )
