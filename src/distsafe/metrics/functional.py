"""One-shot metric functions: `toxicity_rate(data, threshold=0.5)`, ... (keyword arguments go to
`SoftMetrics`: payoff_engine, threshold, ece_bins, uncertain_band).

Use a `SoftMetrics` instance and `compute_epoch`/`compute_all` when several metrics of the same batch are
wanted: they share one reduction pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from distsafe.metrics.soft_metrics import SoftMetrics


def _functional(name: str) -> Callable[..., Any]:
    def metric(data: Any, **kwargs: Any) -> Any:
        return getattr(SoftMetrics(**kwargs), name)(data)

    metric.__name__ = metric.__qualname__ = name
    metric.__doc__ = getattr(SoftMetrics, name).__doc__
    return metric


FUNCTIONS: tuple[str, ...] = (
    "acceptance_rate",
    "avg_p",
    "avg_p_accepted",
    "avg_p_rejected",
    "variance_p",
    "variance_p_accepted",
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
    "calibration_curve",
    "expected_harm",
    "hard_expected_harm",
    "total_welfare",
    "hard_total_welfare",
    "avg_payoff_initiator",
    "avg_payoff_counterparty",
    "conditional_loss_initiator",
    "conditional_loss_counterparty",
    "agent_payoffs",
    "compute_epoch",
    "compute_all",
)
acceptance_rate = _functional("acceptance_rate")
avg_p = _functional("avg_p")
avg_p_accepted = _functional("avg_p_accepted")
avg_p_rejected = _functional("avg_p_rejected")
variance_p = _functional("variance_p")
variance_p_accepted = _functional("variance_p_accepted")
uncertain_fraction = _functional("uncertain_fraction")
toxicity_rate = _functional("toxicity_rate")
hard_toxicity_rate = _functional("hard_toxicity_rate")
quality_gap = _functional("quality_gap")
hard_quality_gap = _functional("hard_quality_gap")
spread = _functional("spread")
hard_spread = _functional("hard_spread")
brier = _functional("brier")
hard_brier = _functional("hard_brier")
ece = _functional("ece")
hard_ece = _functional("hard_ece")
log_loss = _functional("log_loss")
calibration_curve = _functional("calibration_curve")
expected_harm = _functional("expected_harm")
hard_expected_harm = _functional("hard_expected_harm")
total_welfare = _functional("total_welfare")
hard_total_welfare = _functional("hard_total_welfare")
avg_payoff_initiator = _functional("avg_payoff_initiator")
avg_payoff_counterparty = _functional("avg_payoff_counterparty")
conditional_loss_initiator = _functional("conditional_loss_initiator")
conditional_loss_counterparty = _functional("conditional_loss_counterparty")
agent_payoffs = _functional("agent_payoffs")
compute_epoch = _functional("compute_epoch")
compute_all = _functional("compute_all")
