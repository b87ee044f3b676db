"""Analysis across runs (scenario comparison over seeds) and of one run: its history from the event log,
export, plot data and plotly figures (seed 001's "Data Export" and "Plotting API"), the HTML report.

The plotly functions import plotly (the [dashboard] extra) when called, not when this package is imported.

`SweepConfig`, `SweepParameter` and `SweepRunner` live in `distsafe.experiments` (the layer above this
one); seed 001 imports them from here (`from src.analysis import SweepConfig, SweepParameter,
SweepRunner`). They are resolved on first access (PEP 562 `__getattr__`), so importing `distsafe.analysis`
never imports the experiment layer, and no module of this package uses it: the one upward import is this
re-export, declared in .importlinter's layers contract (`ignore_imports`).
"""

from typing import Any

from distsafe.analysis.aggregation import (
    AgentSnapshot,
    EpochSnapshot,
    MetricsAggregator,
    SimulationHistory,
    TimeSeriesPoint,
)
from distsafe.analysis.compare import (
    ScenarioComparison,
    compare_scenarios,
    comparison_markdown,
    comparison_table,
)
from distsafe.analysis.export import (
    export_to_csv,
    export_to_json,
    generate_summary_report,
    history_to_agent_records,
    history_to_epoch_records,
    load_from_json,
)
from distsafe.analysis.figures import (
    plotly_band,
    plotly_bar_chart,
    plotly_gauge,
    plotly_heatmap,
    plotly_multi_line,
    plotly_network,
    plotly_scatter,
    plotly_small_multiples,
    plotly_time_series,
)
from distsafe.analysis.html_report import report_html, write_report
from distsafe.analysis.plot_data import (
    create_agent_comparison_data,
    create_agent_trajectory_data,
    create_distribution_data,
    create_heatmap_data,
    create_network_graph_data,
    create_scatter_data,
    create_time_series_data,
)

_SWEEP_API = ("SweepConfig", "SweepParameter", "SweepRunner", "SweepResult")


def __getattr__(name: str) -> Any:
    if name in _SWEEP_API:
        from distsafe.experiments import sweep_api

        return getattr(sweep_api, name)
    raise AttributeError(f"module 'distsafe.analysis' has no attribute {name!r}")


__all__ = [
    "AgentSnapshot",
    "EpochSnapshot",
    "MetricsAggregator",
    "ScenarioComparison",
    "SimulationHistory",
    "SweepConfig",
    "SweepParameter",
    "SweepResult",
    "SweepRunner",
    "TimeSeriesPoint",
    "compare_scenarios",
    "comparison_markdown",
    "comparison_table",
    "create_agent_comparison_data",
    "create_agent_trajectory_data",
    "create_distribution_data",
    "create_heatmap_data",
    "create_network_graph_data",
    "create_scatter_data",
    "create_time_series_data",
    "export_to_csv",
    "export_to_json",
    "generate_summary_report",
    "history_to_agent_records",
    "history_to_epoch_records",
    "load_from_json",
    "plotly_band",
    "plotly_bar_chart",
    "plotly_gauge",
    "plotly_heatmap",
    "plotly_multi_line",
    "plotly_network",
    "plotly_scatter",
    "plotly_small_multiples",
    "plotly_time_series",
    "report_html",
    "write_report",
]
