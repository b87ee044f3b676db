"""Reputation decay (reputation *= rate each epoch) and vote normalization (diminishing vote weight)."""

from __future__ import annotations

import numpy as np

from distsafe.governance.config import GovernanceConfig
from distsafe.governance.levers import GovernanceContext, GovernanceLever


class ReputationDecayLever(GovernanceLever):
    name = "reputation_decay"

    def __init__(self, config: GovernanceConfig):
        self.rate = config.reputation_decay_rate

    def on_epoch_start(self, ctx: GovernanceContext) -> None:
        ctx.agents.reputation *= self.rate


class VoteNormalizationLever(GovernanceLever):
    """An agent's k-th vote in an epoch weighs 1/sqrt(k); its weights in one epoch sum to at most
    `max_vote_weight_per_agent`, so a vote flood cannot buy unbounded influence."""

    name = "vote_normalization"

    def __init__(self, config: GovernanceConfig):
        self.cap = config.max_vote_weight_per_agent
        self._used = np.zeros(0)
        self.capped_votes = 0

    def on_epoch_start(self, ctx: GovernanceContext) -> None:
        self._used = np.zeros(len(ctx.agents))

    def vote_weight(self, ctx: GovernanceContext, voters: np.ndarray, weights: np.ndarray) -> np.ndarray:
        if self._used.shape[0] < len(ctx.agents):
            self._used = np.concatenate([self._used, np.zeros(len(ctx.agents) - self._used.shape[0])])
        k = ctx.agents.epoch_votes[voters].astype(np.float64) + 1.0  # this vote's rank within the epoch
        w = np.minimum(weights / np.sqrt(k), np.maximum(self.cap - self._used[voters], 0.0))
        self.capped_votes += int(np.count_nonzero(w < weights / np.sqrt(k)))
        np.add.at(self._used, voters, w)
        return w

    def stats(self) -> dict[str, float]:
        return {"capped_votes": float(self.capped_votes)}
