"""Staking (admission) and bandwidth cap: who may act at all this step."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from distsafe.governance.config import GovernanceConfig
from distsafe.governance.levers import GovernanceContext, GovernanceLever


class StakingLever(GovernanceLever):
    """Agents whose resources are below `min_stake_to_participate` cannot act."""

    name = "staking"

    def __init__(self, config: GovernanceConfig) -> None:
        self.min_stake = config.min_stake_to_participate
        self.blocked = 0

    def can_act(self, ctx: GovernanceContext, agents: np.ndarray) -> np.ndarray:
        ok: NDArray[np.bool_] = ctx.agents.resources[agents] >= self.min_stake
        self.blocked += int(ok.shape[0] - np.count_nonzero(ok))
        return ok

    def stats(self) -> dict[str, float]:
        return {"stake_blocked_actions": float(self.blocked)}


class BandwidthCapLever(GovernanceLever):
    """At most `bandwidth_cap` actions per agent per epoch."""

    name = "bandwidth_cap"

    def __init__(self, config: GovernanceConfig) -> None:
        self.cap = int(config.bandwidth_cap or 0)
        self.blocked = 0

    def can_act(self, ctx: GovernanceContext, agents: np.ndarray) -> np.ndarray:
        ok: NDArray[np.bool_] = ctx.agents.epoch_actions[agents] < self.cap
        self.blocked += int(ok.shape[0] - np.count_nonzero(ok))
        return ok

    def stats(self) -> dict[str, float]:
        return {"bandwidth_blocked_actions": float(self.blocked)}
