"""Honest: cooperative and trust-based; does diligent work (effort 0.9), pays and asks fair prices, accepts
partners whose reputation clears a bar (its estimate of E[S] > 0), votes on what it reads."""

from __future__ import annotations

from distsafe.agents.policies import PolicyParams, ScriptedPolicy
from distsafe.agents.scripted import ScriptedAgent
from distsafe.models.agent import AgentType


class HonestPolicy(ScriptedPolicy):
    agent_type = AgentType.HONEST
    default_params = PolicyParams(
        effort=0.9, signal_boost=0.0, tau=0.3, price=0.5, min_partner_reputation=-0.5
    )


class HonestAgent(ScriptedAgent):
    agent_type = AgentType.HONEST
    policy_class = HonestPolicy
