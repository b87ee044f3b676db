"""Resample protocol (Ctrl-Z: Bhatt et al., 2025; the reference's `governance.resample_*` lever).

Before an agent acts, a monitor scores its suspicion from what is known before the action: its reputation
mapped to a proxy p, `p_proxy = clip(0.5 + reputation / 2, 0, 1)`, suspicion `1 - p_proxy`, plus (with
`resample_trajectory_analysis`) a trend boost `min(0.2, max(0, -slope))`, where `slope` is the least-squares
slope of the p of its last `resample_trajectory_window` interactions as initiator (once it has that many).
At suspicion >= `resample_suspicion_threshold`, `resample_n_samples` more actions are drawn from the agent
and the majority of the original and the samples is played (ties: the earliest); the action is *blocked*
when the majority differs from the original. That draw is the engine's (`core.resample`), which reports
here (`record`). Each sample gets a proxy p: `p_proxy + 0.3` (at most 1) when it differs from the original
(exonerating), else `p_proxy` (confirming).

When the resampled action is a proposal, its interaction (found in `on_interactions`, with its p):
  - costs the initiator `resample_compute_cost * n_samples` (c_a);
  - adds evidence `f * (1 - p)` to the initiator, f the fraction of samples whose `1 - p_sample` is at or
    over the suspicion threshold, and lowers its reputation by `evidence * resample_evidence_rep_weight`
    (and 0.1 more when the action was blocked);
  - freezes the initiator, for the rest of the run, once its evidence reaches
    `resample_incrimination_threshold` (the paper's shutdown).
Every interaction an agent initiates adds its p to its trajectory. Evidence decays by
`resample_evidence_decay` at each epoch's start (values under 1e-6 become 0).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from distsafe.governance.config import GovernanceConfig
from distsafe.governance.levers import GovernanceContext, GovernanceLever
from distsafe.models.column_store import Column, ColumnStore
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType

#: the most the trajectory trend adds to suspicion, the proxy p added to a sample that differs from the
#: original action, the reputation lost for a blocked action (the reference's constants)
TREND_CAP = 0.2
EXONERATION = 0.3
BLOCK_REPUTATION_PENALTY = 0.1
#: evidence under this is dropped at the epoch's decay (the reference's cut-off)
EVIDENCE_FLOOR = 1e-6
#: frozen_until for "the rest of the run"
FOREVER = np.iinfo(np.int32).max


class ResampleRecords(ColumnStore):
    """Per agent row: evidence, resample count and this step's pending resample (grown with the agents)."""

    evidence: Column[np.float64] = Column(np.float64, 0.0, "accumulated incrimination evidence")
    resamples: Column[np.int64] = Column(np.int64, 0, "resampled actions that became interactions")
    pending: Column[np.bool_] = Column(np.bool_, False, "this step's action was resampled and is a proposal")
    blocked: Column[np.bool_] = Column(np.bool_, False, "this step's resampled action was replaced")
    suspicious_fraction: Column[np.float64] = Column(
        np.float64, 0.0, "share of this step's suspicious samples"
    )
    flagged: Column[np.bool_] = Column(np.bool_, False, "flagged by the monitor before this step's action")
    proxy: Column[np.float64] = Column(np.float64, 0.5, "the monitor's proxy p at this step's flag")
    traj_len: Column[np.int64] = Column(np.int64, 0, "values in the trajectory ring (at most 2 * window)")
    traj_pos: Column[np.int64] = Column(np.int64, 0, "next write position in the trajectory ring")


def p_proxy(reputation: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The monitor's pre-action proxy for p: reputation mapped from [-1, 1] onto [0, 1]."""
    return np.asarray(np.clip(0.5 + 0.5 * np.asarray(reputation, dtype=np.float64), 0.0, 1.0))


def trend_boost(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Per row of `values` (agents x window, oldest first): `min(0.2, max(0, -slope))` of the least-squares
    line through the row."""
    n = values.shape[1]
    x = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
    slope = (values - values.mean(axis=1, keepdims=True)) @ x / float(x @ x)
    return np.asarray(np.minimum(TREND_CAP, np.maximum(0.0, -slope)))


def majority(signatures: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Per row of `signatures` (agents x candidates x fields), the index of the candidate played: the one
    whose signature most candidates share, the earliest among ties."""
    same = np.all(signatures[:, :, None, :] == signatures[:, None, :, :], axis=-1)
    return np.asarray(np.argmax(same.sum(axis=2), axis=1), dtype=np.int64)


class ResampleLever(GovernanceLever):
    name = "resample"

    def __init__(self, config: GovernanceConfig) -> None:
        self.threshold = config.resample_suspicion_threshold
        self.n_samples = config.resample_n_samples
        self.use_trajectory = config.resample_trajectory_analysis
        self.window = config.resample_trajectory_window
        self.incrimination = config.resample_incrimination_threshold
        self.compute_cost = config.resample_compute_cost
        self.decay = config.resample_evidence_decay
        self.rep_weight = config.resample_evidence_rep_weight
        self.records = ResampleRecords()
        self.ring = np.zeros((0, 2 * self.window))
        self.n_resampled = 0
        self.n_blocked = 0
        self.n_incriminated = 0
        self.charged = 0.0

    def _grow(self, n: int) -> None:
        self.records.grow_to(n)
        if self.ring.shape[0] < n:
            self.ring = np.vstack([self.ring, np.zeros((n - self.ring.shape[0], self.ring.shape[1]))])

    # -- the monitor, before the action -----------------------------------------------------------------

    def suspicion(self, ctx: GovernanceContext, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """The monitor's suspicion of each of `rows` before it acts."""
        self._grow(len(ctx.agents))
        score = 1.0 - p_proxy(ctx.agents.reputation[rows])
        if self.use_trajectory:
            full = np.flatnonzero(self.records.traj_len[rows] >= self.window)
            if full.size:
                r = rows[full]
                cols = (
                    self.records.traj_pos[r][:, None] - self.window + np.arange(self.window)
                ) % self.ring.shape[1]
                recent = self.ring[r[:, None], cols]
                score[full] = np.minimum(1.0, score[full] + trend_boost(recent))
        return np.asarray(score)

    def monitor(self, ctx: GovernanceContext, rows: npt.NDArray[np.int64]) -> None:
        """Before `rows` act: flag those whose suspicion reaches the threshold (kept until they act)."""
        self._grow(len(ctx.agents))
        rec = self.records
        rec.flagged[:] = False
        rec.pending[:] = False  # a resample settles within its step
        rec.flagged[rows] = self.suspicion(ctx, rows) >= self.threshold
        rec.proxy[rows] = p_proxy(ctx.agents.reputation[rows])

    def flagged(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Which of `rows` the monitor flagged this step."""
        self._grow(int(rows.max()) + 1 if rows.size else 0)
        return np.asarray(self.records.flagged[rows])

    def keep_pending(self, proposing: npt.NDArray[np.int64]) -> None:
        """Only agents in `proposing` (their proposal passed the rails) still have a pending resample."""
        keep = np.zeros(len(self.records), dtype=bool)
        keep[proposing] = True
        self.records.pending &= keep

    def record(
        self,
        ctx: GovernanceContext,
        rows: npt.NDArray[np.int64],
        differs: npt.NDArray[np.bool_],
        blocked: npt.NDArray[np.bool_],
        proposes: npt.NDArray[np.bool_],
    ) -> None:
        """The engine resampled `rows`: `differs[i, k]` whether sample k of row i differs from its original,
        `blocked[i]` whether the majority replaced the original, `proposes[i]` whether the played action is
        a proposal (its interaction settles the evidence)."""
        self._grow(len(ctx.agents))
        base = self.records.proxy[rows]
        sample_p = np.where(differs, np.minimum(1.0, base[:, None] + EXONERATION), base[:, None])
        frac = np.mean((1.0 - sample_p) >= self.threshold, axis=1)
        self.records.pending[rows] = proposes
        self.records.blocked[rows] = blocked
        self.records.suspicious_fraction[rows] = frac
        self.n_resampled += int(rows.size)
        self.n_blocked += int(np.count_nonzero(blocked))
        for i, r in enumerate(rows.tolist()):
            payload = {
                "n_samples": self.n_samples,
                "blocked": bool(blocked[i]),
                "suspicious_fraction": float(frac[i]),
            }
            ctx.events.append((EventType.ACTION_RESAMPLED.value, r, payload))

    # -- the lever's hooks ---------------------------------------------------------------------------------

    def on_epoch_start(self, ctx: GovernanceContext) -> None:
        self._grow(len(ctx.agents))
        ev = self.records.evidence
        ev *= self.decay
        ev[ev < EVIDENCE_FLOOR] = 0.0

    def on_interactions(self, ctx: GovernanceContext, batch: InteractionBatch) -> None:
        self._grow(len(ctx.agents))
        rec = self.records
        init = batch.initiator.astype(np.int64)
        if init.size:
            self._extend_trajectories(init, batch.p)
        # the proposal of a resampled agent is its first interaction as initiator (proposals come first)
        _, first = np.unique(init, return_index=True)
        first = first[rec.pending[init[first]]]
        rec.pending[:] = False
        if first.size == 0:
            return
        who = init[first]
        batch.c_a[first] += self.compute_cost * self.n_samples
        self.charged += float(self.compute_cost * self.n_samples * first.size)
        delta = rec.suspicious_fraction[who] * (1.0 - batch.p[first])
        rec.evidence[who] += delta
        rec.resamples[who] += 1
        rep = ctx.agents.reputation
        rep[who] -= np.where(delta > 0, delta * self.rep_weight, 0.0)
        rep[who] -= np.where(rec.blocked[who], BLOCK_REPUTATION_PENALTY, 0.0)
        frozen = ctx.agents.frozen_until
        caught = who[(rec.evidence[who] >= self.incrimination) & (frozen[who] != FOREVER)]
        if caught.size:
            frozen[caught] = FOREVER
            self.n_incriminated += int(caught.size)
            for r in caught.tolist():
                ctx.events.append(
                    (
                        EventType.AGENT_FROZEN.value,
                        r,
                        {"reason": "resample_incrimination", "evidence": float(rec.evidence[r])},
                    )
                )

    def _extend_trajectories(self, init: npt.NDArray[np.int64], p: npt.NDArray[np.float64]) -> None:
        """Append each interaction's p to its initiator's ring (in batch order; the last 2 * window kept)."""
        rec, width = self.records, self.ring.shape[1]
        order = np.argsort(init, kind="stable")
        who, vals = init[order], p[order]
        starts = np.searchsorted(who, who, side="left")
        rank = np.arange(who.size) - starts
        count = np.bincount(who, minlength=len(rec))
        keep = rank >= count[who] - width  # only the last `width` of an agent's new values
        cols = (rec.traj_pos[who] + rank) % width
        self.ring[who[keep], cols[keep]] = vals[keep]
        rows = np.flatnonzero(count)
        rec.traj_pos[rows] = (rec.traj_pos[rows] + count[rows]) % width
        rec.traj_len[rows] = np.minimum(width, rec.traj_len[rows] + count[rows])

    def reset_agents(self, ctx: GovernanceContext, rows: np.ndarray) -> None:
        self._grow(len(ctx.agents))
        rec = self.records
        rec.evidence[rows], rec.resamples[rows], rec.pending[rows] = 0.0, 0, False
        rec.traj_len[rows], rec.traj_pos[rows] = 0, 0

    def stats(self) -> dict[str, float]:
        return {
            "resampled_actions": float(self.n_resampled),
            "resample_blocked": float(self.n_blocked),
            "resample_incriminated": float(self.n_incriminated),
            "resample_compute_cost": self.charged,
        }
