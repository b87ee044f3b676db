"""`GovernanceConfig`: the seeds' lever settings, validated. All levers are off by default.

Each lever has one switch field here; the lever is on when its switch is off its default. Which field
switches which lever, and the lever classes, are in `distsafe.governance.registry`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from distsafe.governance.rbac_actions import unknown_actions
from distsafe.models.config_base import ConfigModel


def _added(default: Any, **constraints: Any) -> Any:
    """A setting added after logs were first written: left out of a config's dump (the event log's header,
    a run's scenario.yaml) while at its default, so runs that do not use it keep their logs."""
    return Field(default=default, exclude_if=lambda v: v == default, **constraints)


#: Where the taxes and audit penalties the levers collect go (see `GovernanceConfig.revenue_destination`).
RevenueDestination = Literal["destroyed", "redistributed", "public_pool"]


class GovernanceConfig(ConfigModel):
    model_config = ConfigDict(extra="forbid")

    # Transaction tax: c_a += rate * |tau| * split, c_b += rate * |tau| * (1 - split)
    transaction_tax_rate: float = Field(default=0.0, ge=0, le=1)
    transaction_tax_split: float = Field(default=0.5, ge=0, le=1)
    # Reputation decay: reputation *= rate at every epoch start (1.0 = no decay)
    reputation_decay_rate: float = Field(default=1.0, ge=0, le=1)
    # Vote normalization: an agent's k-th vote in an epoch weighs 1/sqrt(k), total weight capped
    vote_normalization_enabled: bool = False
    max_vote_weight_per_agent: float = Field(default=10.0, gt=0)
    # Bandwidth cap: at most this many actions per agent per epoch (None = no cap)
    bandwidth_cap: int | None = Field(default=None, ge=1)
    # Staking: each agent posts a bond of min_stake_to_participate out of its resources at each epoch's start
    # (topping it up); it acts only while the bond is whole; each failed audit slashes stake_slash_rate x bond
    staking_enabled: bool = False
    min_stake_to_participate: float = Field(default=0.0, ge=0)
    stake_slash_rate: float = Field(default=0.1, ge=0, le=1)
    # Circuit breaker: freeze an initiator whose recent toxicity (EMA of 1-p over ~window interactions)
    # is >= threshold at `freeze_threshold_violations` steps (counted once the agent has at least
    # `circuit_breaker_min_interactions` of them); frozen for `freeze_duration_epochs`
    circuit_breaker_enabled: bool = False
    freeze_threshold_toxicity: float = Field(default=0.7, gt=0, le=1)
    freeze_threshold_violations: int = Field(default=3, ge=1)
    freeze_duration_epochs: int = Field(default=2, ge=1)
    circuit_breaker_window: int = Field(default=10, ge=1)
    circuit_breaker_min_interactions: int = Field(default=5, ge=1)
    # Random audit: with probability audit_probability, penalty (threshold - p) * multiplier if p < threshold
    audit_enabled: bool = False
    audit_probability: float = Field(default=0.1, ge=0, le=1)
    audit_penalty_multiplier: float = Field(default=2.0, ge=0)
    audit_threshold_p: float = Field(default=0.5, ge=0, le=1)
    # Per-target audit odds: interactions whose counterparty has reputation >= audit_watch_min_reputation
    # (a "watched" target) are audited with audit_probability_watched instead (None: every target alike)
    audit_probability_watched: float | None = Field(default=None, ge=0, le=1)
    audit_watch_min_reputation: float = 1.0
    # Collusion detection (seed 001; governance.collusion): pairs scored at each epoch's end from frequency
    # (gate), benefit correlation, acceptance and quality asymmetry; flagged agents pay a penalty. Fields
    # at their defaults stay out of the log header (so runs without them keep their logs).
    collusion_detection_enabled: bool = Field(default=False, exclude_if=lambda v: v is False)
    collusion_frequency_threshold: float = Field(default=2.0, ge=0, exclude_if=lambda v: v == 2.0)
    collusion_correlation_threshold: float = Field(default=0.7, ge=0, le=1, exclude_if=lambda v: v == 0.7)
    collusion_acceptance_threshold: float = Field(default=0.8, ge=0, le=1, exclude_if=lambda v: v == 0.8)
    collusion_quality_asymmetry_threshold: float = Field(
        default=0.2, ge=0, le=1, exclude_if=lambda v: v == 0.2
    )
    collusion_min_interactions: int = Field(default=3, ge=1, exclude_if=lambda v: v == 3)
    collusion_score_threshold: float = Field(default=0.5, ge=0, le=1, exclude_if=lambda v: v == 0.5)
    #: flag only pairs inside a group of suspicious pairs of at least this many agents (2: every pair)
    collusion_min_group_size: int = Field(default=2, ge=2, exclude_if=lambda v: v == 2)
    collusion_penalty_multiplier: float = Field(default=1.0, ge=0, exclude_if=lambda v: v == 1.0)
    #: resources a flagged agent of risk 1 pays per epoch (times the multiplier)
    collusion_penalty_amount: float = Field(default=5.0, ge=0, exclude_if=lambda v: v == 5.0)
    collusion_realtime_penalty: bool = Field(default=False, exclude_if=lambda v: v is False)
    collusion_realtime_rate: float = Field(default=0.1, ge=0, le=1, exclude_if=lambda v: v == 0.1)
    # Composite tasks (seed 001's emergent capabilities; env.composite_tasks): not a lever, but the seed sets
    # it in this block; the scenario's `composite_tasks:` block configures them
    composite_tasks_enabled: bool = Field(default=False, exclude_if=lambda v: v is False)
    # Where taxes and penalties go, settled at each epoch's end. "public_pool" (default) keeps the revenue in
    # a pool outside the agents' hands: the agents pay exactly what they pay under the seeds' accounting,
    # but the money is not lost, so welfare_money counts it (a transfer is not a welfare loss).
    # "redistributed" pays it back in equal shares to every agent, bad actors included (a lump-sum rebate:
    # the marginal cost of the taxed act stays); "destroyed" removes it (the seeds' accounting).
    revenue_destination: RevenueDestination = "public_pool"
    # Security (seed 001 "Security Evaluation", governance.security): threat scores per agent from its
    # accepted initiations (shares shrunk toward 0 by `security_min_interactions` pseudo-interactions);
    # analysed at each epoch start: flag, penalize, quarantine. Thresholds are scores in [0, 1].
    security_enabled: bool = _added(False)
    security_injection_threshold: float = _added(0.3, ge=0, le=1)
    security_manipulation_threshold: float = _added(0.5, ge=0, le=1)
    security_laundering_threshold: float = _added(0.3, ge=0, le=1)
    security_exfiltration_threshold: float = _added(0.3, ge=0, le=1)
    security_laundering_trust_gap: float = _added(0.3, ge=0)
    security_contagion_velocity: float = _added(2.0, gt=0)
    security_min_chain_length: int = _added(3, ge=2)
    security_min_interactions: int = _added(5, ge=1)
    security_penalty_threshold: float = _added(0.3, ge=0, le=1)
    security_quarantine_threshold: float = _added(0.7, ge=0, le=1)
    security_penalty_multiplier: float = _added(1.0, ge=0)
    security_realtime_penalty: bool = _added(False)
    security_realtime_threshold: float = _added(0.5, ge=0, le=1)
    security_realtime_rate: float = _added(0.2, ge=0)
    security_clear_history_on_epoch: bool = _added(False)
    # Transparency ledger (seed 002): accepted interactions are public; the initiator's reputation moves by
    # transparency_bonus_rate * (p - transparency_threshold_p)
    transparency_enabled: bool = _added(False)
    transparency_bonus_rate: float = _added(0.1, ge=0)
    transparency_threshold_p: float = _added(0.5, ge=0, le=1)
    # Sybil detection (seed 003 "Identity and Trust Infrastructure"; governance.identity_lever): interaction
    # patterns clustered by behavioural similarity (models.identity) at each epoch start; members of a
    # cluster lose 0.1 x multiplier reputation and 1 x multiplier resources per epoch, members of clusters
    # larger than sybil_max_cluster_size may not act; realtime: interactions between flagged agents cost
    # both sides sybil_realtime_rate
    sybil_detection_enabled: bool = _added(False)
    sybil_similarity_threshold: float = _added(0.8, ge=0, le=1)
    sybil_penalty_multiplier: float = _added(1.0, ge=0)
    sybil_realtime_penalty: bool = _added(False)
    sybil_realtime_rate: float = _added(0.1, ge=0)
    sybil_max_cluster_size: int = _added(3, ge=1)
    # Role-based access control (the reference's RBAC lever; governance.rbac): each interaction's action must
    # be permitted by one of its initiator's roles, and a high-stakes action needs the clearance; a violation
    # costs the initiator rbac_violation_penalty and moves its reputation by
    # rbac_violation_reputation_penalty (both x rbac_high_stakes_penalty_multiplier when high-stakes).
    # Roles and clearances per agent id prefix (none: permitted nothing, clearance 0; the reference's runner
    # gives every agent none)
    rbac_enabled: bool = _added(False)
    rbac_violation_penalty: float = _added(0.5, ge=0)
    rbac_violation_reputation_penalty: float = _added(-0.2)
    rbac_high_stakes_actions: tuple[str, ...] = _added(())
    rbac_security_clearance_required: int = _added(2, ge=0)
    rbac_high_stakes_penalty_multiplier: float = _added(2.0, ge=0)
    rbac_role_action_map: dict[str, tuple[str, ...]] = Field(default_factory=dict, exclude_if=lambda v: not v)
    rbac_agent_roles: dict[str, tuple[str, ...]] = Field(default_factory=dict, exclude_if=lambda v: not v)
    rbac_security_clearances: dict[str, int] = Field(default_factory=dict, exclude_if=lambda v: not v)

    # Resample protocol (Ctrl-Z, Bhatt et al. 2025; the reference's `resample_*`): before an agent acts, its
    # suspicion 1 - clip(0.5 + reputation / 2) (+ up to 0.2 for a falling trend of the p of its last
    # `resample_trajectory_window` initiations) at or over the threshold draws `resample_n_samples` more
    # actions; the majority action is played. Its proposal then costs compute_cost per sample, adds evidence
    # (fraction of suspicious samples * (1 - p)), lowers reputation; evidence over the incrimination
    # threshold freezes the agent for the rest of the run. Evidence decays each epoch.
    resample_enabled: bool = _added(False)
    resample_suspicion_threshold: float = _added(0.6, ge=0, le=1)
    resample_n_samples: int = _added(3, ge=1)
    resample_trajectory_analysis: bool = _added(False)
    resample_trajectory_window: int = _added(5, ge=2)
    resample_incrimination_threshold: float = _added(2.0, gt=0)
    resample_compute_cost: float = _added(0.01, ge=0)
    resample_evidence_decay: float = _added(0.9, ge=0, le=1)
    resample_evidence_rep_weight: float = _added(0.5, ge=0)

    @model_serializer(mode="wrap")
    def _omit_unset_additions(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Settings added after the first event-log version are written only when they differ from their
        default, so the record of a run that does not use them (a log's header) is what it was before they
        existed; reading a record without them gives the defaults."""
        data: dict[str, Any] = handler(self)
        for name, default in LATER_DEFAULTS.items():
            if name in data and data[name] == default:
                del data[name]
        return data

    @model_validator(mode="after")
    def _rbac_names(self) -> GovernanceConfig:
        """RBAC action names are the reference's (`governance.rbac_actions.ACTIONS`); clearances >= 0."""
        lists = {"rbac_high_stakes_actions": self.rbac_high_stakes_actions}
        lists.update({f"rbac_role_action_map.{r}": a for r, a in self.rbac_role_action_map.items()})
        for name, actions in lists.items():
            bad = unknown_actions(actions)
            if bad:
                raise ValueError(
                    f"{name}: unknown action {bad[0]!r} (the reference's action names, e.g. post_bounty)"
                )
        for key, level in self.rbac_security_clearances.items():
            if level < 0:
                raise ValueError(f"rbac_security_clearances.{key}: must be >= 0, not {level}")
        return self

    @model_validator(mode="before")
    @classmethod
    def _seed_names(cls, data: Any) -> Any:
        """The plan's (seed 002) names for these settings, accepted beside ours: see `SEED_ALIASES`."""
        if not isinstance(data, dict) or not any(k in data for k in SEED_ALIASES):
            return data
        data = dict(data)
        for seed_name, translate in SEED_ALIASES.items():
            if seed_name not in data:
                continue
            value = data.pop(seed_name)
            for ours, our_value in translate(value).items():
                if ours in data and data[ours] != our_value:
                    raise ValueError(
                        f"{seed_name}: {value!r} means {ours}={our_value!r}, but {ours} is set to "
                        f"{data[ours]!r}; use one of the two names"
                    )
                data[ours] = our_value
        return data


#: settings added after the first event-log version, with their defaults (see `_omit_unset_additions`)
LATER_DEFAULTS: dict[str, Any] = {"audit_probability_watched": None, "audit_watch_min_reputation": 1.0}


def _switch(enabled: str, field: str) -> Any:
    """A seed setting whose None (or 0) means "lever off" and whose value is our `field`."""

    def translate(value: Any) -> dict[str, Any]:
        if value is None or (isinstance(value, int | float) and not isinstance(value, bool) and value == 0):
            return {enabled: False}
        return {enabled: True, field: value}

    return translate


#: seed 002's `GovernanceConfig` names -> what they set here. `reputation_decay` is our decay rate;
#: `vote_weight_cap` (None = off) turns vote normalization on with that cap; `staking_required` (0 = off)
#: is the stake needed to act; `audit_penalty` (0 = off) is the audit's penalty multiplier (the penalty
#: is audit_penalty * (audit_threshold_p - p)); `circuit_breaker_threshold` (None = off) is the toxicity
#: at which the circuit breaker counts a violation.
SEED_ALIASES: dict[str, Any] = {
    "reputation_decay": lambda v: {"reputation_decay_rate": v},
    "vote_weight_cap": _switch("vote_normalization_enabled", "max_vote_weight_per_agent"),
    "staking_required": _switch("staking_enabled", "min_stake_to_participate"),
    "audit_penalty": _switch("audit_enabled", "audit_penalty_multiplier"),
    "circuit_breaker_threshold": _switch("circuit_breaker_enabled", "freeze_threshold_toxicity"),
}
