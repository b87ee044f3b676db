"""`distsafe report RUN_DIR`: one self-contained HTML file (plotly's JavaScript inline, no server, no CDN)
with the run's summary, success criteria and every figure the dashboard draws for it (`history_figures`)."""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

from distsafe.analysis.aggregation import SimulationHistory
from distsafe.analysis.figures import (
    plotly_bar_chart,
    plotly_multi_line,
    plotly_network,
    plotly_small_multiples,
)
from distsafe.analysis.plot_data import (
    create_agent_comparison_data,
    create_agent_trajectory_data,
    create_network_graph_data,
    create_time_series_data,
    grouped_metrics,
)

#: the per-agent attributes drawn as trajectories and as bars of the final values
AGENT_TRAJECTORIES = (
    ("total_payoff", "cumulative payoff"),
    ("reputation", "reputation (interaction deltas)"),
)


def history_figures(history: SimulationHistory) -> list[tuple[str, str, Any]]:
    """(section, title, figure) for every figure of a run: each group of epoch metrics, the agents'
    trajectories and final payoffs, and the interaction network."""
    out: list[tuple[str, str, Any]] = []
    for group, keys in grouped_metrics(history.metric_names()).items():
        title = f"{group} metrics per epoch"
        out.append(
            ("Time series", title, plotly_small_multiples(create_time_series_data(history, keys), title))
        )
    if history.agent_snapshots:
        for attr, label in AGENT_TRAJECTORIES:
            title = f"Agents: {label}"
            out.append(
                (
                    "Agents",
                    title,
                    plotly_multi_line(create_agent_trajectory_data(history, attr), title, label),
                )
            )
        title = "Agents: total payoff at the end"
        out.append(
            ("Agents", title, plotly_bar_chart(create_agent_comparison_data(history, "total_payoff"), title))
        )
    if history.edges:
        title = "Interaction network (edge width: interactions; colour: reputation)"
        out.append(("Network", title, plotly_network(create_network_graph_data(history), title)))
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "n/a" if not math.isfinite(v) else f"{v:.6g}"
    return "n/a" if v is None else str(v)


def _table(rows: list[tuple[str, str]], head: tuple[str, str]) -> str:
    body = "".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td></tr>" for a, b in rows)
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def report_html(history: SimulationHistory, source: str = "") -> str:
    """The report as one HTML string; plotly.js is embedded once, in the first figure."""
    figs = history_figures(history)
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>distsafe report: {html.escape(history.simulation_id)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:3px 10px;text-align:left}"
        "td:last-child{text-align:right}.pass{color:#1a7f37}.fail{color:#c62828}</style></head><body>",
        f"<h1>distsafe run: {html.escape(history.simulation_id)}</h1>",
        f"<p>{history.epochs_done} of {history.n_epochs} epochs, {history.n_agents} agents, seed "
        f"{html.escape(_fmt(history.seed))}, status <b>{html.escape(history.status)}</b>"
        + (f"; from <code>{html.escape(source)}</code>" if source else "")
        + "</p>",
        "<h2>Summary</h2>",
        _table([(k, _fmt(v)) for k, v in history.summary.items()], ("quantity", "value"))
        if history.summary
        else "<p>No summary: the run folder has no manifest (the run has not ended).</p>",
        "<h2>Success criteria</h2>",
    ]
    if history.success_criteria:
        items = "".join(
            f"<li class='{'pass' if c.get('passed') else 'fail'}'>{'PASS' if c.get('passed') else 'FAIL'} "
            f"{html.escape(str(c.get('name')))}: {html.escape(str(c.get('detail', '')))}</li>"
            for c in history.success_criteria
        )
        parts.append(f"<ul>{items}</ul>")
    else:
        parts.append("<p>The scenario sets no success criteria, or the run has not ended.</p>")
    section = ""
    for i, (sec, _title, fig) in enumerate(figs):
        if sec != section:
            parts.append(f"<h2>{html.escape(sec)}</h2>")
            section = sec
        parts.append(
            fig.to_html(
                full_html=False, include_plotlyjs=(i == 0), div_id=f"fig{i}", config={"responsive": True}
            )
        )
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the report of a run folder (default: `RUN_DIR/report.html`); returns its path."""
    folder = Path(run_dir)
    history = SimulationHistory.from_run_dir(folder)
    path = Path(out) if out is not None else folder / "report.html"
    path.write_text(report_html(history, str(folder)))
    return path
