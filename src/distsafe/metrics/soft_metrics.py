"""Soft-label metrics over a columnar `InteractionBatch` (or a list of `SoftInteraction`).

Length (over ~400 lines): `SoftMetrics` is the seeds' class with one method per metric and their formulas
in the docstrings; the ground-truth metrics and one-shot functions already live in calibration.py and
functional.py.

Notation (per interaction i): p = P(v = +1) the soft label, A the accepted flag, v in {-1, 0, +1} the
hidden ground truth (0 = unknown), y = (v + 1) / 2 the binary outcome where v is known, pi_a / pi_b the
initiator / counterparty payoffs, t the hard-label threshold. The *hard* label of an interaction is
hard = [p >= t]; every "hard_" metric is the soft formula with p replaced by hard.

Conventions shared by all metrics:

* A rejected interaction pays nothing: pi_a = pi_b = 0 where A is false (as `SoftPayoffEngine.
  apply_to_batch` writes it). Payoff columns that are all zero on a *list* input are filled from the
  payoff engine; a batch is taken as it is.
* Undefined values are ``nan``: a mean over an empty set (no interactions, no accepted, no rejected,
  no ground truth). Counts and sums over an empty set are 0.
* Calibration metrics (brier, ece, log_loss, calibration curve, spread) use only the interactions whose
  ground truth is known (v != 0).

Everything is vectorized: a batch is reduced by a handful of dot products, counts and bincounts, shared
through a lazily evaluated `BatchStats` (see `batch_stats`), so the bundles touch each column few times.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from distsafe.core.payoff import SoftPayoffEngine
from distsafe.metrics.batch_stats import (
    CHUNK,
    NAN,
    BatchStats,
    InteractionsLike,
    MetricInput,
    div_or_nan,
    gini,
    to_batch,
)
from distsafe.metrics.calibration import GroundTruthMetrics
from distsafe.metrics.reference_api import ReferenceMetricNames
from distsafe.models.agent import AgentType
from distsafe.models.schema import RejectReason

__all__ = [
    "ALL_KEYS", "CHUNK", "EPOCH_KEYS", "BatchStats", "InteractionsLike", "MetricInput", "SoftMetrics", "gini",
    "to_batch",
]  # fmt: skip

#: Keys of `SoftMetrics.compute_epoch`, in order.
EPOCH_KEYS: tuple[str, ...] = (
    "n_interactions",
    "n_accepted",
    "acceptance_rate",
    "toxicity_rate",
    "quality_gap",
    "avg_p",
    "total_welfare",
    "avg_payoff_initiator",
    "avg_payoff_counterparty",
    "conditional_loss_initiator",
    "conditional_loss_counterparty",
    "brier",
    "ece",
    "expected_harm",
    "hard_toxicity_rate",
    "hard_quality_gap",
    "realized_harm",
    "quality_gap_by_choice",
    "n_rejected_frozen",
    "welfare_money",
    "welfare_reputation",
)

#: Keys of `SoftMetrics.compute_all` that are always present, in order. With `agent_types`, the keys
#: ``payoff_mean_<type>``, ``toxicity_initiated_<type>`` and ``n_agents_<type>`` are added for every
#: `AgentType` value; with `reputations`, ``gini_reputation``.
ALL_KEYS: tuple[str, ...] = (
    "n_interactions",
    "n_accepted",
    "n_rejected",
    "n_with_ground_truth",
    "acceptance_rate",
    "avg_p",
    "avg_p_accepted",
    "avg_p_rejected",
    "var_p",
    "var_p_accepted",
    "uncertain_fraction",
    "toxicity_rate",
    "hard_toxicity_rate",
    "quality_gap",
    "hard_quality_gap",
    "spread",
    "hard_spread",
    "brier",
    "hard_brier",
    "ece",
    "hard_ece",
    "log_loss",
    "expected_harm",
    "hard_expected_harm",
    "total_welfare",
    "hard_total_welfare",
    "avg_payoff_initiator",
    "avg_payoff_counterparty",
    "conditional_loss_initiator",
    "conditional_loss_counterparty",
    "hard_conditional_loss_initiator",
    "hard_conditional_loss_counterparty",
    "realized_harm",
    "quality_gap_by_choice",
    "n_rejected_frozen",
    "welfare_money",
    "welfare_reputation",
    "gini_payoff",
)


class SoftMetrics(GroundTruthMetrics, ReferenceMetricNames):
    """Soft (probability-weighted) and hard (thresholded) metrics of interaction batches.

    Every metric method accepts a `list[SoftInteraction]` or an `InteractionBatch`.
    `threshold` defines the hard label (p >= threshold), `ece_bins` the equal-width calibration bins,
    `uncertain_band` the open interval of p counted as uncertain.
    """

    def __init__(
        self,
        payoff_engine: SoftPayoffEngine | None = None,
        threshold: float = 0.5,
        ece_bins: int = 10,
        uncertain_band: tuple[float, float] = (0.3, 0.7),
    ):
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {threshold}")
        if ece_bins < 1:
            raise ValueError(f"ece_bins must be >= 1, got {ece_bins}")
        lo, hi = uncertain_band
        if not 0.0 <= lo <= hi <= 1.0:
            raise ValueError(f"uncertain_band must satisfy 0 <= lo <= hi <= 1, got {uncertain_band}")
        self.payoff_engine = payoff_engine or SoftPayoffEngine()
        self.threshold = float(threshold)
        self.ece_bins = int(ece_bins)
        self.uncertain_band = (float(lo), float(hi))

    # ---- plumbing ---------------------------------------------------------------------------------
    def stats(self, data: InteractionsLike | BatchStats) -> BatchStats:
        """Shared reductions for `data`; pass the result to several metric methods to reuse them."""
        if isinstance(data, BatchStats):
            if (
                data.engine is self.payoff_engine
                and data.threshold == self.threshold
                and data.ece_bins == self.ece_bins
                and data.band == self.uncertain_band
            ):
                return data
            data = data.batch  # built under another configuration: recompute
        batch, _ = to_batch(data, self.payoff_engine)
        return BatchStats(batch, self.payoff_engine, self.threshold, self.ece_bins, self.uncertain_band)

    # ---- counts and label averages ------------------------------------------------------------------
    def n_interactions(self, data: MetricInput) -> int:
        return self.stats(data).n

    def n_accepted(self, data: MetricInput) -> int:
        return self.stats(data).n_acc

    def acceptance_rate(self, data: MetricInput) -> float:
        """acceptance_rate = n_accepted / n."""
        s = self.stats(data)
        return div_or_nan(s.n_acc, s.n)

    def avg_p(self, data: MetricInput) -> float:
        """avg_p = E[p] over all interactions."""
        s = self.stats(data)
        return div_or_nan(s.sum_p, s.n)

    def avg_p_accepted(self, data: MetricInput) -> float:
        """avg_p_accepted = E[p | accepted]."""
        s = self.stats(data)
        return div_or_nan(s.sum_p_acc, s.n_acc)

    def avg_p_rejected(self, data: MetricInput) -> float:
        """avg_p_rejected = E[p | rejected]."""
        s = self.stats(data)
        return div_or_nan(s.sum_p - s.sum_p_acc, s.n - s.n_acc)

    def variance_p(self, data: MetricInput) -> float:
        """var_p = E[p^2] - E[p]^2 over all interactions (population variance)."""
        s = self.stats(data)
        if s.n == 0:
            return NAN
        return max(s.sum_p2 / s.n - (s.sum_p / s.n) ** 2, 0.0)

    def variance_p_accepted(self, data: MetricInput) -> float:
        """var_p_accepted = E[p^2 | accepted] - E[p | accepted]^2."""
        s = self.stats(data)
        if s.n_acc == 0:
            return NAN
        return max(s.sum_p2_acc / s.n_acc - (s.sum_p_acc / s.n_acc) ** 2, 0.0)

    def uncertain_fraction(self, data: MetricInput, band: float | None = None) -> float:
        """uncertain_fraction = P(lo < p < hi) with (lo, hi) = uncertain_band (default (0.3, 0.7)), or
        (0.5 - band, 0.5 + band) when `band` is given (the reference implementation's argument)."""
        s = self.stats(data)
        if band is not None:
            return div_or_nan(int(np.count_nonzero(np.abs(s.p - 0.5) < band)), s.n)
        return div_or_nan(s.n_uncertain, s.n)

    # ---- selection metrics -------------------------------------------------------------------------
    def toxicity_rate(self, data: MetricInput) -> float:
        """toxicity_rate = E[1 - p | accepted] = 1 - avg_p_accepted (nan without accepted)."""
        s = self.stats(data)
        return div_or_nan(s.n_acc - s.sum_p_acc, s.n_acc)

    def hard_toxicity_rate(self, data: MetricInput) -> float:
        """hard_toxicity_rate = P(p < threshold | accepted)."""
        s = self.stats(data)
        return div_or_nan(s.n_acc - s.n_hard_acc, s.n_acc)

    def quality_gap(self, data: MetricInput) -> float:
        """quality_gap = E[p | accepted] - E[p | rejected]; negative = adverse selection.

        nan when either side is empty.
        """
        s = self.stats(data)
        return div_or_nan(s.sum_p_acc, s.n_acc) - div_or_nan(s.sum_p - s.sum_p_acc, s.n - s.n_acc)

    def n_rejected_frozen(self, data: MetricInput) -> int:
        """Rejections caused by a frozen counterparty (`reject_reason` = FROZEN), not by its choice."""
        s = self.stats(data)
        return int(np.count_nonzero(s.batch.reject_reason == RejectReason.FROZEN))

    def quality_gap_by_choice(self, data: MetricInput) -> float:
        """quality_gap without the rejections caused by a frozen counterparty:
        E[p | accepted] - E[p | rejected by the counterparty's choice]. nan when either side is empty.

        A frozen agent refuses everything offered to it, whatever its quality, so those rejections say
        nothing about selection; this gap measures the selection the agents themselves make."""
        s = self.stats(data)
        chosen = (
            (~s.acc)
            & (s.batch.reject_reason != RejectReason.FROZEN)
            & (s.batch.reject_reason != RejectReason.NOT_NEIGHBOUR)
        )
        n_rej = int(np.count_nonzero(chosen))
        sum_rej = _sum_where(s.p, chosen)
        return div_or_nan(s.sum_p_acc, s.n_acc) - div_or_nan(sum_rej, n_rej)

    def hard_quality_gap(self, data: MetricInput) -> float:
        """hard_quality_gap = P(p >= t | accepted) - P(p >= t | rejected); nan if a side is empty."""
        s = self.stats(data)
        return div_or_nan(s.n_hard_acc, s.n_acc) - div_or_nan(s.n_hard - s.n_hard_acc, s.n - s.n_acc)

    def expected_harm(self, data: MetricInput) -> float:
        """expected_harm = sum over accepted of (1 - p) * h (h from the payoff config); 0 if none."""
        s = self.stats(data)
        return float(self.payoff_engine.config.h * (s.n_acc - s.sum_p_acc))

    def hard_expected_harm(self, data: MetricInput) -> float:
        """hard_expected_harm = h * #(accepted with p < threshold)."""
        s = self.stats(data)
        return float(self.payoff_engine.config.h * (s.n_acc - s.n_hard_acc))

    # ---- payoffs ------------------------------------------------------------------------------------
    def total_welfare(self, data: MetricInput) -> float:
        """total_welfare = sum over accepted of (pi_a + pi_b); 0 if none accepted."""
        s = self.stats(data)
        return s.sum_pa_acc + s.sum_pb_acc

    def welfare_reputation(self, data: MetricInput) -> float:
        """welfare_reputation = w_rep * sum over accepted of (r_a + r_b): the part of total_welfare that
        is reputation change valued at w_rep, not money."""
        s = self.stats(data)
        b = s.batch
        rep = _sum_where(np.asarray(b.r_a, np.float64), s.acc) + _sum_where(
            np.asarray(b.r_b, np.float64), s.acc
        )
        return float(self.payoff_engine.config.w_rep * rep)

    def welfare_money(self, data: MetricInput) -> float:
        """welfare_money = total_welfare - welfare_reputation: the money the accepted interactions moved to
        the agents (surplus less governance costs and internalized harm; transfers cancel). The engine's
        epoch metrics add the governance revenue that is not destroyed (see docs/metrics.md)."""
        s = self.stats(data)
        return self.total_welfare(s) - self.welfare_reputation(s)

    def hard_total_welfare(self, data: MetricInput) -> float:
        """Welfare with p replaced by the hard label in the payoff equations (tau cancels).

        pi_a + pi_b is linear in p with slope (s_plus + s_minus) + (rho_a + rho_b) * h, so
        hard_total_welfare = total_welfare + slope * sum over accepted of ([p >= t] - p).
        """
        s = self.stats(data)
        c = self.payoff_engine.config
        slope = (c.s_plus + c.s_minus) + (c.rho_a + c.rho_b) * c.h
        return self.total_welfare(s) + slope * (s.n_hard_acc - s.sum_p_acc)

    def avg_payoff_initiator(self, data: MetricInput) -> float:
        """avg_payoff_initiator = E[pi_a | accepted]."""
        s = self.stats(data)
        return div_or_nan(s.sum_pa_acc, s.n_acc)

    def avg_payoff_counterparty(self, data: MetricInput) -> float:
        """avg_payoff_counterparty = E[pi_b | accepted]."""
        s = self.stats(data)
        return div_or_nan(s.sum_pb_acc, s.n_acc)

    def conditional_loss_initiator(self, data: MetricInput) -> float:
        """conditional_loss_initiator = E[pi_a | accepted] - E[pi_a], with pi_a = 0 for rejected rows.

        Equals sum_acc(pi_a) * (1 / n_accepted - 1 / n); nan without accepted interactions.
        """
        s = self.stats(data)
        return div_or_nan(s.sum_pa_acc, s.n_acc) - div_or_nan(s.sum_pa_acc, s.n)

    def conditional_loss_counterparty(self, data: MetricInput) -> float:
        """conditional_loss_counterparty = E[pi_b | accepted] - E[pi_b], pi_b = 0 for rejected rows."""
        s = self.stats(data)
        return div_or_nan(s.sum_pb_acc, s.n_acc) - div_or_nan(s.sum_pb_acc, s.n)

    def hard_conditional_loss_initiator(self, data: MetricInput) -> float:
        """Conditional loss with payoffs re-evaluated at the hard label.

        pi_a is linear in p with slope theta * (s_plus + s_minus) + rho_a * h.
        """
        s = self.stats(data)
        c = self.payoff_engine.config
        slope = c.theta * (c.s_plus + c.s_minus) + c.rho_a * c.h
        total = s.sum_pa_acc + slope * (s.n_hard_acc - s.sum_p_acc)
        return div_or_nan(total, s.n_acc) - div_or_nan(total, s.n)

    def hard_conditional_loss_counterparty(self, data: MetricInput) -> float:
        """As the initiator version with slope (1 - theta) * (s_plus + s_minus) + rho_b * h."""
        s = self.stats(data)
        c = self.payoff_engine.config
        slope = (1.0 - c.theta) * (c.s_plus + c.s_minus) + c.rho_b * c.h
        total = s.sum_pb_acc + slope * (s.n_hard_acc - s.sum_p_acc)
        return div_or_nan(total, s.n_acc) - div_or_nan(total, s.n)

    # ---- per agent and per type ---------------------------------------------------------------------
    def agent_payoffs(self, data: MetricInput, n_agents: int | None = None) -> np.ndarray:
        """Total payoff per agent index: bincount of pi_a by initiator plus pi_b by counterparty.

        Only accepted interactions count. Length max(n_agents, highest index + 1).
        """
        return self.stats(data).agent_payoffs(n_agents)

    def payoff_gini(self, data: MetricInput, n_agents: int | None = None) -> float:
        """gini(agent_payoffs); see `gini` for the shift of negative payoffs."""
        return gini(self.agent_payoffs(data, n_agents))

    def per_type_payoff(
        self, data: MetricInput, agent_types: ArrayLike, n_agents: int | None = None
    ) -> dict[str, float]:
        """Mean total payoff of the agents of each `AgentType` (nan for types with no agent).

        `agent_types[i]` is the `AgentType.code` of agent index i; its length fixes the agent count
        unless `n_agents` is larger (extra agents are then untyped and left out).
        """
        codes = np.asarray(agent_types, dtype=np.intp)
        pay = self.agent_payoffs(data, max(int(n_agents or 0), codes.shape[0]))[: codes.shape[0]]
        k = len(AgentType)
        n_t = np.bincount(codes, minlength=k)
        s_t = np.bincount(codes, weights=pay, minlength=k)
        return {t.value: div_or_nan(s_t[t.code], n_t[t.code]) for t in AgentType}

    def per_type_toxicity(self, data: MetricInput, agent_types: ArrayLike) -> dict[str, float]:
        """E[1 - p | accepted, initiator of type T] for each `AgentType` T (nan if T initiated none)."""
        s = self.stats(data)
        codes = np.asarray(agent_types, dtype=np.intp)
        k = len(AgentType)
        if s.n_acc == 0:
            return {t.value: NAN for t in AgentType}
        n_t, tox_t = np.zeros(k), np.zeros(k)
        for ini, p, acc in s.chunks(s.batch.initiator, s.p, s.accf):
            init_type = codes[ini]
            n_t += np.bincount(init_type, weights=acc, minlength=k)[:k]
            tox_t += np.bincount(init_type, weights=(1.0 - p) * acc, minlength=k)[:k]
        return {t.value: div_or_nan(tox_t[t.code], n_t[t.code]) for t in AgentType}

    # ---- bundles ------------------------------------------------------------------------------------
    def compute_epoch(self, data: MetricInput) -> dict[str, float]:
        """The fast per-epoch set, keys `EPOCH_KEYS` (counts as floats, nan where undefined)."""
        s = self.stats(data)
        out = {
            "n_interactions": float(s.n),
            "n_accepted": float(s.n_acc),
            "acceptance_rate": self.acceptance_rate(s),
            "toxicity_rate": self.toxicity_rate(s),
            "quality_gap": self.quality_gap(s),
            "avg_p": self.avg_p(s),
            "total_welfare": self.total_welfare(s),
            "avg_payoff_initiator": self.avg_payoff_initiator(s),
            "avg_payoff_counterparty": self.avg_payoff_counterparty(s),
            "conditional_loss_initiator": self.conditional_loss_initiator(s),
            "conditional_loss_counterparty": self.conditional_loss_counterparty(s),
            "brier": self.brier(s),
            "ece": self.ece(s),
            "expected_harm": self.expected_harm(s),
            "hard_toxicity_rate": self.hard_toxicity_rate(s),
            "hard_quality_gap": self.hard_quality_gap(s),
            "realized_harm": self.realized_harm(s),
            "quality_gap_by_choice": self.quality_gap_by_choice(s),
            "n_rejected_frozen": float(self.n_rejected_frozen(s)),
            "welfare_money": self.welfare_money(s),
            "welfare_reputation": self.welfare_reputation(s),
        }
        return out

    def compute_all(
        self,
        data: MetricInput,
        agent_types: ArrayLike | None = None,
        reputations: ArrayLike | None = None,
        n_agents: int | None = None,
    ) -> dict[str, float]:
        """Every scalar metric (keys `ALL_KEYS`, plus per-type and reputation keys when given).

        Per-type keys (with `agent_types`): payoff_mean_<type>, toxicity_initiated_<type>,
        n_agents_<type> for every `AgentType` value. `reputations` (one value per agent) adds
        gini_reputation.
        """
        s = self.stats(data)
        out: dict[str, float] = {
            "n_interactions": float(s.n),
            "n_accepted": float(s.n_acc),
            "n_rejected": float(s.n - s.n_acc),
            "n_with_ground_truth": float(s.n_known),
        }
        for name in ALL_KEYS[4:-1]:
            out[name] = float(getattr(self, _METHOD.get(name, name))(s))
        codes = None if agent_types is None else np.asarray(agent_types, dtype=np.intp)
        if codes is not None:
            n_agents = max(int(n_agents or 0), codes.shape[0])
        out["gini_payoff"] = self.payoff_gini(s, n_agents)
        if codes is not None:
            counts = np.bincount(codes, minlength=len(AgentType))
            for t, v in self.per_type_payoff(s, codes, n_agents).items():
                out[f"payoff_mean_{t}"] = v
            for t, v in self.per_type_toxicity(s, codes).items():
                out[f"toxicity_initiated_{t}"] = v
            for t in AgentType:
                out[f"n_agents_{t.value}"] = float(counts[t.code])
        if reputations is not None:
            out["gini_reputation"] = gini(reputations)
        return out


def _sum_where(x: np.ndarray, mask: np.ndarray) -> float:
    """sum(x[mask]) without the gather: einsum over the mask as floats."""
    return float(np.einsum("i,i->", x, mask.astype(np.float64))) if x.shape[0] else 0.0


_METHOD: Mapping[str, str] = {"var_p": "variance_p", "var_p_accepted": "variance_p_accepted"}
