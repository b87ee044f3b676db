"""Reputation decay (reputation *= rate each epoch) and vote normalization (diminishing vote weight)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from distsafe.governance.config import GovernanceConfig
from distsafe.governance.levers import GovernanceContext, GovernanceLever
from distsafe.models.column_store import Column, ColumnStore


class ReputationDecayLever(GovernanceLever):
    name = "reputation_decay"

    def __init__(self, config: GovernanceConfig) -> None:
        self.rate = config.reputation_decay_rate

    def on_epoch_start(self, ctx: GovernanceContext) -> None:
        ctx.agents.reputation *= self.rate


class VoteWeightUsed(ColumnStore):
    """Vote weight each agent row has used this epoch (grown as agents are added)."""

    used: Column[np.float64] = Column(np.float64, 0.0, "sum of this epoch's vote weights")


class VoteNormalizationLever(GovernanceLever):
    """An agent's k-th vote in an epoch weighs 1/sqrt(k); its weights in one epoch sum to at most
    `max_vote_weight_per_agent`, so a vote flood cannot buy unbounded influence."""

    name = "vote_normalization"

    def __init__(self, config: GovernanceConfig) -> None:
        self.cap = config.max_vote_weight_per_agent
        self._weights = VoteWeightUsed()
        self.capped_votes = 0

    def on_epoch_start(self, ctx: GovernanceContext) -> None:
        self._weights.clear()
        self._weights.grow_to(len(ctx.agents))

    def vote_weight(
        self, ctx: GovernanceContext, voters: npt.NDArray[np.integer[Any]], weights: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        self._weights.grow_to(len(ctx.agents))
        used = self._weights.used
        k = ctx.agents.epoch_votes[voters].astype(np.float64) + 1.0  # this vote's rank within the epoch
        w: npt.NDArray[np.float64] = np.minimum(
            weights / np.sqrt(k), np.maximum(self.cap - used[voters], 0.0)
        )
        self.capped_votes += int(np.count_nonzero(w < weights / np.sqrt(k)))
        np.add.at(used, voters, w)
        return w

    def stats(self) -> dict[str, float]:
        return {"capped_votes": float(self.capped_votes)}
