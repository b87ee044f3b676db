"""Agent types and the per-agent state record (a view of one row of the engine's agent table)."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, Field


class AgentType(str, Enum):
    HONEST = "honest"
    OPPORTUNISTIC = "opportunistic"
    DECEPTIVE = "deceptive"
    ADVERSARIAL = "adversarial"
    ADAPTIVE_ADVERSARY = "adaptive_adversary"
    LLM = "llm"
    CUSTOM = "custom"
    # added after the others: the codes above keep their values
    ATTACKER = "attacker"
    MODERATOR = "moderator"
    SYBIL = "sybil"

    @property
    def code(self) -> int:
        return _AGENT_CODES[self]

    @classmethod
    def from_code(cls, code: int) -> AgentType:
        return _AGENTS_BY_CODE[int(code)]


_AGENTS_BY_CODE = list(AgentType)
_AGENT_CODES = {t: i for i, t in enumerate(_AGENTS_BY_CODE)}

#: Types whose members are counted as "bad actors" in reports (payoff of bad actors, frozen bad actors).
BAD_ACTOR_TYPES = frozenset(
    {
        AgentType.DECEPTIVE,
        AgentType.ADVERSARIAL,
        AgentType.ADAPTIVE_ADVERSARY,
        AgentType.ATTACKER,
        AgentType.SYBIL,
    }
)


class AgentState(BaseModel):
    """Snapshot of one agent. Inside the engine these values live in numpy columns (`AgentTable`)."""

    agent_id: str
    agent_type: AgentType = AgentType.HONEST
    reputation: float = 0.0
    resources: float = Field(default=100.0)
    total_payoff: float = 0.0
    interactions_initiated: int = 0
    interactions_received: int = 0
    posts: int = 0
    votes_cast: int = 0
    frozen_until_epoch: int = -1
    is_frozen: bool = False
