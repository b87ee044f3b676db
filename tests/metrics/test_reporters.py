"""MetricsReporter: dict report, text table, rich table."""

from __future__ import annotations

import math

import pytest
from rich.console import Console
from rich.table import Table

from distsafe.metrics import MetricsReporter, SoftMetrics
from distsafe.metrics.reporters import REPORT_ROWS
from distsafe.models.columns import InteractionBatch
from distsafe.models.interaction import SoftInteraction
from distsafe.testing import generate_mixed_batch


def small() -> list[SoftInteraction]:
    return [
        SoftInteraction(initiator="a", counterparty="b", p=0.9, accepted=True, ground_truth=1),
        SoftInteraction(initiator="b", counterparty="a", p=0.2, accepted=True, ground_truth=-1),
        SoftInteraction(initiator="a", counterparty="b", p=0.6, accepted=False, ground_truth=1),
        SoftInteraction(initiator="b", counterparty="a", p=0.4, accepted=False, ground_truth=-1),
    ]


def test_report_side_by_side():
    rep = MetricsReporter().report(small())
    assert rep["soft"]["toxicity_rate"] == pytest.approx(0.45)
    assert rep["hard"]["toxicity_rate"] == pytest.approx(0.5)
    assert rep["soft"]["quality_gap"] == pytest.approx(0.05)
    assert rep["hard"]["quality_gap"] == pytest.approx(0.0)
    assert rep["hard"]["avg_p_accepted"] == pytest.approx(0.5)
    assert rep["soft"]["brier"] == pytest.approx(0.0925)
    assert len(rep["rows"]) == len(REPORT_ROWS)
    assert rep["calibration"]["count"] == [0, 0, 1, 0, 1, 0, 1, 0, 0, 1]
    labels = {label: (s, h) for label, s, h in rep["rows"]}
    assert labels["Interactions"] == (4.0, None)


def test_report_matches_soft_metrics_and_batch():
    items = generate_mixed_batch(count=120, seed=2)
    reporter = MetricsReporter(threshold=0.6)
    rep = reporter.report(items)
    direct = SoftMetrics(threshold=0.6).compute_all(items)
    for key, value in rep["soft"].items():
        assert value == pytest.approx(direct[key], nan_ok=True), key
    assert rep["hard"]["toxicity_rate"] == pytest.approx(direct["hard_toxicity_rate"])
    batch, _ = InteractionBatch.from_interactions(items)
    reporter.metrics.payoff_engine.apply_to_batch(batch)
    assert reporter.report(batch)["soft"] == pytest.approx(rep["soft"], nan_ok=True)


def test_format_report_seed_snippet():
    interactions = generate_mixed_batch(count=100, toxic_fraction=0.3)
    text = MetricsReporter().format_report(interactions, verbose=True)
    lines = text.splitlines()
    assert "Metric" in lines[1] and "Soft" in lines[1] and "Hard" in lines[1]
    tox = next(line for line in lines if line.startswith("Toxicity rate"))
    soft, hard = [c.strip() for c in tox.split("|")[1:]]
    m = SoftMetrics()
    assert float(soft) == pytest.approx(m.toxicity_rate(interactions), abs=5e-5)
    assert float(hard) == pytest.approx(m.hard_toxicity_rate(interactions), abs=5e-5)
    assert "Calibration" in text and "[0.90, 1.00]" in text
    assert next(line for line in lines if line.startswith("Interactions")).split("|")[1].strip() == "100"


def test_format_report_not_verbose_and_empty():
    text = MetricsReporter().format_report(small())
    assert "Calibration" not in text and "Toxicity rate" in text
    empty = MetricsReporter().format_report([], verbose=True)
    tox = next(line for line in empty.splitlines() if line.startswith("Toxicity rate"))
    assert tox.split("|")[1].strip() == "n/a"
    rep = MetricsReporter().report([])
    assert math.isnan(rep["soft"]["toxicity_rate"]) and rep["soft"]["total_welfare"] == 0.0


def test_rich_table():
    table = MetricsReporter().rich_table(small(), title="t")
    assert isinstance(table, Table)
    assert table.row_count == len(REPORT_ROWS)
    assert [c.header for c in table.columns] == ["Metric", "Soft", "Hard"]
    console = Console(width=100, record=True)
    console.print(table)
    out = console.export_text()
    assert "Toxicity rate" in out and "0.4500" in out and "0.5000" in out
