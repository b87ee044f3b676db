"""Soft-label metrics (toxicity, quality gap, conditional loss, calibration, welfare) and reports.

`SoftMetrics` holds the configuration (payoff engine, hard-label threshold, ECE bins) and computes
every metric of a `list[SoftInteraction]` or `InteractionBatch`; the module-level functions
(`toxicity_rate(data, threshold=0.5)`, ...) are one-shot versions. See docs/metrics.md.
"""

from distsafe.metrics.batch_stats import CHUNK, BatchStats, gini, to_batch
from distsafe.metrics.reporters import REPORT_ROWS, MetricsReporter
from distsafe.metrics.soft_metrics import (
    ALL_KEYS,
    EPOCH_KEYS,
    FUNCTIONS,
    SoftMetrics,
    acceptance_rate,
    agent_payoffs,
    avg_p,
    avg_p_accepted,
    avg_p_rejected,
    avg_payoff_counterparty,
    avg_payoff_initiator,
    brier,
    calibration_curve,
    compute_all,
    compute_epoch,
    conditional_loss_counterparty,
    conditional_loss_initiator,
    ece,
    expected_harm,
    hard_brier,
    hard_ece,
    hard_expected_harm,
    hard_quality_gap,
    hard_spread,
    hard_total_welfare,
    hard_toxicity_rate,
    log_loss,
    quality_gap,
    spread,
    total_welfare,
    toxicity_rate,
    uncertain_fraction,
    variance_p,
    variance_p_accepted,
)

__all__ = [
    "ALL_KEYS", "CHUNK", "EPOCH_KEYS", "FUNCTIONS", "REPORT_ROWS", "BatchStats", "MetricsReporter",
    "SoftMetrics", "gini", "to_batch", *FUNCTIONS,
]
