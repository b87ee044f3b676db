"""`GovernanceConfig`: the seeds' lever settings, validated. All levers are off by default.

Each lever has one switch field here; the lever is on when its switch is off its default. Which field
switches which lever, and the lever classes, are in `distsafe.governance.registry`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: Where the taxes and audit penalties the levers collect go (see `GovernanceConfig.revenue_destination`).
RevenueDestination = Literal["destroyed", "redistributed", "public_pool"]


class GovernanceConfig(BaseModel):
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
    # Staking: agents whose resources are below the stake cannot act; audits slash the stake
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
    # Where taxes and penalties go, settled at each epoch's end. "public_pool" (default) keeps the revenue in
    # a pool outside the agents' hands: the agents pay exactly what they pay under the seeds' accounting,
    # but the money is not lost, so welfare_money counts it (a transfer is not a welfare loss).
    # "redistributed" pays it back in equal shares to every agent, bad actors included (a lump-sum rebate:
    # the marginal cost of the taxed act stays); "destroyed" removes it (the seeds' accounting).
    revenue_destination: RevenueDestination = "public_pool"

    def enabled_levers(self) -> list[str]:
        """Names of the levers this config turns on, in the order of their switches above."""
        # Imported at call time: the registry imports the lever classes, and they take this config.
        from distsafe.governance.registry import enabled_levers

        return enabled_levers(self)
