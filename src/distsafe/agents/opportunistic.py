"""Opportunistic: maximizes its own payoff. Cuts corners (effort 0.6), pays nothing for help and overcharges
in trades, cherry-picks the best-paid tasks, accepts paid offers or reputable partners, votes strategically
for reputable authors."""

from __future__ import annotations

import numpy as np

from distsafe.agents.policies import GroupView, PolicyParams, ScriptedPolicy
from distsafe.agents.scripted import ScriptedAgent
from distsafe.models.agent import AgentType


class OpportunisticPolicy(ScriptedPolicy):
    agent_type = AgentType.OPPORTUNISTIC
    default_params = PolicyParams(
        effort=0.6, signal_boost=0.2, tau=0.0, price=0.8, p_claim=0.15, min_partner_reputation=0.0
    )

    def choose_partners(self, view: GroupView, who: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        return candidates[:, 0]

    def choose_tasks(self, view: GroupView, k: int) -> np.ndarray:
        return np.full(k, view.open_tasks[0])  # the best bounty

    def votes(self, view: GroupView, voter_rows: np.ndarray, post_pos: np.ndarray) -> np.ndarray:
        author_rep = view.agents.reputation[view.top_authors[post_pos]]
        return np.where(author_rep >= 0, 1, -1).astype(np.int8)

    def accept_batch(self, agents, counterparties, initiators, tau, itype, group_rows, rng) -> np.ndarray:
        return (tau > 0) | (agents.reputation[initiators] >= self.params.min_partner_reputation)


class OpportunisticAgent(ScriptedAgent):
    agent_type = AgentType.OPPORTUNISTIC
    policy_class = OpportunisticPolicy
