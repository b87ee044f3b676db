"""Environment state: rate limits, safety rails, and the shared world (feed, tasks, clock)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from distsafe.env.feed import Feed
from distsafe.env.tasks import TaskPool
from distsafe.models.config_base import ConfigModel

#: the actions a `tool_allowlist` names (a noop is always allowed)
TOOLS: tuple[str, ...] = ("post", "reply", "vote", "propose", "claim")


def _unset(value: Any) -> bool:
    """Off at its default (None / 0 / empty): left out of a run's header."""
    return value is None or value == 0 or value == {}


class RateLimits(ConfigModel):
    """Per-agent, per-epoch limits. Actions beyond a limit are blocked and logged as `action_blocked`."""

    model_config = ConfigDict(extra="forbid")

    max_posts_per_epoch: int = Field(default=10, ge=0)
    max_votes_per_epoch: int = Field(default=20, ge=0)
    max_interactions_per_epoch: int = Field(default=20, ge=0)
    #: task claims per agent per epoch (the reference implementation's `tasks_per_epoch`); None: no cap.
    #: Left out of config dumps while unset, so runs without it keep their logs.
    max_tasks_per_epoch: int | None = Field(default=None, ge=0, exclude_if=lambda v: v is None)
    #: the marketplace (env.market, core.parts.market): bounties posted and bids submitted per agent per
    #: epoch (the reference implementation's names); None: the reference's defaults, 3 and 5. Left out of
    #: config dumps while unset.
    bounties_per_epoch: int | None = Field(default=None, ge=0, exclude_if=lambda v: v is None)
    bids_per_epoch: int | None = Field(default=None, ge=0, exclude_if=lambda v: v is None)


class SafetyConfig(ConfigModel):
    """The plan's safety rails.

    budget_per_epoch: the most an agent may pay out in transfers (tau) in one epoch.
    max_content_length: posts and replies longer than this are blocked.
    kill_switch_enabled / kill_switch_toxicity: stop the run after an epoch whose toxicity exceeds the
    threshold (the orchestrator's `kill()` stops it from outside at any time).
    kill_switch_min_accepted: the kill switch reads an epoch's toxicity only when the epoch accepted at
    least this many interactions. With a calibrated p, one bad interaction has toxicity near 1, so an
    epoch of one or two interactions would stop the run on noise (as the circuit breaker waits for
    `circuit_breaker_min_interactions`).

    The plan's further rails (seed 002, "Safety Rails"; all off by default, and left out of a run's
    header while off, so that runs without them keep their logs):

    max_interactions_per_step: an agent takes part in at most this many interactions in one step, as
    initiator or counterparty; proposals are taken in turn order, and one that would take either party
    over the limit is blocked (`rate_limit_step`).
    min_time_between_posts: a post or reply less than this much simulation time (steps; the plan's
    seconds) after the agent's previous one is blocked (`post_cooldown`).
    tool_allowlist: role -> the actions agents in that role may take (`post`, `reply`, `vote`,
    `propose`, `claim`; doing nothing is always allowed). An agent may take the actions of any of its
    listed roles; an agent none of whose roles is listed gets the `"*"` entry, or every action if there
    is none. Anything else is blocked (`tool_not_allowed`).
    token_bucket_capacity / token_bucket_refill: every action but a noop takes one token from the
    agent's bucket, which holds `capacity` tokens (full at the start) and gets `refill` back each step;
    an action with no token left is blocked (`token_bucket`).
    """

    model_config = ConfigDict(extra="forbid")

    budget_per_epoch: float = Field(default=100.0, ge=0)
    max_content_length: int = Field(default=1000, ge=1)
    kill_switch_enabled: bool = True
    kill_switch_toxicity: float = Field(default=0.95, gt=0, le=1)
    kill_switch_min_accepted: int = Field(default=10, ge=1)
    max_interactions_per_step: int | None = Field(default=None, ge=1, exclude_if=_unset)
    min_time_between_posts: float = Field(default=0.0, ge=0, exclude_if=_unset)
    tool_allowlist: dict[str, list[str]] | None = Field(default=None, exclude_if=_unset)
    token_bucket_capacity: float | None = Field(default=None, ge=1, exclude_if=_unset)
    token_bucket_refill: float = Field(default=1.0, ge=0, exclude_if=lambda v: v == 1.0)

    @field_validator("tool_allowlist")
    @classmethod
    def _known_tools(cls, v: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        for role, tools in (v or {}).items():
            for tool in tools:
                if tool not in TOOLS:
                    raise ValueError(f"{role}: unknown action {tool!r}; known: {', '.join(TOOLS)}")
        return v


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
