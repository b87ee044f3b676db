"""Between steps and epochs: learning from realized payoffs, and the population update.

    learn_from_step(state, batch, n_proposals)  credit each proposal's realized payoff to the variant its
                                                initiator chose (groups with learning_rate > 0)
    end_epoch_dynamics(state, batch)            learners update (`strategy_updated` events), the market's
                                                public average quality is updated, then the population
                                                update (`population_updated` event)

Population update (`dynamics:` block, off by default): pairwise proportional imitation (Schlag 1998), whose
expected motion of type shares is the replicator equation. Each agent of a scripted population revises with
probability `revision_rate`; it samples a model agent uniformly among the revisers' population and copies the
model's group (its type and policy) with probability (payoff_model - payoff_self) / (max - min), payoffs being
the epoch's. Optionally, agents whose resources fell below `exit_below` exit; each is replaced by an entrant
(same row, fresh resources and reputation, cleared governance records) of the group of an incumbent drawn
uniformly. The population size never changes. Draws come from the run's "population" stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from distsafe.agents.adaptive_adversary import AdaptiveAdversaryPolicy
from distsafe.models.agent import AgentType
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType

if TYPE_CHECKING:  # the state imports the engine's config, which holds DynamicsConfig
    from distsafe.core.state import EngineState


class DynamicsConfig(BaseModel):
    """A scenario's `dynamics:` block: how the mix of types follows payoffs between epochs."""

    model_config = ConfigDict(extra="forbid")

    population_update: Literal["none", "imitation"] = "none"
    revision_rate: float = Field(default=0.1, ge=0, le=1, description="share of agents revising per epoch")
    exit_below: float | None = Field(
        default=None, description="agents with resources below this exit and are replaced by entrants"
    )


def learn_from_step(state: EngineState, batch: InteractionBatch, n_proposals: int) -> None:
    """Credit this step's proposals (the batch's first `n_proposals` rows) to the learners; policies that
    remember their partners see the step's interactions first (`remember_partners`)."""
    remember_partners(state, batch)
    if n_proposals == 0:
        return
    learners = [g for g in state.groups if g.policy is not None and g.policy.learner is not None]
    if not learners:
        return
    init = batch.initiator[:n_proposals]
    pay = batch.payoff_a[:n_proposals]
    gid = state.agents.group[init]
    for g in learners:
        mine = gid == g.gid
        if mine.any():
            g.policy.learner.record(init[mine], pay[mine])  # type: ignore[union-attr]


def remember_partners(state: EngineState, batch: InteractionBatch) -> None:
    """Each policy that keeps per-partner records (`ScriptedPolicy.remembers_partners`) sees the step's
    interactions its members took part in, from either side: the partner, p and whether it was accepted."""
    groups = [g for g in state.groups if g.policy is not None and g.policy.remembers_partners()]
    if not groups or len(batch) == 0:
        return
    init, cp = batch.initiator, batch.counterparty
    gi, gc = state.agents.group[init], state.agents.group[cp]
    for g in groups:
        a, b = gi == g.gid, gc == g.gid
        own = np.concatenate([init[a], cp[b]])
        other = np.concatenate([cp[a], init[b]])
        p = np.concatenate([batch.p[a], batch.p[b]])
        acc = np.concatenate([batch.accepted[a], batch.accepted[b]])
        g.policy.observe_outcomes(own, other, p, acc)  # type: ignore[union-attr]


def type_shares(state: EngineState) -> dict[str, float]:
    a = state.agents
    n = max(len(a), 1)
    counts = np.bincount(a.type_code, minlength=len(AgentType))
    return {t.value: round(float(counts[t.code]) / n, 6) for t in AgentType if counts[t.code]}


def adversary_epoch(state: EngineState, batch: InteractionBatch) -> None:
    """The adaptive adversaries learn from the epoch (`AdaptiveAdversaryPolicy.learn_epoch`): their
    realized payoff, the harm h of their accepted initiations with a bad outcome, and whether a lever
    named them (`DETECTION_EVENTS`); one `adversary_updated` event per group. Then the detections clear."""
    groups = [g for g in state.groups if isinstance(g.policy, AdaptiveAdversaryPolicy)]
    detected = state.extra_columns.get("detected")
    if groups:
        a = state.agents
        n = len(a)
        start = state.epoch_start_payoff if state.epoch_start_payoff.shape[0] == n else np.zeros(n)
        bad = batch.accepted & (batch.v < 0) if len(batch) else np.zeros(0, dtype=bool)
        harm = np.bincount(batch.initiator[bad], minlength=n) * state.payoff_engine.config.h
        seen = detected if detected is not None and detected.shape[0] == n else np.zeros(n, dtype=bool)
        for g in groups:
            rows = g.all_rows()
            policy: AdaptiveAdversaryPolicy = g.policy  # type: ignore[assignment]
            change = policy.learn_epoch(
                rows, a.total_payoff[rows] - start[rows], harm[rows], seen[rows], state.rngs["adversary"]
            )
            if change is not None:
                state.emit(EventType.ADVERSARY_UPDATED, payload={"group": g.gid, **change})
    if detected is not None:
        detected[:] = False


def end_epoch_dynamics(state: EngineState, batch: InteractionBatch) -> None:
    """Learning updates, the market's average quality, the population update."""
    adversary_epoch(state, batch)
    for g in state.groups:
        learner = g.policy.learner if g.policy is not None else None
        if learner is None:
            continue
        change = learner.end_epoch()
        if change is not None:
            state.emit(EventType.STRATEGY_UPDATED, payload={
                "group": g.gid, "type": g.policy.agent_type.value, **change})  # type: ignore[union-attr]  # fmt: skip
    if len(batch) and batch.accepted.any():
        state.market.prior_quality = float(batch.p[batch.accepted].mean())
    cfg = state.config.dynamics_config
    if cfg.population_update != "none":
        population_update(state, cfg)
    state.epoch_start_payoff = state.agents.total_payoff.copy()


def population_update(state: EngineState, cfg: DynamicsConfig) -> dict[str, Any]:
    a = state.agents
    rng = state.rngs["population"]
    pop_gids = np.array(
        [g.gid for g in state.groups if g.kind == "scripted" and g.key[:1] == ("population",)]
    )
    n = len(a)
    u_rev, u_model, u_switch = rng.random(n), rng.random(n), rng.random(n)  # fixed count: n each
    revisable = np.flatnonzero(np.isin(a.group, pop_gids)) if pop_gids.size else np.zeros(0, np.int64)
    out: dict[str, Any] = {"switched": 0, "exited": 0}
    if revisable.size >= 2:
        base = state.epoch_start_payoff
        start = base if base.shape[0] == n else np.zeros(n)
        pay = a.total_payoff - start
        model = revisable[(u_model[revisable] * revisable.size).astype(np.int64)]
        spread = float(pay[revisable].max() - pay[revisable].min())
        prob = (
            np.clip((pay[model] - pay[revisable]) / spread, 0.0, 1.0) if spread > 0 else np.zeros(model.size)
        )
        switch = (u_rev[revisable] < cfg.revision_rate) & (u_switch[revisable] < prob)
        switch &= a.group[model] != a.group[revisable]
        movers, to = revisable[switch], model[switch]
        changed = movers.size
        if cfg.exit_below is not None:
            gone = revisable[a.resources[revisable] < cfg.exit_below]
            gone = gone[~np.isin(gone, movers)]
            if gone.size:
                stay = revisable[~np.isin(revisable, gone)]
                if stay.size:
                    donors = stay[(u_model[gone] * stay.size).astype(np.int64)]
                    movers, to = np.concatenate([movers, gone]), np.concatenate([to, donors])
                    a.resources[gone] = state.config.initial_resources
                    a.reputation[gone] = state.config.initial_reputation
                    a.frozen_until[gone] = -1
                    state.governance.reset_agents(state.gov_context(), gone)
                    out["exited"] = int(gone.size)
        if movers.size:
            a.group[movers] = a.group[to]
            a.type_code[movers] = a.type_code[to]
            for g in state.groups:
                if g.gid in pop_gids:
                    g.rows = [np.flatnonzero(a.group == g.gid)]
        out["switched"] = int(changed)
        ids = a.ids
        out["agents"] = [ids[i] for i in movers[:20].tolist()]
    out["shares"] = type_shares(state)
    state.emit(EventType.POPULATION_UPDATED, payload=out)
    return out
