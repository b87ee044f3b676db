"""`OrchestratorConfig` and `EpochMetrics`: what a run is set up with and what each epoch reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from distsafe.core.observables import ObservableConfig
from distsafe.core.payoff import PayoffConfig
from distsafe.core.proxy import ProxyConfig
from distsafe.env.feed import FeedConfig
from distsafe.env.state import RateLimits, SafetyConfig
from distsafe.env.tasks import TaskConfig
from distsafe.governance.config import GovernanceConfig
from distsafe.metrics.epoch import EpochMetrics  # noqa: F401  (moved; old import path kept)


class OrchestratorConfig(BaseModel):
    """Everything the engine needs. Every cap the engine applies is one of these fields."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    n_epochs: int = Field(default=10, ge=1)
    steps_per_epoch: int = Field(default=10, ge=1)
    seed: int = Field(default=0, ge=0)
    scheduling: Literal["round_robin", "random", "priority"] = "round_robin"
    scenario_id: str = "custom"

    governance_config: GovernanceConfig | None = None
    payoff_config: PayoffConfig = Field(default_factory=PayoffConfig)
    proxy_config: ProxyConfig = Field(default_factory=ProxyConfig)
    observable_config: ObservableConfig = Field(default_factory=ObservableConfig)
    feed_config: FeedConfig = Field(default_factory=FeedConfig)
    task_config: TaskConfig = Field(default_factory=TaskConfig)
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    safety: SafetyConfig = Field(default_factory=SafetyConfig)

    #: reputation change per accepted interaction: r_a = rate_initiator * (2p - 1), r_b likewise
    reputation_rate_initiator: float = Field(default=0.1, ge=0)
    reputation_rate_counterparty: float = Field(default=0.05, ge=0)
    initial_resources: float = Field(default=100.0, ge=0)
    initial_reputation: float = 0.0
    #: peers sampled into each object agent's observation
    observation_peers: int = Field(default=10, ge=1)

    log_path: Path | None = None
    log_events: bool = False
    log_format: Literal["jsonl", "parquet"] | None = None  # None: from the log_path suffix

    #: LLM agents: how many of their calls run at once, and where their calls are recorded/replayed
    max_concurrent_llm: int = Field(default=8, ge=1)
    llm_recording_path: Path | None = None
    llm_replay: bool = False
