"""Environment state: rate limits, safety rails, and the shared world (feed, tasks, clock)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from distsafe.env.feed import Feed
from distsafe.env.tasks import TaskPool


class RateLimits(BaseModel):
    """Per-agent, per-epoch limits. Actions beyond a limit are blocked and logged as `action_blocked`."""

    model_config = ConfigDict(extra="forbid")

    max_posts_per_epoch: int = Field(default=10, ge=0)
    max_votes_per_epoch: int = Field(default=20, ge=0)
    max_interactions_per_epoch: int = Field(default=20, ge=0)


class SafetyConfig(BaseModel):
    """The plan's safety rails.

    budget_per_epoch: the most an agent may pay out in transfers (tau) in one epoch.
    max_content_length: posts and replies longer than this are blocked.
    kill_switch_enabled / kill_switch_toxicity: stop the run after an epoch whose toxicity exceeds the
    threshold (the orchestrator's `kill()` stops it from outside at any time).
    """

    model_config = ConfigDict(extra="forbid")

    budget_per_epoch: float = Field(default=100.0, ge=0)
    max_content_length: int = Field(default=1000, ge=1)
    kill_switch_enabled: bool = True
    kill_switch_toxicity: float = Field(default=0.95, gt=0, le=1)


@dataclass
class EnvState:
    """The world the agents share. Agent state itself lives in the engine's `AgentTable`."""

    feed: Feed
    tasks: TaskPool
    rate_limits: RateLimits = field(default_factory=RateLimits)
    safety: SafetyConfig = field(default_factory=SafetyConfig)
    epoch: int = 0
    step: int = 0
    steps_per_epoch: int = 10
    killed: bool = False
    kill_reason: str = ""

    @property
    def time(self) -> int:
        """Simulation time: the global step index."""
        return self.epoch * self.steps_per_epoch + self.step
