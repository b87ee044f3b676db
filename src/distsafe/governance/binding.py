"""Can a lever bind? Checks computed from the configuration alone, before a run.

A lever configured so that it can never change anything in the run at hand (a bandwidth cap no agent can
reach, a toxicity threshold above the highest toxicity the proxy can produce, ...) is not an error, but a
study that switches it on measures nothing. Each check returns a one-line warning saying why, or None.
The registry (`governance.registry`) names the check of each lever; `lever_warnings` runs those of the
levers a config switches on; `kill_switch_warning` checks the safety rail of the same name.

Facts the checks use (`BindingContext`): an agent acts at most once per step (so at most
`steps_per_epoch` actions and votes per epoch), p lies within the proxy's bounds [p_min, p_max] (v_hat in
[-1, 1]), toxicity E[1 - p] is therefore at most 1 - p_min, and every agent starts with
`initial_resources`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from distsafe.governance.config import GovernanceConfig


@dataclass(frozen=True, kw_only=True)
class BindingContext:
    """What the checks know of the run: its length, the agents' start, the proxy's range, the limits."""

    n_epochs: int
    steps_per_epoch: int
    initial_resources: float
    p_min: float
    p_max: float
    max_votes_per_epoch: int

    @property
    def max_toxicity(self) -> float:
        """The highest toxicity E[1 - p | accepted] the proxy can produce."""
        return 1.0 - self.p_min


def bandwidth_cap(g: GovernanceConfig, c: BindingContext) -> str | None:
    cap = g.bandwidth_cap
    if cap is not None and cap >= c.steps_per_epoch:
        return (
            f"bandwidth_cap cannot bind: the cap ({cap}) is >= steps_per_epoch ({c.steps_per_epoch}), "
            "and an agent acts at most once per step"
        )
    return None


def _audits_can_find(g: GovernanceConfig, c: BindingContext) -> bool:
    """Whether random audits are on and can fail someone (the findings that slash a stake)."""
    most = max(g.audit_probability, g.audit_probability_watched or 0.0)
    return g.audit_enabled and most > 0 and g.audit_threshold_p > c.p_min


def staking(g: GovernanceConfig, c: BindingContext) -> str | None:
    """The bond (governance.admission.StakingLever) blocks an agent that cannot post it, and one whose bond
    a finding slashed, until the next epoch's top-up. So it binds from the start when the stake exceeds the
    starting resources, and otherwise only through findings: failed audits with a slash rate above 0."""
    stake = g.min_stake_to_participate
    if stake <= 0:
        return "staking cannot bind: min_stake_to_participate is 0 and resources never block at 0"
    if stake > c.initial_resources:
        return None  # binds from the first step: no agent can post the bond until it has earned enough
    if g.stake_slash_rate <= 0:
        why = "stake_slash_rate is 0"
    elif not _audits_can_find(g, c):
        why = "no finding can slash it (random_audit is off or cannot fail anyone)"
    else:
        return None
    return (
        f"staking cannot bind: every agent's starting resources ({c.initial_resources:g}) cover the stake "
        f"({stake:g}), posted at the first epoch, and {why}: the bond stays whole, locks {stake:g} of each "
        "agent's resources and blocks no one"
    )


def vote_normalization(g: GovernanceConfig, c: BindingContext) -> str | None:
    votes = min(c.max_votes_per_epoch, c.steps_per_epoch)
    if g.bandwidth_cap is not None:
        votes = min(votes, g.bandwidth_cap)
    most = sum(1.0 / math.sqrt(k) for k in range(1, votes + 1))
    if most <= g.max_vote_weight_per_agent:
        return (
            f"vote_normalization's cap cannot bind: at most {votes} votes per agent per epoch weigh "
            f"{most:.2f} in all, below max_vote_weight_per_agent ({g.max_vote_weight_per_agent:g}); only "
            "the 1/sqrt(k) discount acts"
        )
    return None


def circuit_breaker(g: GovernanceConfig, c: BindingContext) -> str | None:
    if g.freeze_threshold_toxicity > c.max_toxicity:
        return (
            f"circuit_breaker cannot trip: freeze_threshold_toxicity ({g.freeze_threshold_toxicity:g}) is "
            f"above the highest toxicity the proxy can give (1 - p_min = {c.max_toxicity:.3g})"
        )
    steps = c.n_epochs * c.steps_per_epoch
    if g.freeze_threshold_violations > steps:
        return (
            f"circuit_breaker cannot trip: freeze_threshold_violations ({g.freeze_threshold_violations}) "
            f"exceeds the run's {steps} steps (one violation per step at most)"
        )
    return None


def random_audit(g: GovernanceConfig, c: BindingContext) -> str | None:
    if max(g.audit_probability, g.audit_probability_watched or 0.0) <= 0:
        return "random_audit cannot bind: audit_probability is 0"
    if g.audit_threshold_p <= c.p_min:
        return (
            f"random_audit cannot catch anyone: audit_threshold_p ({g.audit_threshold_p:g}) is at or "
            f"below the lowest p the proxy can give ({c.p_min:.3g})"
        )
    if g.audit_penalty_multiplier <= 0 and not (g.staking_enabled and g.stake_slash_rate > 0):
        return "random_audit costs nothing: audit_penalty_multiplier is 0 and no stake is slashed"
    return None


def collusion_penalty(g: GovernanceConfig, c: BindingContext) -> str | None:
    """A pair interacts at most twice a step (each side starts at most one interaction), so a pair needs
    `collusion_min_interactions` <= 2 x steps_per_epoch x n_epochs to be scored at all."""
    most = 2 * c.steps_per_epoch * c.n_epochs
    if g.collusion_min_interactions > most:
        return (
            "collusion_penalty cannot flag anyone: collusion_min_interactions "
            f"({g.collusion_min_interactions}) is above the most a pair can have in the run ({most})"
        )
    if g.collusion_penalty_multiplier <= 0 or (
        g.collusion_penalty_amount <= 0
        and not (g.collusion_realtime_penalty and g.collusion_realtime_rate > 0)
    ):
        return (
            "collusion_penalty costs nothing: its penalty multiplier or amount is 0 (and no realtime charge)"
        )
    return None


def sybil_detection(g: GovernanceConfig, c: BindingContext) -> str | None:
    """Detection runs at each epoch's start over the interactions before it: a run of one epoch never
    detects anyone; a penalty multiplier of 0 with no block and no realtime charge costs nothing."""
    if c.n_epochs < 2:
        return (
            "sybil_detection cannot bind: it detects at each epoch's start from the epochs before, and the "
            "run has one epoch"
        )
    if g.sybil_penalty_multiplier <= 0 and not (g.sybil_realtime_penalty and g.sybil_realtime_rate > 0):
        large = g.sybil_max_cluster_size
        return (
            "sybil_detection costs a flagged agent nothing: sybil_penalty_multiplier is 0 and no realtime "
            f"charge; it only blocks members of clusters larger than {large}"
        )
    return None


def rbac(g: GovernanceConfig, c: BindingContext) -> str | None:
    """A violation costs rbac_violation_penalty and moves reputation by rbac_violation_reputation_penalty
    (times the high-stakes multiplier): with both 0 it changes nothing."""
    if g.rbac_violation_penalty == 0 and g.rbac_violation_reputation_penalty == 0:
        return (
            "rbac costs a violation nothing: rbac_violation_penalty and "
            "rbac_violation_reputation_penalty are 0"
        )
    return None


def kill_switch_warning(enabled: bool, threshold: float, c: BindingContext) -> str | None:
    """The safety rail `safety.kill_switch_toxicity`: it fires when an epoch's toxicity exceeds it."""
    if enabled and threshold >= c.max_toxicity:
        return (
            f"kill switch cannot fire: kill_switch_toxicity ({threshold:g}) is at or above the highest "
            f"toxicity the proxy can give (1 - p_min = {c.max_toxicity:.3g})"
        )
    return None
