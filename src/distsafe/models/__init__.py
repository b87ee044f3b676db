"""Data models: interactions (one schema), agents, events, and the typed column stores the engine shares."""

from distsafe.models.agent import AgentState, AgentType
from distsafe.models.column_store import Column, ColumnStore
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import Event, EventType
from distsafe.models.interaction import InteractionType, SoftInteraction
from distsafe.models.schema import INTERACTION_SCHEMA, ColumnSpec

__all__ = [
    "INTERACTION_SCHEMA",
    "AgentState",
    "Column",
    "ColumnSpec",
    "ColumnStore",
    "AgentType",
    "Event",
    "EventType",
    "InteractionBatch",
    "InteractionType",
    "SoftInteraction",
]
