"""The levers distsafe ships, in one table: name, the `GovernanceConfig` field that switches it on, its
class, and the counters the run report shows.

A lever is on when its switch is off its default (`transaction_tax_rate` > 0, `reputation_decay_rate` < 1,
`bandwidth_cap` set, `..._enabled: true`). `LEVERS` is in the order the engine applies them: hooks run and
random numbers are drawn in this order, so it fixes the event logs; do not reorder it. Lists shown to people
(`registry.enabled_levers(config)`, the `simulation_started` event, reports, docs) follow the order of the
switches in `GovernanceConfig` instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from distsafe.governance import binding
from distsafe.governance.admission import BandwidthCapLever, StakingLever
from distsafe.governance.audits import RandomAuditLever
from distsafe.governance.circuit_breaker import CircuitBreakerLever
from distsafe.governance.collusion import CollusionLever
from distsafe.governance.config import GovernanceConfig
from distsafe.governance.identity_lever import SybilDetectionLever
from distsafe.governance.levers import GovernanceLever
from distsafe.governance.rbac import RBACLever
from distsafe.governance.reputation import ReputationDecayLever, VoteNormalizationLever
from distsafe.governance.resample import ResampleLever
from distsafe.governance.security import SecurityLever
from distsafe.governance.taxes import TransactionTaxLever
from distsafe.governance.transparency import TransparencyLever


@dataclass(frozen=True, kw_only=True)
class RegisteredLever:
    """One shipped lever. `build(config)` makes it; `enabled(config)` says whether `config` turns it on."""

    name: str
    title: str
    #: the GovernanceConfig field that turns the lever on; its default is "off"
    switch: str
    #: the lever's class (called with the GovernanceConfig)
    lever: Callable[[GovernanceConfig], GovernanceLever]
    #: keys of the lever's `stats()` that the run report shows
    report: tuple[str, ...] = ()
    #: a check of whether the lever can bind in a run (`governance.binding`): a warning line, or None
    cannot_bind: Callable[[GovernanceConfig, binding.BindingContext], str | None] | None = None

    def __post_init__(self) -> None:
        if self.switch not in GovernanceConfig.model_fields:
            raise ValueError(f"lever {self.name!r}: {self.switch!r} is not a GovernanceConfig field")

    @property
    def off(self) -> object:
        """The switch's value that leaves the lever off (the field's default)."""
        return GovernanceConfig.model_fields[self.switch].default

    def enabled(self, config: GovernanceConfig) -> bool:
        return bool(getattr(config, self.switch) != self.off)

    def build(self, config: GovernanceConfig) -> GovernanceLever:
        return self.lever(config)


#: In the engine's order: admission before action, costs before payoffs, tracking last.
LEVERS: tuple[RegisteredLever, ...] = (
    RegisteredLever(
        name="reputation_decay",
        title="Reputation decay",
        switch="reputation_decay_rate",
        lever=ReputationDecayLever,
    ),
    RegisteredLever(
        name="vote_normalization",
        title="Vote normalization",
        switch="vote_normalization_enabled",
        lever=VoteNormalizationLever,
        cannot_bind=binding.vote_normalization,
    ),
    RegisteredLever(
        name="bandwidth_cap",
        title="Bandwidth cap",
        switch="bandwidth_cap",
        lever=BandwidthCapLever,
        report=("bandwidth_blocked_actions",),
        cannot_bind=binding.bandwidth_cap,
    ),
    RegisteredLever(
        name="staking",
        title="Staking",
        switch="staking_enabled",
        lever=StakingLever,
        report=("stake_blocked_actions", "stake_slashes", "stake_slashed"),
        cannot_bind=binding.staking,
    ),
    RegisteredLever(
        name="transaction_tax",
        title="Transaction tax",
        switch="transaction_tax_rate",
        lever=TransactionTaxLever,
        report=("tax_collected",),
    ),
    RegisteredLever(
        name="random_audit",
        title="Random audit",
        switch="audit_enabled",
        lever=RandomAuditLever,
        report=("audits", "audits_failed"),
        cannot_bind=binding.random_audit,
    ),
    RegisteredLever(
        name="circuit_breaker",
        title="Circuit breaker",
        switch="circuit_breaker_enabled",
        lever=CircuitBreakerLever,
        cannot_bind=binding.circuit_breaker,
    ),
    # added after the others (the order fixes the event logs): reputation moves before payoffs, and the
    # security lever tracks last
    RegisteredLever(
        name="transparency",
        title="Transparency ledger",
        switch="transparency_enabled",
        lever=TransparencyLever,
        report=("transparency_bonus", "transparency_penalty"),
    ),
    RegisteredLever(
        name="security",
        title="Security",
        switch="security_enabled",
        lever=SecurityLever,
        report=("security_flags", "quarantines", "security_penalties", "realtime_charges"),
    ),
    RegisteredLever(
        name="collusion_penalty",
        title="Collusion detection",
        switch="collusion_detection_enabled",
        lever=CollusionLever,
        cannot_bind=binding.collusion_penalty,
        report=("collusion_flagged_agents", "collusion_penalty_total"),
    ),
    RegisteredLever(
        name="sybil_detection",
        title="Sybil detection",
        switch="sybil_detection_enabled",
        lever=SybilDetectionLever,
        cannot_bind=binding.sybil_detection,
        report=("sybil_clusters", "sybil_flagged_agents", "sybil_blocked_actions", "sybil_penalty_total"),
    ),
    RegisteredLever(
        name="rbac",
        title="Role-based access control",
        switch="rbac_enabled",
        lever=RBACLever,
        cannot_bind=binding.rbac,
        report=("rbac_violations", "rbac_high_stakes_violations", "rbac_penalty_total"),
    ),
    # the resample protocol (the reference's `resample_*`): settles on the step's proposals before payoffs
    RegisteredLever(
        name="resample",
        title="Resample protocol",
        switch="resample_enabled",
        lever=ResampleLever,
        report=("resampled_actions", "resample_blocked", "resample_incriminated", "resample_compute_cost"),
    ),
)

_SWITCH_ORDER = list(GovernanceConfig.model_fields)

#: The same levers in the order of their switches in GovernanceConfig: the order lists for people use.
LEVERS_BY_SWITCH: tuple[RegisteredLever, ...] = tuple(
    sorted(LEVERS, key=lambda e: _SWITCH_ORDER.index(e.switch))
)


def lever_names() -> list[str]:
    """Every shipped lever's name, in switch order."""
    return [e.name for e in LEVERS_BY_SWITCH]


def lookup(name: str) -> RegisteredLever:
    for entry in LEVERS:
        if entry.name == name:
            return entry
    raise KeyError(f"no lever named {name!r}; known: {', '.join(lever_names())}")


def enabled_levers(config: GovernanceConfig) -> list[str]:
    """Names of the levers `config` turns on, in switch order."""
    return [e.name for e in LEVERS_BY_SWITCH if e.enabled(config)]


def lever_warnings(config: GovernanceConfig, context: binding.BindingContext) -> list[str]:
    """One line for each lever `config` switches on that cannot bind (or binds only in a limited way) in
    a run described by `context`, in switch order."""
    out = []
    for e in LEVERS_BY_SWITCH:
        if e.enabled(config) and e.cannot_bind is not None:
            msg = e.cannot_bind(config, context)
            if msg:
                out.append(msg)
    return out


def build_levers(config: GovernanceConfig) -> list[GovernanceLever]:
    """The levers `config` turns on, built, in the engine's order."""
    return [e.build(config) for e in LEVERS if e.enabled(config)]
