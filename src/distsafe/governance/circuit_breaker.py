"""Circuit breaker: freezes initiators whose recent toxicity stays at or above a threshold.

Recent toxicity is an exponential moving average of 1 - p over the agent's accepted interactions as
initiator, with alpha = 2 / (window + 1) (the EMA analogue of a `window`-interaction mean), started at
the agent's first value. Each step in which an agent's EMA is >= `freeze_threshold_toxicity` is a
violation, once the agent has at least `circuit_breaker_min_interactions` accepted interactions (so one
unlucky first outcome cannot freeze an honest agent); at `freeze_threshold_violations` violations the agent is frozen for
`freeze_duration_epochs` epochs (it cannot act nor be a counterparty) and its violations reset.
"""

from __future__ import annotations

import numpy as np

from distsafe.governance.config import GovernanceConfig
from distsafe.governance.levers import GovernanceContext, GovernanceLever
from distsafe.models.events import EventType


class CircuitBreakerLever(GovernanceLever):
    name = "circuit_breaker"

    def __init__(self, config: GovernanceConfig):
        self.threshold = config.freeze_threshold_toxicity
        self.max_violations = config.freeze_threshold_violations
        self.duration = config.freeze_duration_epochs
        self.alpha = 2.0 / (config.circuit_breaker_window + 1.0)
        self.min_seen = config.circuit_breaker_min_interactions
        self.ema = np.zeros(0)
        self.seen = np.zeros(0, dtype=np.int64)
        self.violations = np.zeros(0, dtype=np.int32)
        self.freezes = 0

    def _grow(self, n: int) -> None:
        if self.ema.shape[0] < n:
            k = n - self.ema.shape[0]
            self.ema = np.concatenate([self.ema, np.zeros(k)])
            self.seen = np.concatenate([self.seen, np.zeros(k, dtype=np.int64)])
            self.violations = np.concatenate([self.violations, np.zeros(k, dtype=np.int32)])

    def after_payoffs(self, ctx: GovernanceContext, batch) -> None:
        n_agents = len(ctx.agents)
        self._grow(n_agents)
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
                ctx.events.append((EventType.AGENT_FROZEN.value, i, {
                    "avg_toxicity": float(self.ema[i]), "until_epoch": int(ctx.epoch + self.duration)}))

    def stats(self) -> dict[str, float]:
        return {"freezes": float(self.freezes)}
