"""Human-readable reports of soft metrics next to their hard (thresholded) counterparts."""

from __future__ import annotations

import math
from typing import Any

from rich.table import Table

from distsafe.core.payoff import SoftPayoffEngine
from distsafe.metrics.reference_api import MetricsSummary, ReferenceReporterNames  # noqa: F401  (the reference imports MetricsSummary from here)
from distsafe.metrics.soft_metrics import InteractionsLike, SoftMetrics

#: (label, soft key, hard key or None) rows of the report, in display order.
REPORT_ROWS: tuple[tuple[str, str, str | None], ...] = (
    ("Interactions", "n_interactions", None),
    ("Accepted", "n_accepted", None),
    ("Acceptance rate", "acceptance_rate", None),
    ("Avg p", "avg_p", None),
    ("Avg p | accepted", "avg_p_accepted", "hard_avg_p_accepted"),
    ("Avg p | rejected", "avg_p_rejected", "hard_avg_p_rejected"),
    ("Var p", "var_p", None),
    ("Uncertain fraction", "uncertain_fraction", None),
    ("Toxicity rate", "toxicity_rate", "hard_toxicity_rate"),
    ("Quality gap", "quality_gap", "hard_quality_gap"),
    ("Spread", "spread", "hard_spread"),
    ("Expected harm", "expected_harm", "hard_expected_harm"),
    ("Total welfare", "total_welfare", "hard_total_welfare"),
    ("Avg payoff initiator", "avg_payoff_initiator", None),
    ("Avg payoff counterparty", "avg_payoff_counterparty", None),
    ("Conditional loss initiator", "conditional_loss_initiator", "hard_conditional_loss_initiator"),
    ("Conditional loss counterparty", "conditional_loss_counterparty", "hard_conditional_loss_counterparty"),
    ("Brier score", "brier", "hard_brier"),
    ("ECE", "ece", "hard_ece"),
    ("Log loss", "log_loss", None),
    ("Gini of agent payoffs", "gini_payoff", None),
)

_COUNT_KEYS = frozenset({"n_interactions", "n_accepted"})


def _fmt(value: float | None, key: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    if key in _COUNT_KEYS:
        return f"{int(value):d}"
    return f"{value:.4f}"


class MetricsReporter(ReferenceReporterNames):
    """Soft and hard metrics side by side: as a dict, a text table, or a `rich` table.

    The hard value of a metric applies the same formula to the hard label [p >= threshold]; metrics
    without a meaningful hard version (counts, avg p, log loss) show "-".
    """

    def __init__(
        self, threshold: float = 0.5, payoff_engine: SoftPayoffEngine | None = None, ece_bins: int = 10
    ):
        self.metrics = SoftMetrics(payoff_engine=payoff_engine, threshold=threshold, ece_bins=ece_bins)
        self.threshold = float(threshold)

    def report(self, interactions_or_batch: InteractionsLike) -> dict[str, Any]:
        """{"soft": {key: value}, "hard": {key: value}, "rows": [(label, soft, hard)], "calibration"}.

        "soft" holds every scalar of `SoftMetrics.compute_all`; "hard" maps each soft key that has a
        hard counterpart to that value (same key as in "soft"), "rows" pairs them for display (hard is
        None when there is none), "calibration" is `SoftMetrics.calibration_curve` as lists.
        """
        m = self.metrics
        s = m.stats(interactions_or_batch)
        values = m.compute_all(s)
        # Precision-like hard averages: share of hard-positive labels among accepted / rejected.
        n, n_acc = s.n, s.n_acc
        values["hard_avg_p_accepted"] = s.n_hard_acc / n_acc if n_acc else float("nan")
        values["hard_avg_p_rejected"] = (s.n_hard - s.n_hard_acc) / (n - n_acc) if n - n_acc else float("nan")
        soft: dict[str, float] = {}
        hard: dict[str, float | None] = {}
        rows = []
        for label, skey, hkey in REPORT_ROWS:
            soft[skey] = values[skey]
            hval = values[hkey] if hkey is not None else None
            if hkey is not None:
                hard[skey] = hval
            rows.append((label, soft[skey], hval))
        for key, val in values.items():
            if not key.startswith("hard_"):
                soft.setdefault(key, val)
        curve = m.calibration_curve(s)
        calibration = {k: v.tolist() for k, v in curve.items()}
        return {
            "soft": soft,
            "hard": hard,
            "rows": rows,
            "calibration": calibration,
            "threshold": self.threshold,
        }

    def format_report(self, interactions: InteractionsLike, verbose: bool = False) -> str:
        """A plain-text table `metric | soft | hard`; with `verbose`, the calibration bins follow."""
        rep = self.report(interactions)
        width = max(len(label) for label, _, _ in rep["rows"])
        lines = [
            f"Soft-label metrics (hard label: p >= {self.threshold:g})",
            f"{'Metric':<{width}} | {'Soft':>12} | {'Hard':>12}",
            f"{'-' * width}-+-{'-' * 12}-+-{'-' * 12}",
        ]
        keys = [skey for _, skey, _ in REPORT_ROWS]
        for (label, soft, hard), key in zip(rep["rows"], keys):
            lines.append(f"{label:<{width}} | {_fmt(soft, key):>12} | {_fmt(hard, key):>12}")
        if verbose:
            cal = rep["calibration"]
            lines += [
                "",
                "Calibration (interactions with known ground truth)",
                f"{'Bin':<13} | {'Mean p':>8} | {'Freq v=+1':>9} | {'Count':>8}",
                f"{'-' * 13}-+-{'-' * 8}-+-{'-' * 9}-+-{'-' * 8}",
            ]
            edges = cal["edges"]
            for b, (mp, fr, cnt) in enumerate(zip(cal["mean_p"], cal["frac_positive"], cal["count"])):
                rng = f"[{edges[b]:.2f}, {edges[b + 1]:.2f}{']' if b == len(edges) - 2 else ')'}"
                lines.append(f"{rng:<13} | {_fmt(mp):>8} | {_fmt(fr):>9} | {cnt:>8d}")
        return "\n".join(lines)

    def rich_table(self, interactions: InteractionsLike, title: str | None = None) -> Table:
        """The same rows as `format_report`, as a `rich.table.Table` (columns Metric, Soft, Hard)."""
        rep = self.report(interactions)
        table = Table(title=title or f"Soft-label metrics (hard label: p >= {self.threshold:g})")
        table.add_column("Metric")
        table.add_column("Soft", justify="right")
        table.add_column("Hard", justify="right")
        keys = [skey for _, skey, _ in REPORT_ROWS]
        for (label, soft, hard), key in zip(rep["rows"], keys):
            table.add_row(label, _fmt(soft, key), _fmt(hard, key))
        return table
