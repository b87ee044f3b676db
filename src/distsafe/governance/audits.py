"""Random audit: each accepted interaction is audited with a probability that depends on its target (the
counterparty): `audit_probability_watched` when the counterparty's reputation is at least
`audit_watch_min_reputation` (a "watched" target), `audit_probability` otherwise (with
`audit_probability_watched` unset, every target is audited at `audit_probability`). If p <
audit_threshold_p the initiator pays (threshold - p) * audit_penalty_multiplier, and the interaction is a
finding (`GovernanceContext.findings`): with staking on, the staking lever slashes the initiator's bond."""

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
        self.prob_watched = config.audit_probability_watched
        self.watch_reputation = config.audit_watch_min_reputation
        self.threshold = config.audit_threshold_p
        self.mult = config.audit_penalty_multiplier
        self.audits = 0
        self.caught = 0
        self.penalties = 0.0

    def on_interactions(self, ctx: GovernanceContext, batch: InteractionBatch) -> None:
        n = len(batch)
        if n == 0:
            return
        # One uniform per interaction, drawn for all rows so the stream does not depend on acceptance.
        audited = (ctx.rng.random(n) < self.probability(ctx, batch.counterparty)) & batch.accepted
        caught = audited & (batch.p < self.threshold)
        penalty = np.where(caught, (self.threshold - batch.p) * self.mult, 0.0)
        batch.c_a = batch.c_a + penalty
        self.audits += int(np.count_nonzero(audited))
        self.caught += int(np.count_nonzero(caught))
        self.penalties += float(penalty.sum())
        found = np.flatnonzero(caught)
        if found.size:
            ctx.findings.append(found)
        for i in np.flatnonzero(caught):
            ctx.events.append(
                (
                    EventType.AUDIT.value,
                    int(batch.initiator[i]),
                    {"p": float(batch.p[i]), "penalty": float(penalty[i])},
                )
            )

    def probability(self, ctx: GovernanceContext, targets: np.ndarray) -> np.ndarray | float:
        """The audit probability of interactions with these counterparties (rows)."""
        if self.prob_watched is None:
            return self.prob
        watched = ctx.agents.reputation[targets] >= self.watch_reputation
        return np.where(watched, self.prob_watched, self.prob)

    def stats(self) -> dict[str, float]:
        return {
            "audits": float(self.audits),
            "audits_failed": float(self.caught),
            "audit_penalties": self.penalties,
        }
