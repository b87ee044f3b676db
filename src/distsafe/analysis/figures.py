"""Plotly figures of the plot data in `plot_data.py` (seed 001, "Plotting API"); plotly is in the
[dashboard] extra. Each function returns a `plotly.graph_objects.Figure`; a missing plotly raises
ModuleNotFoundError, which the CLI turns into one line naming the extra."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from distsafe.analysis.plot_data import PlotData

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def _go() -> Any:
    import plotly.graph_objects as go

    return go


def _layout(fig: Any, title: str, x_label: str = "", y_label: str = "", height: int = 360) -> Any:
    fig.update_layout(
        title={"text": title, "x": 0.02},
        xaxis_title=x_label,
        yaxis_title=y_label,
        height=height,
        margin={"l": 50, "r": 20, "t": 50, "b": 45},
        template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def _epoch_ticks(fig: Any, xs: Sequence[Any]) -> Any:
    """Whole-number ticks on an epoch axis of a short run (plotly would put ticks at 0.5)."""
    if xs and all(isinstance(x, int) for x in xs) and max(xs) - min(xs) <= 12:
        fig.update_xaxes(dtick=1)
    return fig


def _nan_to_none(values: Sequence[float]) -> list[float | None]:
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in values]


def plotly_time_series(data: PlotData, title: str = "", y_label: str = "") -> Any:
    """One line (with markers) per series over the epochs."""
    go = _go()
    fig = go.Figure()
    for i, (name, ys) in enumerate(data["series"].items()):
        fig.add_trace(
            go.Scatter(
                x=data["x"], y=_nan_to_none(ys), mode="lines+markers", name=name,
                line={"color": _COLORS[i % len(_COLORS)]},
            )
        )  # fmt: skip
    _epoch_ticks(fig, data["x"])
    return _layout(fig, title, data.get("x_label", ""), y_label or data.get("y_label", ""))


def plotly_small_multiples(data: PlotData, title: str = "", cols: int = 3) -> Any:
    """One small panel per series (each on its own scale), `cols` panels a row: every metric of a group
    readable at once."""
    from plotly.subplots import make_subplots

    go = _go()
    names = list(data["series"])
    rows = max(1, math.ceil(len(names) / cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names, vertical_spacing=min(0.3, 0.5 / rows))
    for i, name in enumerate(names):
        fig.add_trace(
            go.Scatter(
                x=data["x"], y=_nan_to_none(data["series"][name]), mode="lines+markers", name=name,
                line={"color": _COLORS[i % len(_COLORS)]}, marker={"size": 4}, showlegend=False,
            ),
            row=i // cols + 1, col=i % cols + 1,
        )  # fmt: skip
    fig.update_annotations(font_size=11)
    _epoch_ticks(fig, data["x"])
    return _layout(fig, title, height=90 + 210 * rows)


def plotly_multi_line(data: PlotData, title: str = "", y_label: str = "") -> Any:
    """Many lines without markers (agent trajectories); same data shape as `plotly_time_series`."""
    go = _go()
    fig = go.Figure()
    for name, ys in data["series"].items():
        fig.add_trace(go.Scatter(x=data["x"], y=_nan_to_none(ys), mode="lines", name=name))
    _epoch_ticks(fig, data["x"])
    return _layout(fig, title, data.get("x_label", ""), y_label or data.get("y_label", ""))


def plotly_bar_chart(data: PlotData, title: str = "") -> Any:
    """One bar per label, coloured by group."""
    go = _go()
    fig = go.Figure()
    groups = list(dict.fromkeys(data.get("groups") or ["all"] * len(data["labels"])))
    for i, g in enumerate(groups):
        idx = [j for j, gg in enumerate(data.get("groups") or ["all"] * len(data["labels"])) if gg == g]
        fig.add_trace(
            go.Bar(
                x=[data["labels"][j] for j in idx], y=[data["values"][j] for j in idx], name=str(g),
                marker_color=_COLORS[i % len(_COLORS)],
            )
        )  # fmt: skip
    return _layout(fig, title, "", data.get("value_label", ""))


def plotly_heatmap(data: PlotData, title: str = "") -> Any:
    go = _go()
    fig = go.Figure(
        go.Heatmap(
            x=[str(x) for x in data["x"]], y=[str(y) for y in data["y"]],
            z=[_nan_to_none(row) for row in data["z"]], colorscale="Viridis",
            colorbar={"title": data.get("value_label", "")},
        )
    )  # fmt: skip
    return _layout(fig, title, data.get("x_label", ""), data.get("y_label", ""), height=420)


def plotly_scatter(data: PlotData, title: str = "") -> Any:
    go = _go()
    fig = go.Figure()
    groups = data.get("groups") or ["all"] * len(data["x"])
    for i, g in enumerate(dict.fromkeys(groups)):
        idx = [j for j, gg in enumerate(groups) if gg == g]
        fig.add_trace(
            go.Scatter(
                x=[data["x"][j] for j in idx], y=[data["y"][j] for j in idx], mode="markers", name=str(g),
                text=[data["labels"][j] for j in idx],
                marker={"size": 10, "color": _COLORS[i % len(_COLORS)]},
            )
        )  # fmt: skip
    return _layout(fig, title, data.get("x_label", ""), data.get("y_label", ""))


def plotly_gauge(value: float, title: str, low: float = 0.0, high: float = 1.0) -> Any:
    """A gauge (threat level, collusion risk) with green / amber / red thirds."""
    go = _go()
    span = high - low
    fig = go.Figure(
        go.Indicator(
            mode="gauge+number", value=None if math.isnan(value) else value, title={"text": title},
            gauge={
                "axis": {"range": [low, high]},
                "steps": [
                    {"range": [low, low + span / 3], "color": "#d9f2d9"},
                    {"range": [low + span / 3, low + 2 * span / 3], "color": "#fff0c2"},
                    {"range": [low + 2 * span / 3, high], "color": "#f8d0d0"},
                ],
            },
        )
    )  # fmt: skip
    fig.update_layout(height=260, margin={"l": 30, "r": 30, "t": 60, "b": 10})
    return fig


def circle_layout(nodes: Sequence[Mapping[str, Any]]) -> dict[str, tuple[float, float]]:
    """Nodes on a circle, grouped by type (deterministic: no random layout)."""
    n = max(len(nodes), 1)
    return {
        str(node["id"]): (math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n))
        for i, node in enumerate(nodes)
    }


def plotly_network(
    data: PlotData, title: str = "", positions: Mapping[str, tuple[float, float]] | None = None
) -> Any:
    """Nodes coloured by reputation, edge width by the number of interactions (from
    `create_network_graph_data`)."""
    go = _go()
    pos = dict(positions) if positions is not None else circle_layout(data["nodes"])
    fig = go.Figure()
    top = max((e["weight"] for e in data["edges"]), default=1.0) or 1.0
    for e in data["edges"]:
        if e["source"] not in pos or e["target"] not in pos:
            continue
        (x0, y0), (x1, y1) = pos[e["source"]], pos[e["target"]]
        fig.add_trace(
            go.Scatter(
                x=[x0, x1], y=[y0, y1], mode="lines", hoverinfo="text", showlegend=False,
                line={"width": 0.5 + 4.5 * e["weight"] / top, "color": "rgba(120,120,120,0.5)"},
                text=f"{e['source']} -> {e['target']}: {e['weight']:.0f} interactions, "
                f"mean p {e['mean_p']:.3f}",
            )
        )  # fmt: skip
    nodes = [nd for nd in data["nodes"] if nd["id"] in pos]
    fig.add_trace(
        go.Scatter(
            x=[pos[nd["id"]][0] for nd in nodes], y=[pos[nd["id"]][1] for nd in nodes],
            mode="markers+text", text=[nd["id"] for nd in nodes], textposition="top center",
            hovertext=[f"{nd['id']} ({nd['type']}): reputation {nd['reputation']:.3f}" for nd in nodes],
            marker={
                "size": 16, "color": [nd["reputation"] for nd in nodes], "colorscale": "RdYlGn",
                "showscale": True, "colorbar": {"title": "reputation"}, "line": {"width": 1, "color": "#333"},
            },
            showlegend=False,
        )
    )  # fmt: skip
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, height=480)


def plotly_band(data: PlotData, title: str = "") -> Any:
    """Mean with a 95% interval band against a parameter (`sweep_view.metric_vs_param`); one band per
    group when the data has several."""
    go = _go()
    fig = go.Figure()
    for i, (name, s) in enumerate(data["series"].items()):
        color = _COLORS[i % len(_COLORS)]
        fill = "rgba({},{},{},0.18)".format(*(int(color[k : k + 2], 16) for k in (1, 3, 5)))
        fig.add_trace(
            go.Scatter(
                x=list(s["x"]) + list(s["x"])[::-1], y=_nan_to_none(list(s["hi"]) + list(s["lo"])[::-1]),
                fill="toself", fillcolor=fill, line={"width": 0}, hoverinfo="skip", showlegend=False,
            )
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=s["x"],
                y=_nan_to_none(s["mean"]),
                mode="lines+markers",
                name=str(name),
                line={"color": color},
            )
        )
    return _layout(fig, title, data.get("x_label", ""), data.get("y_label", ""))
