"""Sybil attacker (seed 003 "Identity and Trust Infrastructure"): one entity that controls `identities`
identities and runs them in concert. A population of type `sybil` is cut into entities in row order: the
first `identities` members are one entity's identities, the next `identities` the next entity's, and so on.
With identity infrastructure on (`core.parts.identity`), each identity is created at `identity_creation_cost`
and only the entity's first identity has proof of personhood.

What the identities do, in the engine's terms:

    concerted attack     each entity picks `victims` outsiders (uniformly, from the rows agents may propose
                         to) the first time it acts; every identity of the entity sends its attacks to those
                         same victims: harmful work (effort `effort`) sold in trades, so the identities'
                         counterparty sets and frequencies are alike (what the Sybil detector looks for)
    mutual boosting      a share `boost_share` of each identity's proposals goes to another identity of the
                         same entity: good work (effort `boost_effort`) that the other accepts, so the
                         identities' reputations grow on each other's word
    the lever            an identity whose boost would pay the Sybil lever's realtime charge (both sides
                         flagged: `IncentiveView.sybil_pair_cost`) attacks instead of boosting, since the
                         charge on both sides buys nothing the entity does not already have

Identities accept every proposal from their own group and judge the others' like any agent.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from distsafe.agents.attackers import CommittedThreatPolicy
from distsafe.agents.policies import PROPOSE, ActionArrays, GroupView, PolicyParams
from distsafe.agents.scripted import ScriptedAgent
from distsafe.models.agent import AgentType
from distsafe.models.schema import InteractionType


class SybilParams(PolicyParams):
    identities: int = Field(default=4, ge=1, le=10_000, description="identities each entity controls")
    victims: int = Field(default=3, ge=1, le=1000, description="outsiders each entity attacks")
    boost_share: float = Field(default=0.4, ge=0, le=1, description="share of proposals to own identities")
    boost_effort: float = Field(default=0.95, ge=0, le=1, description="effort of the work between identities")


class SybilPolicy(CommittedThreatPolicy):
    agent_type = AgentType.SYBIL
    default_params = SybilParams(
        effort=0.1, signal_boost=0.3, p_interact=0.7, trade_fraction=1.0, price=0.6, p_post=0.05,
        p_reply=0.05, p_vote=0.1, p_claim=0.0, candidates=8,
    )  # fmt: skip
    params: SybilParams

    def __init__(
        self, params: PolicyParams | dict[str, object] | None = None, roles: list[str] | None = None
    ) -> None:
        super().__init__(params, roles)
        #: per entity: its victims (agent rows), chosen the first time one of its identities acts
        self.victims = np.full((0, self.params.victims), -1, dtype=np.int64)

    @staticmethod
    def entity_of(rows: np.ndarray, group_rows: np.ndarray, identities: int) -> np.ndarray:
        """Each row's entity: its position among the group's rows (sorted) // identities."""
        return np.searchsorted(np.sort(group_rows), rows) // max(identities, 1)

    def _victims_of(self, view: GroupView, entities: np.ndarray) -> np.ndarray:
        p = self.params
        group = np.sort(view.group_rows)
        n_ent = int(-(-group.shape[0] // p.identities))
        if self.victims.shape[0] < n_ent:
            grown = np.full((n_ent, p.victims), -1, dtype=np.int64)
            grown[: self.victims.shape[0]] = self.victims
            self.victims = grown
        fresh = np.unique(entities[self.victims[entities, 0] < 0])
        if fresh.size:
            pool = np.arange(view.n_candidates or len(view.agents))
            outsiders = pool[~np.isin(pool, group)]
            if outsiders.size == 0:
                outsiders = pool
            self.victims[fresh] = view.rng.choice(outsiders, size=(fresh.size, p.victims), replace=True)
        out: np.ndarray = self.victims[entities]
        return out

    def act_batch(self, view: GroupView) -> ActionArrays:
        out = super().act_batch(view)
        prop = np.flatnonzero(out.action == PROPOSE)
        if prop.size == 0:
            return out
        p, rng = self.params, view.rng
        who = view.members[prop]
        group = np.sort(view.group_rows)
        ent = self.entity_of(who, group, p.identities)
        victims = self._victims_of(view, ent)
        attack = victims[np.arange(prop.size), rng.integers(0, p.victims, prop.size)]
        # another identity of the same entity, uniformly
        first = ent * p.identities
        size = np.minimum(first + p.identities, group.shape[0]) - first
        own_pos = np.searchsorted(group, who) - first
        pick = rng.integers(0, np.maximum(size - 1, 1), prop.size)
        pick = pick + (pick >= own_pos)
        sibling = group[np.minimum(first + pick, group.shape[0] - 1)]
        boost = (rng.random(prop.size) < p.boost_share) & (size > 1)
        boost &= self.incentives.sybil_pair_cost(who, sibling) <= 0
        out.target[prop] = np.where(boost, sibling, attack)
        out.effort[prop] = np.where(boost, p.boost_effort, p.effort)
        out.boost[prop] = np.where(boost, 0.0, p.signal_boost)
        out.itype[prop] = np.where(boost, InteractionType.COLLABORATION.code, InteractionType.TRADE.code)
        out.tau[prop] = np.where(boost, 0.0, -p.price)
        return out


class SybilAgent(ScriptedAgent):
    agent_type = AgentType.SYBIL
    policy_class = SybilPolicy
