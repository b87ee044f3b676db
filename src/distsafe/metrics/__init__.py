"""Soft-label metrics (toxicity, quality gap, conditional loss, calibration, welfare) and reports."""

from distsafe.metrics.reporters import MetricsReporter
from distsafe.metrics.soft_metrics import (
    ALL_KEYS,
    EPOCH_KEYS,
    BatchStats,
    SoftMetrics,
    gini,
    to_batch,
)

__all__ = ["ALL_KEYS", "EPOCH_KEYS", "BatchStats", "MetricsReporter", "SoftMetrics", "gini", "to_batch"]
