"""`GovernanceEngine`: builds the levers a `GovernanceConfig` switches on and runs their hooks."""

from __future__ import annotations

import numpy as np

from distsafe.governance.config import GovernanceConfig
from distsafe.governance.levers import GovernanceContext, GovernanceLever
from distsafe.governance.registry import build_levers
from distsafe.models.columns import InteractionBatch


class GovernanceEngine:
    """Runs each hook over its levers in turn: first the config's levers, in the registry's order (which
    fixes the random draws), then the extra ones, in the order they were added."""

    def __init__(
        self, config: GovernanceConfig | None = None, extra_levers: list[GovernanceLever] | None = None
    ) -> None:
        self.config = config or GovernanceConfig()
        self.levers: list[GovernanceLever] = build_levers(self.config)
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

    def on_interactions(self, ctx: GovernanceContext, batch: InteractionBatch) -> None:
        for lever in self.levers:
            lever.on_interactions(ctx, batch)

    def after_payoffs(self, ctx: GovernanceContext, batch: InteractionBatch) -> None:
        for lever in self.levers:
            lever.after_payoffs(ctx, batch)

    def stats(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for lever in self.levers:
            out.update(lever.stats())
        return out
