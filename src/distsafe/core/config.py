"""`OrchestratorConfig`: what a run is set up with (epoch metrics live in `distsafe.metrics.epoch`).

`OrchestratorConfig` is assembled from section models that a scenario file also uses as its blocks
(`simulation:`, `environment:`, `reputation:` hold `OrchestratorConfig`'s top-level fields; `payoff:`,
`proxy:`, `governance:` ... are its `*_config` fields), so every field is declared once, here or in its
component's module. `distsafe.scenarios.builder.orchestrator_config` turns a scenario into this config.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, ConfigDict, Field, field_validator, model_validator

from distsafe.boundaries.permeability import PermeabilityEngineConfig
from distsafe.core.dynamics import DynamicsConfig
from distsafe.core.limits import Limits
from distsafe.core.observables import ObservableConfig
from distsafe.core.payoff import PayoffConfig
from distsafe.core.perturbation import PerturbationConfig
from distsafe.core.proxy import ProxyConfig
from distsafe.env.auction_run import AuctionRunConfig
from distsafe.env.composite_tasks import CompositeTaskConfig
from distsafe.env.contracts import ContractsConfig
from distsafe.env.dynamic_toxicity import DynamicToxicityConfig
from distsafe.env.feed import FeedConfig
from distsafe.env.hfn_agents import HFNRunConfig
from distsafe.env.market import MarketplaceConfig
from distsafe.env.mission_run import MissionRunConfig
from distsafe.env.motifs import MotifConfig
from distsafe.env.network import NetworkConfig
from distsafe.env.spawn import SpawnConfig
from distsafe.env.state import RateLimits, SafetyConfig
from distsafe.env.tasks import TaskConfig
from distsafe.governance.config import GovernanceConfig
from distsafe.metrics.epoch import (
    EpochMetrics,  # noqa: F401  (moved; old import path kept)
    check_metric_names,
)
from distsafe.models.config_base import ConfigModel
from distsafe.models.identity import IdentityEngineConfig


class SimulationConfig(ConfigModel):
    """Length, seed and pacing of a run: a scenario's `simulation:` block (`epochs` is the seeds' alias of
    `n_epochs`)."""

    model_config = ConfigDict(extra="forbid")

    n_epochs: int = Field(default=10, ge=1, validation_alias=AliasChoices("n_epochs", "epochs"))
    steps_per_epoch: int = Field(default=10, ge=1)
    seed: int = Field(default=0, ge=0)
    scheduling: Literal["round_robin", "random", "priority"] = "round_robin"
    #: peers sampled into each object agent's observation
    observation_peers: int = Field(default=10, ge=1)
    #: LLM agents: how many of their calls run at once
    max_concurrent_llm: int = Field(default=8, ge=1)
    #: observation noise (core/observation_noise.py): the probability that an agent's reputation as the
    #: others see it is noised at a decision, and the noise's standard deviation (either 0: off)
    observation_noise_probability: float = Field(default=0.0, ge=0, le=1, exclude_if=lambda v: v == 0)
    observation_noise_std: float = Field(default=0.0, ge=0, exclude_if=lambda v: v == 0)
    #: at most this many agents act per step: the first ones of the schedule that may act (the
    #: reference implementation's cap, core.turns.begin_step); None: no cap
    max_actions_per_step: int | None = Field(default=None, ge=1, exclude_if=lambda v: v is None)


class EnvironmentConfig(ConfigModel):
    """Every agent's start: a scenario's `environment:` block, where the resources are the seeds'
    `initial_budget`."""

    model_config = ConfigDict(extra="forbid")

    initial_resources: float = Field(default=100.0, ge=0, alias="initial_budget")
    initial_reputation: float = 0.0


class ReputationConfig(ConfigModel):
    """Reputation change per accepted interaction: r_a = rate_initiator * (2p - 1), r_b likewise.
    A scenario's `reputation:` block names the fields `rate_initiator`, `rate_counterparty`."""

    model_config = ConfigDict(extra="forbid")

    reputation_rate_initiator: float = Field(default=0.1, ge=0, alias="rate_initiator")
    reputation_rate_counterparty: float = Field(default=0.05, ge=0, alias="rate_counterparty")


class OrchestratorConfig(SimulationConfig, EnvironmentConfig, ReputationConfig):
    """Everything the engine needs. Every cap the engine applies is one of these fields.

    The fields of `SimulationConfig`, `EnvironmentConfig` and `ReputationConfig` are top-level fields here,
    under their Python names (`initial_resources`, `reputation_rate_initiator`; the scenario spellings are
    accepted too).
    """

    model_config = ConfigDict(
        extra="forbid", arbitrary_types_allowed=True, validate_by_name=True, validate_by_alias=True
    )

    scenario_id: str = "custom"

    governance_config: GovernanceConfig | None = None
    payoff_config: PayoffConfig = Field(default_factory=PayoffConfig)
    proxy_config: ProxyConfig = Field(default_factory=ProxyConfig)
    observable_config: ObservableConfig = Field(default_factory=ObservableConfig)
    feed_config: FeedConfig = Field(default_factory=FeedConfig)
    task_config: TaskConfig = Field(default_factory=TaskConfig)
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    safety: SafetyConfig = Field(default_factory=SafetyConfig)
    dynamics_config: DynamicsConfig = Field(default_factory=DynamicsConfig)
    #: who can interact with whom (env.network; a scenario's `network:` block); None: everyone
    network_config: NetworkConfig | None = Field(default=None, exclude_if=lambda v: v is None)
    #: composite tasks (env.composite_tasks; a scenario's `composite_tasks:` block and
    #: `governance.composite_tasks_enabled`): on with either field set
    enable_composite_tasks: bool = Field(default=False, exclude_if=lambda v: v is False)
    composite_task_config: CompositeTaskConfig | None = Field(default=None, exclude_if=lambda v: v is None)
    #: seed 003's high-frequency negotiation (env.hfn; a scenario's `hfn:` block); None: off
    hfn_config: HFNRunConfig | None = Field(default=None, exclude_if=lambda v: v is None)
    #: seed 003's Dworkin auctions (env.auction, core.parts.auction; a scenario's `auction:` block); None: off
    auction_config: AuctionRunConfig | None = Field(default=None, exclude_if=lambda v: v is None)
    #: seed 003's mission economy (env.mission, core.parts.mission; a scenario's `missions:` block); None: off
    mission_config: MissionRunConfig | None = Field(default=None, exclude_if=lambda v: v is None)
    #: seed 002's marketplace (env.market; a scenario's `marketplace:` block); None or enabled=False: off
    market_config: MarketplaceConfig | None = Field(default=None, exclude_if=lambda v: v is None)
    #: seed 002's Moltbook motifs (env.motifs; a scenario's `motifs:` block); None: off
    motif_config: MotifConfig | None = Field(default=None, exclude_if=lambda v: v is None)
    #: seed 003's identity and trust infrastructure (models.identity; core.parts.identity): None: off
    identity_config: IdentityEngineConfig | None = Field(default=None, exclude_if=lambda v: v is None)
    #: seed 003's permeability model (boundaries.permeability; core.parts.permeability): None: off
    permeability_config: PermeabilityEngineConfig | None = Field(default=None, exclude_if=lambda v: v is None)
    #: dynamic toxicity (env.dynamic_toxicity; a scenario's `dynamic_toxicity:` block); None: off
    dynamic_toxicity_config: DynamicToxicityConfig | None = Field(
        default=None, exclude_if=lambda v: v is None
    )
    #: contract markets (env.contracts; a scenario's `contracts:` block, the reference's); None: off
    contracts_config: ContractsConfig | None = Field(default=None, exclude_if=lambda v: v is None)
    #: recursive spawning (env.spawn; a scenario's `spawn:` block, the reference's); None: off
    spawn_config: SpawnConfig | None = Field(default=None, exclude_if=lambda v: v is None)
    #: the reference's perturbations (core.perturbation; a scenario's `perturbations:` block); None: off
    perturbation_config: PerturbationConfig | None = Field(default=None, exclude_if=lambda v: v is None)

    log_path: Path | None = None
    log_events: bool = False
    log_format: Literal["jsonl", "parquet"] | None = None  # None: from the log_path suffix

    #: LLM agents: where their calls are recorded/replayed
    llm_recording_path: Path | None = None
    llm_replay: bool = False

    #: metrics to report beside the standard ones (a scenario's `metrics_to_track`; metrics.epoch)
    metrics_to_track: list[str] = Field(default_factory=list, exclude_if=lambda v: not v)
    #: caps on the run's size (core.limits; from --limit / DISTSAFE_MAX_* / defaults): not part of the run
    limits: Limits = Field(default_factory=Limits.current, exclude=True)

    @field_validator("metrics_to_track")
    @classmethod
    def _known_metrics(cls, v: list[str]) -> list[str]:
        return check_metric_names(v)

    @model_validator(mode="after")
    def _within_limits(self) -> OrchestratorConfig:
        found = self.limits.run_problem(1, self.n_epochs, self.steps_per_epoch)
        if found is not None:
            raise ValueError(found[1])
        return self
