"""Data models: interactions, agents, events, and the columnar tables the engine shares."""

from distsafe.models.agent import AgentState, AgentType
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import Event, EventType
from distsafe.models.interaction import InteractionType, SoftInteraction

__all__ = [
    "AgentState",
    "AgentType",
    "Event",
    "EventType",
    "InteractionBatch",
    "InteractionType",
    "SoftInteraction",
]
