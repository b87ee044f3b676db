"""Random audit: each accepted interaction is audited with probability `audit_probability`; if
p < audit_threshold_p the initiator pays (threshold - p) * audit_penalty_multiplier, plus, when staking is
on, `stake_slash_rate * min_stake_to_participate` of its stake."""

from __future__ import annotations

import numpy as np

from distsafe.governance.config import GovernanceConfig
from distsafe.governance.levers import GovernanceContext, GovernanceLever
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType


class RandomAuditLever(GovernanceLever):
    name = "random_audit"

    def __init__(self, config: GovernanceConfig) -> None:
        self.prob = config.audit_probability
        self.threshold = config.audit_threshold_p
        self.mult = config.audit_penalty_multiplier
        self.slash = (
            config.stake_slash_rate * config.min_stake_to_participate if config.staking_enabled else 0.0
        )
        self.audits = 0
        self.caught = 0
        self.penalties = 0.0

    def on_interactions(self, ctx: GovernanceContext, batch: InteractionBatch) -> None:
        n = len(batch)
        if n == 0:
            return
        # One uniform per interaction, drawn for all rows so the stream does not depend on acceptance.
        audited = (ctx.rng.random(n) < self.prob) & batch.accepted
        caught = audited & (batch.p < self.threshold)
        penalty = np.where(caught, (self.threshold - batch.p) * self.mult + self.slash, 0.0)
        batch.c_a = batch.c_a + penalty
        self.audits += int(np.count_nonzero(audited))
        self.caught += int(np.count_nonzero(caught))
        self.penalties += float(penalty.sum())
        for i in np.flatnonzero(caught):
            ctx.events.append(
                (
                    EventType.AUDIT.value,
                    int(batch.initiator[i]),
                    {"p": float(batch.p[i]), "penalty": float(penalty[i])},
                )
            )

    def stats(self) -> dict[str, float]:
        return {
            "audits": float(self.audits),
            "audits_failed": float(self.caught),
            "audit_penalties": self.penalties,
        }
