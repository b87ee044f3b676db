"""Agents: the seed-style object interface and the vectorized scripted policies."""

from distsafe.agents.base import (
    Action,
    ActionType,
    BaseAgent,
    InteractionOutcome,
    InteractionProposal,
    Observation,
)

__all__ = ["Action", "ActionType", "BaseAgent", "InteractionOutcome", "InteractionProposal", "Observation"]
