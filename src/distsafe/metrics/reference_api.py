"""The reference implementation's (swarm-safety 1.9.0) names for the seeds' metrics, as aliases of ours.

`SoftMetrics` inherits `ReferenceMetricNames`, `MetricsReporter` inherits `ReferenceReporterNames`, so code
written against the reference's `SoftMetrics` / `MetricsReporter` runs with the import prefix changed.
Each name is a thin view over distsafe's own metric (docs/from-swarm.md lists them); where the reference's
convention differs, ours is kept:

* a metric with nothing to measure is NaN here (no ground truth, no accepted interaction, one class
  only), where the reference returns None or 0.0: a 0 would read as "no toxicity" or "perfect calibration"
  in an average over epochs, NaN is skipped by nan-aware aggregation and shows as "-" in reports;
* `spread` and `calibration_curve` keep distsafe's (the seeds') definitions: see `metrics.calibration`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from distsafe.metrics.batch_stats import NAN, BatchStats, MetricInput, div_or_nan

if TYPE_CHECKING:
    from distsafe.core.payoff import SoftPayoffEngine
    from distsafe.models.interaction import SoftInteraction


def _cv(std: float, mean: float) -> float:
    """std / |mean| with a relative floor on |mean| (1e-8 * (|mean| + std)), 0 when std is 0."""
    if math.isnan(std) or math.isnan(mean):
        return NAN
    if std == 0:
        return 0.0
    return std / max(abs(mean), 1e-8 * (abs(mean) + std))


def _auc(p: np.ndarray, y: np.ndarray) -> float:
    """P(p of a positive > p of a negative) + 0.5 * P(tie): the Mann-Whitney U over n_pos * n_neg."""
    n_pos = int(y.sum())
    n_neg = int(y.shape[0]) - n_pos
    if n_pos == 0 or n_neg == 0:
        return NAN
    _, inverse, counts = np.unique(p, return_inverse=True, return_counts=True)
    upper = np.cumsum(counts)
    avg_rank = upper - (counts - 1) / 2.0  # 1-based mean rank of each distinct value
    rank_sum = float(avg_rank[inverse][y].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


class ReferenceMetricNames:
    """The reference's `SoftMetrics` method names over distsafe's metrics (a mixin of `SoftMetrics`)."""

    payoff_engine: SoftPayoffEngine
    ece_bins: int

    if TYPE_CHECKING:  # supplied by `SoftMetrics`; declared for the type checker only

        def stats(self, data: MetricInput) -> BatchStats: ...
        def brier(self, data: MetricInput) -> float: ...
        def ece(self, data: MetricInput) -> float: ...
        def avg_p(self, data: MetricInput) -> float: ...
        def avg_p_accepted(self, data: MetricInput) -> float: ...
        def variance_p(self, data: MetricInput) -> float: ...
        def variance_p_accepted(self, data: MetricInput) -> float: ...
        def total_welfare(self, data: MetricInput) -> float: ...
        def avg_payoff_initiator(self, data: MetricInput) -> float: ...
        def avg_payoff_counterparty(self, data: MetricInput) -> float: ...

    def brier_score(self, data: MetricInput) -> float:
        """= `brier`."""
        return self.brier(data)

    def expected_calibration_error(self, data: MetricInput, bins: int | None = None) -> float:
        """= `ece`, with `bins` equal-width bins (default: this object's `ece_bins`)."""
        if bins is None or bins == self.ece_bins:
            return self.ece(data)
        s = self.stats(data)
        p, y = s.pk, s.ypos
        if p.shape[0] == 0:
            return NAN
        idx = np.minimum((p * bins).astype(np.int64), bins - 1)
        sp = np.bincount(idx, weights=p, minlength=bins)
        sy = np.bincount(idx, weights=y.astype(np.float64), minlength=bins)
        return float(np.abs(sp - sy).sum()) / int(p.shape[0])

    def calibration_error(self, data: MetricInput) -> float:
        """E[p] - P(v = +1) over the interactions of known truth (signed: > 0 is over-confident)."""
        s = self.stats(data)
        p, y = s.pk, s.ypos
        if p.shape[0] == 0:
            return NAN
        return float(p.mean() - y.mean())

    def discrimination_auc(self, data: MetricInput) -> float:
        """ROC AUC of p against v = +1 (ties count one half); NaN without both outcomes."""
        s = self.stats(data)
        return _auc(s.pk, s.ypos)

    def average_quality(self, data: MetricInput, accepted_only: bool = False) -> float:
        """= `avg_p` (or `avg_p_accepted`)."""
        return self.avg_p_accepted(data) if accepted_only else self.avg_p(data)

    def quality_variance(self, data: MetricInput, accepted_only: bool = False) -> float:
        """= `variance_p` (or `variance_p_accepted`): population variance of p."""
        return self.variance_p_accepted(data) if accepted_only else self.variance_p(data)

    def quality_std(self, data: MetricInput, accepted_only: bool = False) -> float:
        return math.sqrt(self.quality_variance(data, accepted_only))

    def _payoffs(self, data: MetricInput) -> tuple[np.ndarray, np.ndarray]:
        """Each interaction's payoffs as if accepted (the reference's variance is over all of them)."""
        b = self.stats(data).batch
        a, c = self.payoff_engine.payoff_arrays(b.p, b.tau, b.c_a, b.c_b, b.r_a, b.r_b)
        return np.asarray(a, dtype=np.float64), np.asarray(c, dtype=np.float64)

    def payoff_variance_initiator(self, data: MetricInput) -> float:
        """Var[pi_a] over all interactions (population variance); NaN when empty."""
        a, _ = self._payoffs(data)
        return float(a.var()) if a.shape[0] else NAN

    def payoff_variance_counterparty(self, data: MetricInput) -> float:
        _, c = self._payoffs(data)
        return float(c.var()) if c.shape[0] else NAN

    def coefficient_of_variation(self, data: MetricInput) -> dict[str, float]:
        """std / |mean| of p, pi_a and pi_b (`_cv`); NaN when empty."""
        s = self.stats(data)
        a, c = self._payoffs(s)
        if s.n == 0:
            return {"cv_p": NAN, "cv_payoff_initiator": NAN, "cv_payoff_counterparty": NAN}
        return {
            "cv_p": _cv(math.sqrt(self.variance_p(s)), self.avg_p(s)),
            "cv_payoff_initiator": _cv(float(a.std()), float(a.mean())),
            "cv_payoff_counterparty": _cv(float(c.std()), float(c.mean())),
        }

    def welfare_metrics(self, data: MetricInput) -> dict[str, float]:
        """Welfare over accepted interactions: total (pi_a + pi_b), social surplus (S_soft - E_soft),
        mean initiator and counterparty payoffs."""
        s = self.stats(data)
        b = s.batch
        acc = s.acc
        social = self.payoff_engine.expected_surplus(b.p[acc]) - self.payoff_engine.expected_harm(b.p[acc])
        return {
            "total_welfare": self.total_welfare(s),
            "total_social_surplus": float(np.sum(social)),
            "avg_initiator_payoff": self.avg_payoff_initiator(s),
            "avg_counterparty_payoff": self.avg_payoff_counterparty(s),
        }

    def participation_by_quality(self, data: MetricInput, threshold: float = 0.5) -> dict[str, float]:
        """Acceptance rate and count of interactions with p >= threshold (high quality) and below."""
        s = self.stats(data)
        high = s.p >= threshold
        n_high, n_low = int(high.sum()), int((~high).sum())
        return {
            "high_quality_acceptance": div_or_nan(int((s.acc & high).sum()), n_high),
            "low_quality_acceptance": div_or_nan(int((s.acc & ~high).sum()), n_low),
            "high_quality_count": n_high,
            "low_quality_count": n_low,
        }

    def flag_uncertain(self, interactions: list[SoftInteraction], band: float = 0.2) -> list[SoftInteraction]:
        """The interactions with |p - 0.5| < band."""
        return [i for i in interactions if abs(i.p - 0.5) < band]


@dataclass
class MetricsSummary:
    """The reference's `MetricsSummary`: one batch's metrics by section (`to_dict`). Values are distsafe's
    (NaN where there is nothing to measure)."""

    toxicity_soft: float
    conditional_loss_initiator: float
    conditional_loss_counterparty: float
    spread: float
    quality_gap: float
    average_quality: float
    uncertain_fraction: float
    toxicity_hard: float
    acceptance_rate: float
    high_quality_acceptance: float
    low_quality_acceptance: float
    total_interactions: int
    accepted_count: int
    rejected_count: int
    high_quality_count: int
    low_quality_count: int
    total_welfare: float
    total_social_surplus: float
    avg_initiator_payoff: float
    avg_counterparty_payoff: float
    brier_score: float
    log_loss: float
    calibration_error: float
    expected_calibration_error: float
    quality_variance: float
    payoff_variance_initiator: float
    payoff_variance_counterparty: float

    def to_dict(self) -> dict[str, dict[str, Any]]:
        d = asdict(self)
        sections = {
            "soft_metrics": (
                "toxicity_soft",
                "conditional_loss_initiator",
                "conditional_loss_counterparty",
                "spread",
                "quality_gap",
                "average_quality",
                "uncertain_fraction",
            ),
            "hard_metrics": (
                "toxicity_hard",
                "acceptance_rate",
                "high_quality_acceptance",
                "low_quality_acceptance",
            ),
            "counts": (
                "total_interactions",
                "accepted_count",
                "rejected_count",
                "high_quality_count",
                "low_quality_count",
            ),
            "welfare": (
                "total_welfare",
                "total_social_surplus",
                "avg_initiator_payoff",
                "avg_counterparty_payoff",
            ),
            "calibration": ("brier_score", "log_loss", "calibration_error", "expected_calibration_error"),
            "variance": ("quality_variance", "payoff_variance_initiator", "payoff_variance_counterparty"),
        }
        short = {
            "toxicity_soft": "toxicity",
            "toxicity_hard": "toxicity",
            "total_interactions": "total",
            "accepted_count": "accepted",
            "rejected_count": "rejected",
            "high_quality_count": "high_quality",
            "low_quality_count": "low_quality",
        }
        return {sec: {short.get(k, k): d[k] for k in keys} for sec, keys in sections.items()}


_MD_LABELS = {
    "soft_metrics": "Soft metrics (probabilistic)",
    "hard_metrics": "Hard metrics (threshold-based)",
    "counts": "Counts",
    "welfare": "Welfare",
    "calibration": "Calibration",
    "variance": "Variance",
}


def _md_cell(value: Any) -> str:
    if isinstance(value, bool) or isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.4f}"
    return str(value).replace("|", "\\|")


class ReferenceReporterNames:
    """The reference's `MetricsReporter` method names (a mixin of `MetricsReporter`)."""

    if TYPE_CHECKING:
        from distsafe.metrics.soft_metrics import SoftMetrics

        metrics: SoftMetrics

    def summary(self, interactions: MetricInput) -> MetricsSummary:
        m = self.metrics
        s = m.stats(interactions)
        part = m.participation_by_quality(s, m.threshold)
        welfare = m.welfare_metrics(s)
        return MetricsSummary(
            toxicity_soft=m.toxicity_rate(s),
            conditional_loss_initiator=m.conditional_loss_initiator(s),
            conditional_loss_counterparty=m.conditional_loss_counterparty(s),
            spread=m.spread(s),
            quality_gap=m.quality_gap(s),
            average_quality=m.avg_p(s),
            uncertain_fraction=m.uncertain_fraction(s),
            toxicity_hard=m.hard_toxicity_rate(s),
            acceptance_rate=m.acceptance_rate(s),
            high_quality_acceptance=part["high_quality_acceptance"],
            low_quality_acceptance=part["low_quality_acceptance"],
            total_interactions=s.n,
            accepted_count=s.n_acc,
            rejected_count=s.n - s.n_acc,
            high_quality_count=int(part["high_quality_count"]),
            low_quality_count=int(part["low_quality_count"]),
            total_welfare=welfare["total_welfare"],
            total_social_surplus=welfare["total_social_surplus"],
            avg_initiator_payoff=welfare["avg_initiator_payoff"],
            avg_counterparty_payoff=welfare["avg_counterparty_payoff"],
            brier_score=m.brier(s),
            log_loss=m.log_loss(s),
            calibration_error=m.calibration_error(s),
            expected_calibration_error=m.ece(s),
            quality_variance=m.variance_p(s),
            payoff_variance_initiator=m.payoff_variance_initiator(s),
            payoff_variance_counterparty=m.payoff_variance_counterparty(s),
        )

    def compare_soft_hard(self, interactions: MetricInput) -> dict[str, dict[str, Any]]:
        """Soft against hard toxicity, the selection metrics and the uncertain share, by topic."""
        sm = self.summary(interactions)
        return {
            "toxicity": {
                "soft": sm.toxicity_soft,
                "hard": sm.toxicity_hard,
                "difference": sm.toxicity_soft - sm.toxicity_hard,
            },
            "quality_filtering": {
                "quality_gap": sm.quality_gap,
                "spread": sm.spread,
                "adverse_selection": bool(sm.quality_gap < 0),
            },
            "uncertainty": {"uncertain_fraction": sm.uncertain_fraction},
        }

    def to_markdown(self, interactions: MetricInput, metadata: dict[str, Any] | None = None) -> str:
        """The summary as Markdown: '# Metrics report', optional **key:** value bullets, one
        '| Metric | Value |' table per section, floats to 4 decimals, NaN as '-'."""
        lines = ["# Metrics report", ""]
        if metadata:
            lines += [f"- **{_md_cell(k)}:** {_md_cell(v)}" for k, v in metadata.items()] + [""]
        for section, values in self.summary(interactions).to_dict().items():
            lines += [f"## {_MD_LABELS[section]}", "", "| Metric | Value |", "| --- | ---: |"]
            for key, value in values.items():
                label = key.replace("_", " ").capitalize()
                if section == "counts":
                    label = f"{label} interactions" if key in ("total", "accepted", "rejected") else label
                lines.append(f"| {_md_cell(label)} | {_md_cell(value)} |")
            lines.append("")
        return "\n".join(lines)
