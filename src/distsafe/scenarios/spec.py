"""Scenario files: the seeds' YAML format, validated (`extra="forbid"` everywhere).

    scenario_id, description, motif
    agents:            list of {type, count, role/roles, params, llm, id_prefix}
    governance:        GovernanceConfig
    simulation:        SimulationConfig (n_epochs, alias epochs; steps_per_epoch, seed, ...) + log_format
    payoff:            PayoffConfig
    success_criteria:  thresholds checked after the run (PASS/FAIL)
  and the optional blocks proxy (ProxyConfig), observables (ObservableConfig), feed (FeedConfig), tasks
  (TaskConfig), rate_limits (RateLimits), safety (SafetyConfig), environment (EnvironmentConfig),
  reputation (ReputationConfig), dynamics (DynamicsConfig: population update), metrics_to_track.

Every block but agents and success_criteria is the engine's own config model, declared once beside the
engine; `distsafe.scenarios.builder.orchestrator_config` makes the `OrchestratorConfig` from them.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from distsafe.agents.llm.config import LLMConfig
from distsafe.boundaries.permeability import PermeabilityEngineConfig
from distsafe.core.config import EnvironmentConfig, ReputationConfig, SimulationConfig
from distsafe.core.dynamics import DynamicsConfig
from distsafe.core.limits import ScenarioLimits
from distsafe.core.observables import ObservableConfig
from distsafe.core.payoff import PayoffConfig
from distsafe.core.perturbation import PerturbationConfig
from distsafe.core.proxy import ProxyConfig
from distsafe.env.auction_run import AuctionRunConfig
from distsafe.env.composite_tasks import CapabilityType, CompositeTaskConfig
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
from distsafe.metrics.epoch import check_metric_names
from distsafe.models.config_base import ConfigModel
from distsafe.models.identity import IdentityEngineConfig
from distsafe.scenarios.contract_criteria import ContractCriteria
from distsafe.scenarios.criteria_rows import Results
from distsafe.scenarios.economy_criteria import AuctionMissionCriteria
from distsafe.scenarios.hfn_criteria import HFNCriteria
from distsafe.scenarios.identity_criteria import IdentityCriteria
from distsafe.scenarios.market_criteria import MarketCriteria
from distsafe.scenarios.motif_criteria import MotifCriteria
from distsafe.scenarios.social_criteria import SocialCriteria

SCRIPTED_TYPES: tuple[str, ...] = ("honest", "opportunistic", "deceptive", "adversarial")
SCRIPTED_TYPES += ("attacker", "adaptive_adversary", "moderator")  # security and red-teaming (seed 001/002)
SCRIPTED_TYPES += ("sybil",)  # seed 003: an entity running several identities (agents/sybil.py)
AGENT_TYPES = SCRIPTED_TYPES + ("llm",)
ROLES = ("planner", "worker", "verifier", "poster", "moderator")


class AgentSpec(ConfigModel):
    model_config = ConfigDict(extra="forbid")

    type: str
    count: int = Field(default=1, ge=1)
    role: str | None = None
    roles: list[str] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)
    llm: LLMConfig | None = None
    id_prefix: str | None = None
    #: composite-task capabilities of these agents (env.composite_tasks: research, analysis, ...)
    capabilities: list[CapabilityType] = Field(default_factory=list)

    @field_validator("type")
    @classmethod
    def _known_type(cls, v: str) -> str:
        if v not in AGENT_TYPES:
            raise ValueError(f"unknown agent type {v!r}; known: {', '.join(AGENT_TYPES)}")
        return v

    @field_validator("params")
    @classmethod
    def _params_valid(cls, v: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        """A scripted agent's params are its policy's knobs: checked here, so the error has its line."""
        kind = info.data.get("type")
        if kind in SCRIPTED_TYPES and v:
            from distsafe.agents.registry import policy_for

            try:
                policy_for(kind, v, None)
            except ValidationError as e:
                first = e.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                msg = "unknown field" if first["type"] == "extra_forbidden" else first["msg"]
                raise ValueError(f"{where}: {msg.removeprefix('Value error, ')}") from None
        return v

    @model_validator(mode="after")
    def _check(self) -> AgentSpec:
        for r in self.all_roles():
            if r not in ROLES:
                raise ValueError(f"unknown role {r!r}; known: {', '.join(ROLES)}")
        if self.type == "llm" and self.llm is None:
            raise ValueError("an llm agent needs an 'llm:' block (provider, model, persona, ...)")
        if self.type != "llm" and self.llm is not None:
            raise ValueError(f"'llm:' is only for type llm, not {self.type!r}")
        return self

    def all_roles(self) -> list[str]:
        return ([self.role] if self.role else []) + [r for r in self.roles if r != self.role]

    def prefix(self) -> str:
        return self.id_prefix or self.type


class SimulationSpec(SimulationConfig):
    """The `simulation:` block: `SimulationConfig` and the event log's format (which the engine takes as a
    run option, with no default of its own)."""

    log_format: Literal["jsonl", "parquet"] = "jsonl"


class SuccessCriteria(
    SocialCriteria,
    HFNCriteria,
    AuctionMissionCriteria,
    MarketCriteria,
    MotifCriteria,
    IdentityCriteria,
    ContractCriteria,
):
    """Thresholds over the run's results; each set one is checked and printed as PASS or FAIL."""

    model_config = ConfigDict(extra="forbid")

    max_avg_toxicity: float | None = Field(default=None, ge=0, le=1)
    max_final_toxicity: float | None = Field(default=None, ge=0, le=1)
    min_avg_quality_gap: float | None = Field(default=None, ge=-1, le=1)
    min_welfare_per_epoch: float | None = None
    max_bad_actor_payoff: float | None = None
    max_adversary_payoff: float | None = None
    min_tasks_completed: int | None = Field(default=None, ge=0)
    min_epochs: int | None = Field(default=None, ge=1)
    #: true: at least one agent of a bad-actor type (models.agent.BAD_ACTOR_TYPES) was frozen in the run
    bad_actor_frozen: bool | None = None
    min_interactions: int | None = Field(default=None, ge=0)
    # security and red-teaming (seed 001): per-epoch security metrics, the security lever's counters,
    # detection against ground truth (metrics.detection), welfare and honest agents' payoff
    max_ecosystem_threat_level: float | None = Field(default=None, ge=0, le=1)
    max_contagion_depth: int | None = Field(default=None, ge=0)
    min_containment_effectiveness: float | None = Field(default=None, ge=0, le=1)
    min_detection_rate: float | None = Field(default=None, ge=0, le=1)
    max_honest_false_positive_rate: float | None = Field(default=None, ge=0, le=1)
    min_total_welfare: float | None = None
    #: mean over the epochs of the net social welfare (metrics.epoch OPTIONAL_METRICS; the reference's
    #: criterion of the same name), tracked automatically when this is set
    min_net_social_welfare: float | None = None
    min_honest_agent_payoff: float | None = None
    #: the run's population is at least this (the reference implementation's `min_agents`)
    min_agents: int | None = Field(default=None, ge=0)

    def evaluate(
        self, summary: dict[str, Any], epoch_values: list[dict[str, Any]]
    ) -> list[tuple[str, bool, str]]:
        """[(criterion, passed, detail)] for each criterion that is set."""
        out: list[tuple[str, bool, str]] = []

        def check(name: str, value: float, bound: float, upper: bool) -> None:
            ok = (not math.isnan(value)) and (value <= bound if upper else value >= bound)
            out.append((name, ok, f"{value:.4g} {'<=' if upper else '>='} {bound:g}"))

        final_tox = epoch_values[-1]["toxicity_rate"] if epoch_values else float("nan")
        # the task pool's verified tasks and the composite tasks completed (env.composite_tasks)
        tasks = sum(v.get("tasks_completed", 0) + v.get("composite_tasks_completed", 0) for v in epoch_values)
        if self.max_avg_toxicity is not None:
            check("max_avg_toxicity", summary["avg_toxicity"], self.max_avg_toxicity, True)
        if self.max_final_toxicity is not None:
            check("max_final_toxicity", final_tox, self.max_final_toxicity, True)
        if self.min_avg_quality_gap is not None:
            check("min_avg_quality_gap", summary["avg_quality_gap"], self.min_avg_quality_gap, False)
        if self.min_welfare_per_epoch is not None:
            check("min_welfare_per_epoch", summary["welfare_per_epoch"], self.min_welfare_per_epoch, False)
        if self.max_bad_actor_payoff is not None:
            bad_pay = float(summary["bad_actor_payoff"])
            if math.isnan(bad_pay):  # undefined only when no agent is of a bad-actor type
                out.append(
                    ("max_bad_actor_payoff", True, "no bad actors in the population: passes vacuously")
                )
            else:
                check("max_bad_actor_payoff", bad_pay, self.max_bad_actor_payoff, True)
        if self.max_adversary_payoff is not None:
            # the adversarial type's mean payoff; the adaptive adversaries' if there are no others (the
            # larger of the two when a run has both)
            adv = [
                float(summary[k])
                for k in ("payoff_adversarial", "payoff_adaptive_adversary")
                if k in summary and not math.isnan(float(summary[k]))
            ]
            if not adv:  # no adversarial agent in the population
                out.append(("max_adversary_payoff", True, "no adversarial agents: passes vacuously"))
            else:
                check("max_adversary_payoff", max(adv), self.max_adversary_payoff, True)
        if self.min_tasks_completed is not None:
            check("min_tasks_completed", float(tasks), self.min_tasks_completed, False)
        if self.min_epochs is not None:
            check("min_epochs", float(summary["epochs"]), self.min_epochs, False)
        if self.min_interactions is not None:
            check("min_interactions", float(summary["n_interactions"]), self.min_interactions, False)
        out.extend(self._security_criteria(summary, epoch_values))
        if self.min_agents is not None:
            check("min_agents", float(summary["n_agents"]), self.min_agents, False)
        if self.bad_actor_frozen is not None:
            # bad-actor types only (deceptive, adversarial, adaptive adversary): a frozen honest or
            # opportunistic agent does not count
            n_bad = int(summary.get("bad_actors_frozen", 0))
            frozen = n_bad > 0
            out.append(
                (
                    "bad_actor_frozen",
                    frozen == self.bad_actor_frozen,
                    f"bad actors frozen={n_bad}, wanted {'some' if self.bad_actor_frozen else 'none'}",
                )
            )
        out.extend(self.evaluate_social(summary, epoch_values))
        out.extend(self.evaluate_hfn(summary, epoch_values))
        out.extend(self.evaluate_auction_mission(summary, epoch_values))
        out.extend(self.evaluate_market(epoch_values))
        out.extend(self.evaluate_motifs(epoch_values))
        out.extend(self.evaluate_identity(summary, epoch_values))
        out.extend(self.evaluate_contracts(epoch_values))
        return out

    def _security_criteria(
        self, summary: dict[str, Any], epoch_values: list[dict[str, Any]]
    ) -> list[tuple[str, bool, str]]:
        """The security and red-team criteria (peak threat level and contagion depth over the epochs)."""
        nan = float("nan")
        got = summary.get

        def peak(key: str) -> float:
            vals = [float(v[key]) for v in epoch_values if key in v]
            return max(vals) if vals else nan

        def mean(key: str) -> float:
            vals = [float(v[key]) for v in epoch_values if key in v]
            return sum(vals) / len(vals) if vals else nan

        rows: list[tuple[str, float | None, float, bool]] = [
            ("max_ecosystem_threat_level", self.max_ecosystem_threat_level, peak("ecosystem_threat_level"),
             True),
            ("max_contagion_depth", self.max_contagion_depth, peak("contagion_depth"), True),
            ("min_containment_effectiveness", self.min_containment_effectiveness,
             float(summary.get("containment_effectiveness", nan)), False),
            ("min_detection_rate", self.min_detection_rate, float(summary.get("detection_rate", nan)), False),
            ("max_honest_false_positive_rate", self.max_honest_false_positive_rate,
             float(summary.get("honest_false_positive_rate", nan)), True),
            ("min_total_welfare", self.min_total_welfare, float(summary.get("total_welfare", nan)), False),
            ("min_net_social_welfare", self.min_net_social_welfare, mean("net_social_welfare"), False),
            ("min_honest_agent_payoff", self.min_honest_agent_payoff, float(got("payoff_honest", nan)),
             False),
        ]  # fmt: skip
        return Results.of(rows)


class ScenarioSpec(ConfigModel):
    model_config = ConfigDict(extra="forbid")

    scenario_id: str = Field(min_length=1)
    description: str = ""
    motif: str | None = None
    agents: list[AgentSpec] = Field(min_length=1)
    governance: GovernanceConfig = Field(default_factory=GovernanceConfig)
    simulation: SimulationSpec = Field(default_factory=SimulationSpec)
    payoff: PayoffConfig = Field(default_factory=PayoffConfig)
    proxy: ProxyConfig = Field(default_factory=ProxyConfig)
    observables: ObservableConfig = Field(default_factory=ObservableConfig)
    feed: FeedConfig = Field(default_factory=FeedConfig)
    tasks: TaskConfig = Field(default_factory=TaskConfig)
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    safety: SafetyConfig = Field(default_factory=SafetyConfig)
    environment: EnvironmentConfig = Field(default_factory=EnvironmentConfig)
    reputation: ReputationConfig = Field(default_factory=ReputationConfig)
    dynamics: DynamicsConfig = Field(default_factory=DynamicsConfig)
    #: seed 001's network topology (env.network); None: everyone may interact with everyone
    network: NetworkConfig | None = None
    #: seed 001's composite tasks (env.composite_tasks); on with this block or
    #: governance.composite_tasks_enabled
    composite_tasks: CompositeTaskConfig | None = None
    #: seed 003's high-frequency negotiation (env.hfn): the order book and its traders; None: off
    hfn: HFNRunConfig | None = None
    #: seed 003's Dworkin auctions (env.auction_run); None: no auctions
    auction: AuctionRunConfig | None = None
    #: seed 003's mission economy (env.mission_run); None: no missions
    missions: MissionRunConfig | None = None
    #: seed 002's marketplace (env.market: bounties, bids, escrow, disputes); the reference's name
    marketplace: MarketplaceConfig | None = None
    #: seed 002's Moltbook motifs (env.motifs, docs/motifs.md); None: off
    motifs: MotifConfig | None = None
    #: seed 003's identity and trust infrastructure (core.parts.identity); None: off
    identity: IdentityEngineConfig | None = None
    #: seed 003's permeability model (core.parts.permeability); None: off
    permeability: PermeabilityEngineConfig | None = None
    #: dynamic toxicity (env.dynamic_toxicity; the reference implementation's section); None: off
    dynamic_toxicity: DynamicToxicityConfig | None = None
    #: contract markets (env.contracts; the reference implementation's section); None: off
    contracts: ContractsConfig | None = None
    #: recursive spawning (env.spawn; the reference implementation's section); None: off
    spawn: SpawnConfig | None = None
    #: the reference's perturbations (core.perturbation: dropout, partitions, parameter shocks); None: off
    perturbations: PerturbationConfig | None = None
    success_criteria: SuccessCriteria = Field(default_factory=SuccessCriteria)
    metrics_to_track: list[str] = Field(default_factory=list)
    #: run caps this scenario lowers for itself (distsafe.core.limits; a scenario cannot raise them)
    limits: ScenarioLimits = Field(default_factory=ScenarioLimits, exclude_if=lambda v: v == ScenarioLimits())
    #: fields of the reference format's missing features that a `--lenient` load dropped (set by the loader,
    #: never read from a file; written to the run's manifest)
    ignored_fields: list[str] = Field(default_factory=list, exclude=True)
    #: fields of the reference format that change nothing here (its `outputs:` paths, switched-off
    #: features, success criteria it does not evaluate either); set by the loader, written to the manifest
    no_op_fields: list[str] = Field(default_factory=list, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _ignored_not_from_file(cls, data: Any) -> Any:
        for key in ("ignored_fields", "no_op_fields"):
            if isinstance(data, dict) and key in data:
                raise ValueError(f"{key} is set by the loader, not by a scenario file")
        return data

    @model_validator(mode="before")
    @classmethod
    def _seed_safety_forms(cls, data: Any) -> Any:
        """The plan's `SafetyConfig` holds `max_posts_per_epoch`; here it is a rate limit: accept it in
        `safety:` and move it to `rate_limits:` (an error if both blocks set it differently)."""
        if not isinstance(data, dict) or not isinstance(data.get("safety"), dict):
            return data
        if "max_posts_per_epoch" not in data["safety"]:
            return data
        data = dict(data)
        safety = dict(data["safety"])
        value = safety.pop("max_posts_per_epoch")
        limits = data.get("rate_limits") or {}
        if not isinstance(limits, dict):
            return data
        if "max_posts_per_epoch" in limits and limits["max_posts_per_epoch"] != value:
            raise ValueError(
                "safety.max_posts_per_epoch and rate_limits.max_posts_per_epoch are the same limit; "
                "set it once"
            )
        data["safety"], data["rate_limits"] = safety, {**limits, "max_posts_per_epoch": value}
        return data

    @field_validator("metrics_to_track")
    @classmethod
    def _known_metrics(cls, v: list[str]) -> list[str]:
        return check_metric_names(v)

    @model_validator(mode="after")
    def _ids_unique(self) -> ScenarioSpec:
        prefixes = [a.prefix() for a in self.agents]
        dup = {p for p in prefixes if prefixes.count(p) > 1}
        if dup:
            raise ValueError(
                f"two agent entries share the id prefix {sorted(dup)[0]!r}; give one an id_prefix"
            )
        return self

    @property
    def n_agents(self) -> int:
        return sum(a.count for a in self.agents)
