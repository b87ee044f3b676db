"""The governance lever interface. Levers are vectorized over agents and over a step's interactions.

Hooks, in the order the engine calls them:
  on_epoch_start(ctx)            epoch-level effects (decay, unfreezing)
  can_act(ctx, agents) -> mask   which of the given agent rows may act this step
  vote_weight(ctx, voters, w)    adjust the weights of this step's votes
  on_interactions(ctx, batch)    add governance costs to batch.c_a / batch.c_b before payoffs; a lever that
                                 finds fault with interactions adds their indices to ctx.findings
  on_findings(ctx, batch, found) after every lever's on_interactions: the step's findings (batch indices,
                                 in the order found), for levers that punish them (staking slashes)
  after_payoffs(ctx, batch)      observe final p and payoffs (tracking, freezing)
  reset_agents(ctx, rows)        these rows are new agents (population entry): forget their records
Levers import only models and the soft-label math, never the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from distsafe.models.agent_table import AgentTable
from distsafe.models.columns import InteractionBatch


@dataclass
class GovernanceContext:
    agents: AgentTable
    epoch: int
    step: int
    rng: np.random.Generator
    #: governance events produced by the hooks: (event_type value, agent row or -1, payload)
    events: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    #: this step's findings: index arrays into the step's batch of interactions a lever found at fault
    #: (a failed audit), in the order found; read by `on_findings`
    findings: list[np.ndarray] = field(default_factory=list)
    #: per row of the step's batch: the code of the action that made it (`governance.rbac_actions.CODE`:
    #: a proposal, a reply, submitted work), set by the engine before `on_interactions`; None: not known
    row_actions: np.ndarray | None = None


class GovernanceLever:
    """Base of every lever: each hook does nothing until a lever overrides it."""

    name: str = "lever"

    def on_epoch_start(self, ctx: GovernanceContext) -> None:
        return None

    def can_act(self, ctx: GovernanceContext, agents: np.ndarray) -> np.ndarray:
        return np.ones(agents.shape[0], dtype=bool)

    def vote_weight(self, ctx: GovernanceContext, voters: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return weights

    def on_interactions(self, ctx: GovernanceContext, batch: InteractionBatch) -> None:
        return None

    def on_findings(self, ctx: GovernanceContext, batch: InteractionBatch, found: np.ndarray) -> None:
        return None

    def after_payoffs(self, ctx: GovernanceContext, batch: InteractionBatch) -> None:
        return None

    def reset_agents(self, ctx: GovernanceContext, rows: np.ndarray) -> None:
        return None

    def stats(self) -> dict[str, float]:
        """Counters for reports (e.g. audits run, agents frozen)."""
        return {}

    def epoch_metrics(self) -> dict[str, float]:
        """Metrics the lever adds to the epoch's record (its columns appear only in runs that use it)."""
        return {}
