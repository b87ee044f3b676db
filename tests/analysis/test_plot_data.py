"""Plot data, plotly figures, the sweep view's statistics and the HTML report."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.analysis import (
    SimulationHistory,
    create_agent_comparison_data,
    create_agent_trajectory_data,
    create_heatmap_data,
    create_network_graph_data,
    create_time_series_data,
)
from distsafe.analysis.plot_data import grouped_metrics, metric_group
from distsafe.analysis.sweep_view import (
    heatmap_of,
    load_sweep_frame,
    metric_vs_param,
    sweep_params,
    t_interval,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dashboard"))
from synthetic_runs import write_run, write_sweep  # noqa: E402


@pytest.fixture()
def synthetic(tmp_path: Path) -> SimulationHistory:
    return SimulationHistory.from_run_dir(write_run(tmp_path / "run"))


def test_time_series_and_agent_data(synthetic: SimulationHistory) -> None:
    ts = create_time_series_data(synthetic, ["toxicity_rate", "threat_level"])
    assert ts["x"] == [0, 1, 2]
    assert ts["series"]["toxicity_rate"] == pytest.approx([0.1, 0.15, 0.2])
    bars = create_agent_comparison_data(synthetic, "total_payoff")
    # each agent initiates once (payoff 1) and is asked once (payoff 2) an epoch, over 3 epochs
    assert bars["labels"] == ["adversarial_1", "honest_1", "honest_2"] and bars["values"] == [9.0, 9.0, 9.0]
    traj = create_agent_trajectory_data(synthetic, "reputation")
    # initial reputation 1.0 (from the header), +0.1 as initiator, -0.05 as counterparty, per epoch
    assert traj["series"]["honest_1"] == pytest.approx([1.05, 1.1, 1.15])
    net = create_network_graph_data(synthetic)
    assert {(e["source"], e["target"]): e["weight"] for e in net["edges"]}[("honest_1", "honest_2")] == 3
    assert synthetic.get_final_agent_states()["adversarial_1"].frozen


def test_metric_groups() -> None:
    assert metric_group("network_clustering") == "Network" and metric_group("collusion_risk") == "Collusion"
    assert metric_group("threat_level") == "Security" and metric_group("toxicity_rate") == "Quality"
    assert metric_group("toxicity_honest") == "Per agent type" and metric_group("something_new") == "Other"
    assert list(grouped_metrics(["x", "toxicity_rate"])) == ["Quality", "Other"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0, 1, 2]), st.sampled_from(["a", "b"]),
                          st.floats(-1e6, 1e6)), min_size=1, max_size=40))  # fmt: skip
def test_heatmap_cells_are_means(rows: list[tuple[int, str, float]]) -> None:
    data = create_heatmap_data([{"x": x, "y": y, "v": v} for x, y, v in rows], "x", "y", "v")
    for j, y in enumerate(data["y"]):
        for i, x in enumerate(data["x"]):
            vals = [v for xx, yy, v in rows if (xx, yy) == (x, y)]
            cell = data["z"][j][i]
            assert (math.isnan(cell) and not vals) or cell == pytest.approx(sum(vals) / len(vals), abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=30))
def test_t_interval_matches_scipy(values: list[float]) -> None:
    from scipy import stats

    mean, lo, hi = t_interval(values)
    assert lo <= mean + 1e-9 and mean <= hi + 1e-9
    sd = float(stats.tstd(values)) if len(set(values)) > 1 else 0.0
    if sd > 0:
        a, b = stats.t.interval(
            0.95, len(values) - 1, loc=sum(values) / len(values), scale=sd / math.sqrt(len(values))
        )
        assert (lo, hi) == pytest.approx((a, b), rel=1e-6, abs=1e-6)


def test_sweep_statistics(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    frame = load_sweep_frame(write_sweep(tmp_path / "sweep"))
    assert sweep_params(frame) == [
        "param.governance.transaction_tax_rate",
        "param.governance.audit_probability",
    ]
    data = metric_vs_param(frame, "toxicity_rate", "param.governance.transaction_tax_rate")
    s = data["series"]["all runs"]
    # run value = 0.5 - tax + 0.1 audit + 0.01 seed + 0.0005 (mean of epochs 0, 1): pooled over audit and seed
    assert s["x"] == [0.0, 0.2] and s["n"] == [6, 6]
    assert s["mean"] == pytest.approx([0.5355, 0.3355])
    assert all(lo < m < hi for lo, m, hi in zip(s["lo"], s["mean"], s["hi"]))
    final = metric_vs_param(frame, "toxicity_rate", "param.governance.transaction_tax_rate", reduce="final")
    assert final["series"]["all runs"]["mean"] == pytest.approx([0.536, 0.336])
    heat = heatmap_of(
        frame, "toxicity_rate", "param.governance.transaction_tax_rate", "param.governance.audit_probability"
    )
    assert heat["x"] == [0.0, 0.2] and heat["y"] == [0.0, 0.5]
    assert [v for row in heat["z"] for v in row] == pytest.approx([0.5105, 0.3105, 0.5605, 0.3605])


def test_sweep_folder_without_shards(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    with pytest.raises(FileNotFoundError, match="no run shards"):
        load_sweep_frame(tmp_path)


def test_html_report_is_self_contained(tmp_path: Path) -> None:
    pytest.importorskip("plotly")
    from distsafe.analysis import report_html
    from distsafe.analysis.html_report import history_figures

    h = SimulationHistory.from_run_dir(write_run(tmp_path / "run"))
    page = report_html(h)
    figs = history_figures(h)
    assert len(figs) == len(grouped_metrics(h.metric_names())) + 3 + 1  # groups, agents (3), network
    assert page.count('class="plotly-graph-div"') == len(figs)
    assert "<script src=" not in page.replace('<script src="data:', "")  # nothing fetched: plotly.js inline
    assert page.count("Plotly.newPlot") == len(figs)
    assert "PASS min_epochs: 3 &gt;= 1" in page and "avg_toxicity" in page
