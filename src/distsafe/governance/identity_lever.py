"""The Sybil detection lever (seed 003 "Sybil Detection Governance Lever"; registry name `sybil_detection`,
switch `sybil_detection_enabled`).

Patterns: every interaction of the run so far (proposed, accepted or not) counts once for each side under the
other side: agent a's pattern is its counts per counterparty, both directions (as the reference records them).
They are kept as pair keys and merged into a sparse agents x agents matrix at each epoch's start.

Detection, at each epoch's start (before anyone acts): the clusters of `models.identity.sybil_cluster_labels`
over the patterns at `sybil_similarity_threshold` (Jaccard of counterparty sets and cosine of counts,
averaged; candidate pairs only, so it runs at 10^5 agents). Each member of a cluster is flagged for the epoch:
it loses 0.1 x `sybil_penalty_multiplier` reputation and 1 x `sybil_penalty_multiplier` resources (the
reference's amounts), and a `sybil_detected` event names it with its cluster. Members of a cluster larger
than `sybil_max_cluster_size` may not act this epoch. With `sybil_realtime_penalty`, each accepted interaction
between two flagged agents costs both sides `sybil_realtime_rate`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from distsafe.governance.config import GovernanceConfig
from distsafe.governance.levers import GovernanceContext, GovernanceLever
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType
from distsafe.models.identity import InteractionPatterns, clusters_of, sybil_cluster_labels

#: what a flagged agent loses per epoch, per unit of `sybil_penalty_multiplier` (the reference's amounts)
REPUTATION_PENALTY = 0.1
RESOURCE_PENALTY = 1.0


class SybilDetectionLever(GovernanceLever):
    name = "sybil_detection"

    def __init__(self, config: GovernanceConfig) -> None:
        self.config = config
        self.patterns = InteractionPatterns()
        #: per agent row: its cluster label this epoch (-1: none), and whether it is blocked
        self.labels = np.zeros(0, dtype=np.int64)
        self.blocked = np.zeros(0, dtype=bool)
        self.n_clusters = 0
        self.penalty_total = 0.0
        self.epoch_penalties = 0.0
        self.blocked_actions = 0
        self.detections = 0

    # ---- patterns ------------------------------------------------------------------------------------------
    def after_payoffs(self, ctx: GovernanceContext, batch: InteractionBatch) -> None:
        self.patterns.add(batch.initiator, batch.counterparty)

    # ---- detection and penalties ---------------------------------------------------------------------------
    def on_epoch_start(self, ctx: GovernanceContext) -> None:
        agents, c = ctx.agents, self.config
        n = len(agents)
        matrix = self.patterns.matrix(n)
        self.labels = sybil_cluster_labels(matrix, c.sybil_similarity_threshold)[:n]
        clusters = clusters_of(self.labels)
        self.n_clusters = len(clusters)
        self.blocked = np.zeros(n, dtype=bool)
        self.epoch_penalties = 0.0
        for k, rows in enumerate(clusters):
            big = rows.shape[0] > c.sybil_max_cluster_size
            self.blocked[rows] = big
            pay = RESOURCE_PENALTY * c.sybil_penalty_multiplier
            agents.reputation[rows] -= REPUTATION_PENALTY * c.sybil_penalty_multiplier
            agents.resources[rows] -= pay
            agents.total_payoff[rows] -= pay
            self.epoch_penalties += pay * rows.shape[0]
            members = [agents.ids[int(r)] for r in rows.tolist()]
            for r in rows.tolist():
                self.detections += 1
                ctx.events.append((EventType.SYBIL_DETECTED.value, r, {
                    "cluster": k, "size": int(rows.shape[0]), "blocked": bool(big), "penalty": pay,
                    "members": members[:20],
                }))  # fmt: skip
        self.penalty_total += self.epoch_penalties

    def flagged(self, n: int) -> npt.NDArray[np.bool_]:
        """Per agent row (n rows): in a cluster this epoch."""
        out = np.zeros(n, dtype=bool)
        k = min(n, self.labels.shape[0])
        out[:k] = self.labels[:k] >= 0
        return out

    def can_act(self, ctx: GovernanceContext, agents: np.ndarray) -> np.ndarray:
        if self.blocked.shape[0] == 0:
            return np.ones(agents.shape[0], dtype=bool)
        inside = agents < self.blocked.shape[0]
        blocked = np.zeros(agents.shape[0], dtype=bool)
        blocked[inside] = self.blocked[agents[inside]]
        self.blocked_actions += int(np.count_nonzero(blocked))
        out: np.ndarray = ~blocked
        return out

    def on_interactions(self, ctx: GovernanceContext, batch: InteractionBatch) -> None:
        if not self.config.sybil_realtime_penalty or len(batch) == 0 or self.labels.shape[0] == 0:
            return
        flag = self.flagged(int(max(batch.initiator.max(), batch.counterparty.max())) + 1)
        both = batch.accepted & flag[batch.initiator] & flag[batch.counterparty]
        cost = np.where(both, self.config.sybil_realtime_rate, 0.0)
        if cost.any():
            batch.c_a = batch.c_a + cost
            batch.c_b = batch.c_b + cost
            paid = float(2.0 * cost.sum())
            self.penalty_total += paid
            self.epoch_penalties += paid

    def reset_agents(self, ctx: GovernanceContext, rows: np.ndarray) -> None:
        """New agents in old rows: their patterns start empty."""
        self.patterns.clear_rows(rows, len(ctx.agents))

    def stats(self) -> dict[str, float]:
        return {
            "sybil_clusters": float(self.n_clusters),
            "sybil_flagged_agents": float(np.count_nonzero(self.labels >= 0)),
            "sybil_blocked_actions": float(self.blocked_actions),
            "sybil_penalty_total": self.penalty_total,
        }

    def epoch_metrics(self) -> dict[str, float]:
        return {
            "sybil_clusters": float(self.n_clusters),
            "sybil_flagged_agents": float(np.count_nonzero(self.labels >= 0)),
            "sybil_penalties": self.epoch_penalties,
        }
