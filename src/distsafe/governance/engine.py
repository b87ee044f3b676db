"""`GovernanceEngine`: builds the levers a `GovernanceConfig` switches on and runs their hooks."""

from __future__ import annotations

import numpy as np

from distsafe.governance.admission import BandwidthCapLever, StakingLever
from distsafe.governance.audits import RandomAuditLever
from distsafe.governance.circuit_breaker import CircuitBreakerLever
from distsafe.governance.config import GovernanceConfig
from distsafe.governance.levers import GovernanceContext, GovernanceLever
from distsafe.governance.reputation import ReputationDecayLever, VoteNormalizationLever
from distsafe.governance.taxes import TransactionTaxLever


class GovernanceEngine:
    def __init__(self, config: GovernanceConfig | None = None, extra_levers: list[GovernanceLever] | None = None):
        self.config = config or GovernanceConfig()
        c = self.config
        self.levers: list[GovernanceLever] = []
        # Order matters where levers share a hook: admission before action, costs before payoffs.
        if c.reputation_decay_rate < 1.0:
            self.levers.append(ReputationDecayLever(c))
        if c.vote_normalization_enabled:
            self.levers.append(VoteNormalizationLever(c))
        if c.bandwidth_cap is not None:
            self.levers.append(BandwidthCapLever(c))
        if c.staking_enabled:
            self.levers.append(StakingLever(c))
        if c.transaction_tax_rate > 0:
            self.levers.append(TransactionTaxLever(c))
        if c.audit_enabled:
            self.levers.append(RandomAuditLever(c))
        if c.circuit_breaker_enabled:
            self.levers.append(CircuitBreakerLever(c))
        self.levers.extend(extra_levers or [])

    def add_lever(self, lever: GovernanceLever) -> None:
        self.levers.append(lever)

    def get_lever(self, name: str) -> GovernanceLever | None:
        return next((lv for lv in self.levers if lv.name == name), None)

    def on_epoch_start(self, ctx: GovernanceContext) -> None:
        for lever in self.levers:
            lever.on_epoch_start(ctx)

    def can_act(self, ctx: GovernanceContext, agents: np.ndarray) -> np.ndarray:
        mask = np.ones(agents.shape[0], dtype=bool)
        for lever in self.levers:
            mask &= lever.can_act(ctx, agents)
        return mask

    def vote_weight(self, ctx: GovernanceContext, voters: np.ndarray) -> np.ndarray:
        w = np.ones(voters.shape[0])
        for lever in self.levers:
            w = lever.vote_weight(ctx, voters, w)
        return w

    def on_interactions(self, ctx: GovernanceContext, batch) -> None:
        for lever in self.levers:
            lever.on_interactions(ctx, batch)

    def after_payoffs(self, ctx: GovernanceContext, batch) -> None:
        for lever in self.levers:
            lever.after_payoffs(ctx, batch)

    def stats(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for lever in self.levers:
            out.update(lever.stats())
        return out
