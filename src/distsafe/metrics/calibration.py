"""Metrics against the known ground truth v (interactions with v != 0): calibration of the soft label
(brier, ece, log_loss, calibration curve, each also for the hard label) and the spread of offered over
realized surplus. `SoftMetrics` inherits them; see `soft_metrics` for notation and conventions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from distsafe.core.payoff import SoftPayoffEngine
from distsafe.metrics.batch_stats import NAN, BatchStats, MetricInput, div_or_nan


class GroundTruthMetrics:
    """The ground-truth half of `SoftMetrics` (a mixin: `SoftMetrics` supplies `stats` and the config)."""

    payoff_engine: SoftPayoffEngine
    ece_bins: int

    if TYPE_CHECKING:  # supplied by `SoftMetrics`; declared here for the type checker only

        def stats(self, data: MetricInput) -> BatchStats: ...

    def spread(self, data: MetricInput) -> float:
        """Offered-minus-realized surplus on accepted trades (the bid-ask spread of the analogy).

        The offered (quoted) surplus of an interaction is S_soft = (s_plus + s_minus) * p - s_minus; the
        realized surplus is s_plus if v = +1 and -s_minus if v = -1, i.e. (s_plus + s_minus) * y - s_minus.
        spread = E[S_soft - S_realized | accepted, v known] = (s_plus + s_minus) * E[p - y | accepted, v
        known]. Positive: accepted interactions under-deliver on what their label promised (the
        uninformed side pays the informed one). nan without accepted interactions of known truth.
        """
        s = self.stats(data)
        n, sum_p, _, n_pos = s.known_accepted
        c = self.payoff_engine.config
        return (c.s_plus + c.s_minus) * div_or_nan(sum_p - n_pos, n)

    def hard_spread(self, data: MetricInput) -> float:
        """hard_spread = (s_plus + s_minus) * E[[p >= t] - y | accepted, v known]."""
        s = self.stats(data)
        n, _, n_hard, n_pos = s.known_accepted
        c = self.payoff_engine.config
        return (c.s_plus + c.s_minus) * div_or_nan(n_hard - n_pos, n)

    def realized_harm(self, data: MetricInput) -> float:
        """realized_harm = P(v = -1 | accepted, v known): the share of accepted interactions whose hidden
        outcome was bad. The ground-truth counterpart of toxicity_rate = E[1 - p | accepted], which it
        equals when p is calibrated. nan without accepted interactions of known truth."""
        s = self.stats(data)
        n, _, _, n_pos = s.known_accepted
        return div_or_nan(n - n_pos, n)

    # ---- calibration ------------------------------------------------------------------------------------
    def brier(self, data: MetricInput) -> float:
        """brier = E[(p - y)^2] with y = (v + 1) / 2 over interactions with known truth; in [0, 1].

        Computed as (sum p^2 - 2 * sum_{y=1} p + #(y=1)) / N.
        """
        s = self.stats(data)
        if s.n_known == 0:
            return NAN
        sum_p_pos = float(s.bins[3].sum())
        return max(s.sum_pk2 - 2.0 * sum_p_pos + s.n_pos, 0.0) / s.n_known

    def hard_brier(self, data: MetricInput) -> float:
        """hard_brier = E[([p >= t] - y)^2] = misclassification rate of the hard label."""
        s = self.stats(data)
        if s.n_known == 0:
            return NAN
        n_h = s.n_hk
        return (n_h + s.n_pos - 2 * s.n_hard_pos) / s.n_known

    def ece(self, data: MetricInput) -> float:
        """ece = sum_b (n_b / N) * |mean_b(p) - mean_b(y)| over `ece_bins` equal-width bins of [0, 1].

        Bin b holds b/k <= p < (b+1)/k (p = 1 falls in the last bin); only rows with known truth.
        Since n_b * |mean_b(p) - mean_b(y)| = |sum_b p - #_b(y = 1)|, no division per bin is needed.
        """
        s = self.stats(data)
        if s.n_known == 0:
            return NAN
        _, npos, sp, _ = s.bins
        return float(np.abs(sp - npos).sum()) / s.n_known

    def hard_ece(self, data: MetricInput) -> float:
        """hard_ece: ece of the hard label, i.e. sum over g in {0, 1} of (n_g / N) * |g - mean_g(y)|."""
        s = self.stats(data)
        if s.n_known == 0:
            return NAN
        n_h = s.n_hk
        pos_soft = s.n_pos - s.n_hard_pos
        return (abs(n_h - s.n_hard_pos) + pos_soft) / s.n_known

    def log_loss(self, data: MetricInput) -> float:
        """log_loss = -E[y log p + (1 - y) log(1 - p)], p clipped to [1e-12, 1 - 1e-12]; known truth only."""
        s = self.stats(data)
        if s.n_known == 0:
            return NAN
        return s.neg_log_likelihood / s.n_known

    def calibration_curve(self, data: MetricInput) -> dict[str, np.ndarray]:
        """Per bin: edges (k + 1), mean_p, frac_positive (= frequency of v = +1) and count.

        mean_p and frac_positive are nan in empty bins; only rows with known truth.
        """
        s = self.stats(data)
        k = self.ece_bins
        if s.n_known == 0:
            count = np.zeros(k, dtype=np.int64)
            sp = sy = np.zeros(k)
        else:
            count, sy, sp, _ = s.bins
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_p = np.where(count > 0, sp / np.maximum(count, 1), np.nan)
            frac = np.where(count > 0, sy / np.maximum(count, 1), np.nan)
        return {
            "edges": np.linspace(0.0, 1.0, k + 1),
            "mean_p": mean_p,
            "frac_positive": frac,
            "count": count.astype(np.int64),
        }
