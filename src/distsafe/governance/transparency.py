"""Transparency ledger (seed 002): every accepted interaction is public, and an initiator's reputation
moves with the quality of what it delivered: r_a += transparency_bonus_rate x (p - transparency_threshold_p).
Work above the threshold earns standing, work below loses it, so bad actors' reputations fall faster than
voting and the usual reputation rate alone would move them (and partners refuse them sooner)."""

from __future__ import annotations

import numpy as np

from distsafe.governance.config import GovernanceConfig
from distsafe.governance.levers import GovernanceContext, GovernanceLever
from distsafe.models.columns import InteractionBatch


class TransparencyLever(GovernanceLever):
    name = "transparency"

    def __init__(self, config: GovernanceConfig) -> None:
        self.rate = config.transparency_bonus_rate
        self.threshold = config.transparency_threshold_p
        self.bonus = 0.0
        self.penalty = 0.0

    def on_interactions(self, ctx: GovernanceContext, batch: InteractionBatch) -> None:
        if len(batch) == 0:
            return
        delta = np.where(batch.accepted, self.rate * (batch.p - self.threshold), 0.0)
        batch.r_a = batch.r_a + delta
        self.bonus += float(delta[delta > 0].sum())
        self.penalty += float(-delta[delta < 0].sum())

    def stats(self) -> dict[str, float]:
        return {"transparency_bonus": self.bonus, "transparency_penalty": self.penalty}
