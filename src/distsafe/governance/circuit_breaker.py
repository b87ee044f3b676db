"""Circuit breaker: freezes initiators whose recent toxicity stays at or above a threshold.

Recent toxicity is an exponential moving average of 1 - p over the agent's accepted interactions as
initiator, with alpha = 2 / (window + 1) (the EMA analogue of a `window`-interaction mean), started at
the agent's first value. Each step in which an agent's EMA is >= `freeze_threshold_toxicity` is a
violation, once the agent has at least `circuit_breaker_min_interactions` accepted interactions (so one
unlucky first outcome cannot freeze an honest agent); at `freeze_threshold_violations` violations the agent
is frozen for `freeze_duration_epochs` epochs (it cannot act nor be a counterparty) and its violations reset.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from distsafe.governance.config import GovernanceConfig
from distsafe.governance.levers import GovernanceContext, GovernanceLever
from distsafe.models.column_store import Column, ColumnStore
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType


class BreakerRecords(ColumnStore):
    """The breaker's per-agent state, one row per agent row (grown as agents are added)."""

    ema: Column[np.float64] = Column(np.float64, 0.0, "EMA of the toxicity 1 - p of accepted initiations")
    seen: Column[np.int64] = Column(np.int64, 0, "accepted interactions initiated")
    violations: Column[np.int32] = Column(np.int32, 0, "steps at or over the threshold since the last freeze")


class CircuitBreakerLever(GovernanceLever):
    name = "circuit_breaker"

    def __init__(self, config: GovernanceConfig) -> None:
        self.threshold = config.freeze_threshold_toxicity
        self.max_violations = config.freeze_threshold_violations
        self.duration = config.freeze_duration_epochs
        self.alpha = 2.0 / (config.circuit_breaker_window + 1.0)
        self.min_seen = config.circuit_breaker_min_interactions
        self.records = BreakerRecords()
        self.freezes = 0

    @property
    def ema(self) -> npt.NDArray[np.float64]:
        return self.records.ema

    @property
    def seen(self) -> npt.NDArray[np.int64]:
        return self.records.seen

    @property
    def violations(self) -> npt.NDArray[np.int32]:
        return self.records.violations

    def after_payoffs(self, ctx: GovernanceContext, batch: InteractionBatch) -> None:
        n_agents = len(ctx.agents)
        self.records.grow_to(n_agents)
        acc = batch.accepted
        if not acc.any():
            return
        init = batch.initiator[acc]
        tox = 1.0 - batch.p[acc]
        count = np.bincount(init, minlength=n_agents)
        total = np.bincount(init, weights=tox, minlength=n_agents)
        rows = np.flatnonzero(count)
        mean = total[rows] / count[rows]
        keep = (1.0 - self.alpha) ** count[rows]
        first = self.seen[rows] == 0
        self.ema[rows] = np.where(first, mean, keep * self.ema[rows] + (1.0 - keep) * mean)
        self.seen[rows] += count[rows]
        over = rows[(self.ema[rows] >= self.threshold) & (self.seen[rows] >= self.min_seen)]
        self.violations[over] += 1
        trip = over[self.violations[over] >= self.max_violations]
        if trip.size:
            ctx.agents.frozen_until[trip] = ctx.epoch + self.duration
            self.violations[trip] = 0
            self.freezes += int(trip.size)
            for i in trip.tolist():
                ctx.events.append(
                    (
                        EventType.AGENT_FROZEN.value,
                        i,
                        {"avg_toxicity": float(self.ema[i]), "until_epoch": int(ctx.epoch + self.duration)},
                    )
                )

    def reset_agents(self, ctx: GovernanceContext, rows: np.ndarray) -> None:
        self.records.grow_to(len(ctx.agents))
        self.ema[rows], self.seen[rows], self.violations[rows] = 0.0, 0, 0

    def stats(self) -> dict[str, float]:
        return {"freezes": float(self.freezes)}
