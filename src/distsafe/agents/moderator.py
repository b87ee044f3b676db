"""Moderator (seed 002's "Moderator agent"): an honest agent whose job is moderation. It votes two and a
half times as often as an honest agent (the moderator role's action mix), judges what it reads with little
noise (`judgement_noise`) and downvotes anything below `moderation_threshold`; since a vote moves its
post's author's reputation (`feed.vote_reputation_rate`), moderators push low-quality authors' reputations
down, and honest agents refuse initiators whose reputation falls below their bar. It refuses proposals from
initiators below `min_partner_reputation` (0: anyone not yet in good standing) and otherwise works as an
honest agent does."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from distsafe.agents.policies import GroupView, PolicyParams, ScriptedPolicy
from distsafe.agents.roles.mixins import ModeratorRole
from distsafe.agents.scripted import ScriptedAgent
from distsafe.models.agent import AgentType


class ModeratorParams(PolicyParams):
    judgement_noise: float = Field(default=0.05, ge=0, description="noise of its reading of a post's quality")
    moderation_threshold: float = Field(default=0.5, ge=0, le=1, description="downvote below this quality")


class ModeratorPolicy(ScriptedPolicy):
    agent_type = AgentType.MODERATOR
    default_params = ModeratorParams(
        effort=0.9, signal_boost=0.0, tau=0.3, price=0.5, min_partner_reputation=0.0, prosocial=1.0,
        p_vote=0.3, p_post=0.05, p_interact=0.2, p_reply=0.05, p_claim=0.05,
    )  # fmt: skip
    params: ModeratorParams

    def votes(self, view: GroupView, voter_rows: np.ndarray, post_pos: np.ndarray) -> np.ndarray:
        p = self.params
        perceived = view.top_quality[post_pos] + view.rng.normal(0.0, p.judgement_noise, post_pos.shape[0])
        return np.where(perceived >= p.moderation_threshold, 1, -1).astype(np.int8)


class ModeratorAgent(ModeratorRole, ScriptedAgent):
    agent_type = AgentType.MODERATOR
    policy_class = ModeratorPolicy
