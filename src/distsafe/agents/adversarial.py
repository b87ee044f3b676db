"""Adversarial: maximizes harm to the system, even at a cost. Sells harmful work (effort 0.05) in
trades, and coordinates with its allies (the other members of its group): all of them
focus on the same most-reputable outsiders each step, upvote each other's posts, downvote everyone else's,
and always accept each other's proposals."""

from __future__ import annotations

import numpy as np

from distsafe.agents.policies import GroupView, PolicyParams, ScriptedPolicy
from distsafe.agents.scripted import ScriptedAgent
from distsafe.models.agent import AgentType


class AdversarialPolicy(ScriptedPolicy):
    agent_type = AgentType.ADVERSARIAL
    default_params = PolicyParams(
        effort=0.05,
        signal_boost=0.1,
        tau=0.0,
        price=0.6,
        trade_fraction=0.7,
        p_interact=0.5,
        p_post=0.1,
        p_reply=0.1,
        p_vote=0.2,
        p_claim=0.05,
        candidates=8,
    )

    def choose_partners(self, view: GroupView, who: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        # Coordination: one shared candidate pool for the whole group this step; everyone targets its
        # two most reputable non-allies.
        pool = candidates.reshape(-1)[: max(self.params.candidates * 2, 2)]
        pool = pool[~np.isin(pool, view.group_rows)]
        if pool.size == 0:
            return candidates[:, 0]
        best = pool[np.argsort(-view.agents.reputation[pool], kind="stable")[:2]]
        return best[np.arange(who.shape[0]) % best.size]

    def votes(self, view: GroupView, voter_rows: np.ndarray, post_pos: np.ndarray) -> np.ndarray:
        ally = np.isin(view.top_authors[post_pos], view.group_rows)
        return np.where(ally, 1, -1).astype(np.int8)

    def accept_batch(self, agents, counterparties, initiators, tau, itype, group_rows, rng) -> np.ndarray:
        return np.ones(initiators.shape[0], dtype=bool)


class AdversarialAgent(ScriptedAgent):
    agent_type = AgentType.ADVERSARIAL
    policy_class = AdversarialPolicy
