"""What the security lever reports (seed 001, "Security Evaluation"): threat types, indicators, contagion
chains, containment actions and the `SecurityReport` that `Orchestrator.get_security_report()` returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class ThreatType(str, Enum):
    """The seed's threat types, each found by its own detector (`governance.security`)."""

    PROMPT_INJECTION = "prompt_injection"
    CROSS_AGENT_MANIPULATION = "cross_agent_manipulation"
    INFORMATION_LAUNDERING = "information_laundering"
    CONTAGION = "contagion"
    EXFILTRATION = "exfiltration"


@dataclass(frozen=True)
class ThreatIndicator:
    """One detection: `source_agent` shows the pattern of `threat_type` with strength `score` (in [0, 1]);
    `target_agents` are the agents it was seen acting on (at most 5, most frequent first)."""

    threat_type: ThreatType
    source_agent: str
    target_agents: tuple[str, ...]
    score: float
    epoch: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "threat_type": self.threat_type.value,
            "source_agent": self.source_agent,
            "target_agents": list(self.target_agents),
            "score": round(self.score, 6),
            "epoch": self.epoch,
        }


@dataclass
class ContagionChain:
    """A chain of low-quality interactions spreading from `origin` within one epoch: `depth` hops at most,
    `n_interactions` links at `velocity` links per step; `contained` once its origin is quarantined."""

    origin: str
    agents: tuple[str, ...]
    depth: int
    n_interactions: int
    velocity: float
    epoch: int
    contained: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "agents": list(self.agents),
            "depth": self.depth,
            "n_interactions": self.n_interactions,
            "velocity": round(self.velocity, 6),
            "epoch": self.epoch,
            "contained": self.contained,
        }


@dataclass(frozen=True)
class ContainmentAction:
    """What the lever (or an operator) did to an agent: quarantine, release or penalty."""

    action: str
    agent: str
    epoch: int
    threat_score: float
    amount: float = 0.0
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "agent": self.agent,
            "epoch": self.epoch,
            "threat_score": round(self.threat_score, 6),
            "amount": round(self.amount, 6),
            "reason": self.reason,
        }


@dataclass
class SecurityReport:
    """The ecosystem's security state (seed 001's security metrics, plus what was done about it)."""

    ecosystem_threat_level: float = 0.0
    active_threat_count: int = 0
    threat_indicators: list[ThreatIndicator] = field(default_factory=list)
    agents_flagged: set[str] = field(default_factory=set)
    quarantined_agents: set[str] = field(default_factory=set)
    prompt_injection_rate: float = 0.0
    manipulation_rate: float = 0.0
    contagion_depth: int = 0
    contagion_chains: list[ContagionChain] = field(default_factory=list)
    containment_actions: list[ContainmentAction] = field(default_factory=list)
    threat_scores: dict[str, float] = field(default_factory=dict)

    @property
    def containment_effectiveness(self) -> float:
        """Share of the contagion chains found whose origin is quarantined (1.0 when there were none)."""
        if not self.contagion_chains:
            return 1.0
        return sum(c.contained for c in self.contagion_chains) / len(self.contagion_chains)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ecosystem_threat_level": self.ecosystem_threat_level,
            "active_threat_count": self.active_threat_count,
            "agents_flagged": sorted(self.agents_flagged),
            "quarantined_agents": sorted(self.quarantined_agents),
            "prompt_injection_rate": self.prompt_injection_rate,
            "manipulation_rate": self.manipulation_rate,
            "contagion_depth": self.contagion_depth,
            "containment_effectiveness": self.containment_effectiveness,
            "threat_indicators": [t.to_dict() for t in self.threat_indicators],
            "contagion_chains": [c.to_dict() for c in self.contagion_chains],
            "containment_actions": [a.to_dict() for a in self.containment_actions],
        }
