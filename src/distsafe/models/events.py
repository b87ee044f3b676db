"""Event records of the append-only log. Timestamps are simulation time (global step index)."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, Field


class EventType(str, Enum):
    SIMULATION_STARTED = "simulation_started"
    EPOCH_STARTED = "epoch_started"
    POST_CREATED = "post_created"
    REPLY_CREATED = "reply_created"
    VOTE_CAST = "vote_cast"
    INTERACTION_COMPLETED = "interaction_completed"
    TASK_CREATED = "task_created"
    TASK_CLAIMED = "task_claimed"
    TASK_COMPLETED = "task_completed"
    TASK_EXPIRED = "task_expired"
    ACTION_BLOCKED = "action_blocked"
    AGENT_FROZEN = "agent_frozen"
    AGENT_UNFROZEN = "agent_unfrozen"
    AUDIT = "audit"
    LLM_CALL = "llm_call"
    KILL_SWITCH = "kill_switch"
    EPOCH_COMPLETED = "epoch_completed"
    SIMULATION_ENDED = "simulation_ended"


class Event(BaseModel):
    """One line of the event log (without its hash-chain fields, which the log adds)."""

    seq: int = 0
    event_type: EventType
    timestamp: float = 0.0
    epoch: int = 0
    step: int = 0
    agent_id: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        rec: dict[str, Any] = {
            "seq": self.seq,
            "type": self.event_type.value,
            "t": self.timestamp,
            "epoch": self.epoch,
            "step": self.step,
        }
        if self.agent_id is not None:
            rec["agent"] = self.agent_id
        if self.payload:
            rec["data"] = self.payload
        return rec

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> "Event":
        return cls(
            seq=rec.get("seq", 0),
            event_type=EventType(rec["type"]),
            timestamp=rec.get("t", 0.0),
            epoch=rec.get("epoch", 0),
            step=rec.get("step", 0),
            agent_id=rec.get("agent"),
            payload=rec.get("data", {}),
        )
