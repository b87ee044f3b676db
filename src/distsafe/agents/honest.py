"""Honest: cooperative and trust-based; does diligent work (effort 0.9), pays and asks fair prices, values
its partner's payoff as its own (`prosocial` 1: it maximizes joint surplus, as the plan's honest agent),
votes on what it reads.

Its effort is not a choice (diligence is its type); what it decides is whether to take part: it proposes
only while the joint expected payoff of a proposal, after its effort cost, the taxes of both sides, the
expected audit penalty and its own freeze and stake risk, is positive (the participation constraint), and
accepts an offer when the initiator's reputation clears its bar and the offer's expected joint surplus,
after taxes, is positive ("accept if E[S] > 0")."""

from __future__ import annotations

from distsafe.agents.policies import PolicyParams, ScriptedPolicy
from distsafe.agents.scripted import ScriptedAgent
from distsafe.models.agent import AgentType


class HonestPolicy(ScriptedPolicy):
    agent_type = AgentType.HONEST
    default_params = PolicyParams(
        effort=0.9, signal_boost=0.0, tau=0.3, price=0.5, min_partner_reputation=-0.5, prosocial=1.0
    )


class HonestAgent(ScriptedAgent):
    agent_type = AgentType.HONEST
    policy_class = HonestPolicy
