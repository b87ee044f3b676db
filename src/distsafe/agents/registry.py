"""Names of the scripted agent types, for scenarios and `Orchestrator.add_population`."""

from __future__ import annotations

from typing import Any

from distsafe.agents.adversarial import AdversarialAgent, AdversarialPolicy
from distsafe.agents.deceptive import DeceptiveAgent, DeceptivePolicy
from distsafe.agents.honest import HonestAgent, HonestPolicy
from distsafe.agents.opportunistic import OpportunisticAgent, OpportunisticPolicy
from distsafe.agents.policies import ScriptedPolicy
from distsafe.models.agent import AgentType

SCRIPTED_POLICIES: dict[str, type[ScriptedPolicy]] = {
    "honest": HonestPolicy,
    "opportunistic": OpportunisticPolicy,
    "deceptive": DeceptivePolicy,
    "adversarial": AdversarialPolicy,
}

SCRIPTED_AGENTS = {
    "honest": HonestAgent,
    "opportunistic": OpportunisticAgent,
    "deceptive": DeceptiveAgent,
    "adversarial": AdversarialAgent,
}


def policy_for(
    agent_type: str | AgentType, params: dict[str, Any] | None = None, roles: list[str] | None = None
) -> ScriptedPolicy:
    name = agent_type.value if isinstance(agent_type, AgentType) else str(agent_type)
    cls = SCRIPTED_POLICIES.get(name)
    if cls is None:
        raise ValueError(
            f"unknown scripted agent type {name!r}; known: {', '.join(sorted(SCRIPTED_POLICIES))}"
        )
    return cls(params, roles)
