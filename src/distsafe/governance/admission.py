"""Staking (a bond posted, slashed on findings, restored each epoch) and bandwidth cap: who may act at
all this step."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from distsafe.governance.config import GovernanceConfig
from distsafe.governance.levers import GovernanceContext, GovernanceLever
from distsafe.models.column_store import Column, ColumnStore
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType


class StakeBonds(ColumnStore):
    """The staking lever's per-agent state, one row per agent row (grown as agents are added)."""

    bond: Column[np.float64] = Column(np.float64, 0.0, "stake posted (locked out of the agent's resources)")


class StakingLever(GovernanceLever):
    """A bond that is posted, locked, slashed and restored (docs/governance.md, "Staking").

    - **Posting.** At each epoch's start every agent whose bond is short of `min_stake_to_participate`
      (S) tops it up from its free resources (`AgentTable.resources`: what is not locked), if they cover
      the whole shortfall; otherwise it posts nothing and waits. The money moves, it is not spent: it is
      no payoff. `locked[i]` is the agent's bond.
    - **Admission.** An agent acts only while its bond is whole (bond >= S): an agent that cannot post it,
      or whose bond was slashed, is blocked until the next epoch's top-up ("suspended").
    - **Slashing.** Each finding against an initiator (a failed audit: `GovernanceContext.findings`)
      slashes `stake_slash_rate` x its bond: the amount is charged to the interaction's `c_a` (so it is in
      the payoff, and goes where `revenue_destination` sends the levers' revenue) and it is taken out of
      the bond, not out of the free resources. A `stake_slashed` event records it.
    """

    name = "staking"

    def __init__(self, config: GovernanceConfig) -> None:
        self.min_stake = config.min_stake_to_participate
        self.slash_rate = config.stake_slash_rate
        self.bonds = StakeBonds()
        self.blocked = 0
        self.slashes = 0
        self.slashed = 0.0

    @property
    def locked(self) -> npt.NDArray[np.float64]:
        return self.bonds.bond

    def on_epoch_start(self, ctx: GovernanceContext) -> None:
        """Top up every short bond that the agent's free resources cover in full."""
        self.bonds.grow_to(len(ctx.agents))
        short = self.min_stake - self.locked
        res = ctx.agents.resources
        post = (short > 0) & (res >= short)
        amount = np.where(post, short, 0.0)
        res -= amount
        self.locked[...] = self.locked + amount

    def can_act(self, ctx: GovernanceContext, agents: np.ndarray) -> np.ndarray:
        self.bonds.grow_to(len(ctx.agents))
        ok: NDArray[np.bool_] = self.locked[agents] >= self.min_stake
        self.blocked += int(ok.shape[0] - np.count_nonzero(ok))
        return ok

    def on_findings(self, ctx: GovernanceContext, batch: InteractionBatch, found: np.ndarray) -> None:
        """Slash `stake_slash_rate` x the bond of the initiator of each found interaction, in order (a second
        finding in the same step slashes the bond left after the first)."""
        self.bonds.grow_to(len(ctx.agents))
        for i in found.tolist():
            row = int(batch.initiator[i])
            cut = self.slash_rate * float(self.locked[row])
            if cut <= 0.0:
                continue
            self.locked[row] -= cut
            batch.c_a[i] += cut
            # The payoff (c_a) takes the cut out of the resources when the step pays; the money came out of
            # the bond instead, so the free resources are given it back here.
            ctx.agents.resources[row] += cut
            self.slashes += 1
            self.slashed += cut
            ctx.events.append(
                (
                    EventType.STAKE_SLASHED.value,
                    row,
                    {"reason": "audit", "slashed": cut, "bond_left": float(self.locked[row])},
                )
            )

    def reset_agents(self, ctx: GovernanceContext, rows: np.ndarray) -> None:
        self.bonds.grow_to(len(ctx.agents))
        self.locked[rows] = 0.0

    def stats(self) -> dict[str, float]:
        return {
            "stake_blocked_actions": float(self.blocked),
            "stake_slashes": float(self.slashes),
            "stake_slashed": self.slashed,
            "stake_locked": float(self.locked.sum()),
        }


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
