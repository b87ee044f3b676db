"""Plot data from a run's history (seed 001, "Plotting API"): plain dicts and lists, no plotting library.

`figures.py` draws them with plotly; the dashboard and `distsafe report` use both. Every function takes a
`SimulationHistory` (or rows) and returns a `PlotData` dict whose lists are aligned by index; undefined values
are NaN (plotly leaves a gap).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from distsafe.analysis.aggregation import SimulationHistory

PlotData = dict[str, Any]

#: the dashboard's groups of epoch metrics: (title, predicate on the key); a key goes to the first match
METRIC_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Quality",
        (
            "toxicity_rate",
            "hard_toxicity_rate",
            "quality_gap",
            "hard_quality_gap",
            "quality_gap_by_choice",
            "avg_p",
            "realized_harm",
            "expected_harm",
            "acceptance_rate",
            "brier",
            "ece",
        ),
    ),  # fmt: skip
    (
        "Economy",
        (
            "total_welfare",
            "welfare_money",
            "welfare_reputation",
            "gini_payoff",
            "avg_payoff_initiator",
            "avg_payoff_counterparty",
            "bad_actor_payoff",
            "governance_revenue",
            "public_pool",
            "revenue_redistributed",
            "avg_reputation",
            "conditional_loss_initiator",
            "conditional_loss_counterparty",
        ),
    ),  # fmt: skip
    ("Activity", ("n_interactions", "n_accepted", "n_posts", "n_votes", "n_blocked", "tasks_completed")),
    ("Security", ("security_", "threat_", "n_frozen", "frozen_", "n_rejected_frozen", "quarantine")),
    ("Collusion", ("collusion_",)),
    ("Network", ("network_",)),
    ("Per agent type", ("toxicity_", "harm_", "payoff_", "share_")),
)


def metric_group(key: str) -> str:
    for title, names in METRIC_GROUPS:
        if any(key == n or (n.endswith("_") and key.startswith(n)) for n in names):
            return title
    return "Other"


def grouped_metrics(names: Iterable[str]) -> dict[str, list[str]]:
    """Metric names by dashboard group (in `METRIC_GROUPS` order, "Other" last; empty groups left out)."""
    out: dict[str, list[str]] = {title: [] for title, _ in METRIC_GROUPS}
    out["Other"] = []
    for k in names:
        out[metric_group(k)].append(k)
    return {g: ks for g, ks in out.items() if ks}


def has_metric_group(history: SimulationHistory, prefixes: Sequence[str]) -> bool:
    """Whether the run's epoch metrics or notable events carry keys with one of `prefixes`."""
    if any(k.startswith(tuple(prefixes)) for k in history.metric_names()):
        return True
    return any(str(e.get("type", "")).startswith(tuple(prefixes)) for e in history.notable_events)


def create_time_series_data(history: SimulationHistory, metrics: Sequence[str]) -> PlotData:
    """x: epochs; series: metric -> values per epoch."""
    epochs = [s.epoch for s in history.epoch_snapshots]
    return {
        "x": epochs,
        "x_label": "epoch",
        "series": {m: [s.get(m) for s in history.epoch_snapshots] for m in metrics},
    }


def create_agent_comparison_data(history: SimulationHistory, attribute: str) -> PlotData:
    """One bar per agent (its final snapshot), sorted by agent type then id."""
    final = sorted(history.get_final_agent_states().values(), key=lambda a: (a.agent_type, a.agent_id))
    return {
        "labels": [a.agent_id for a in final],
        "values": [float(getattr(a, attribute)) for a in final],
        "groups": [a.agent_type for a in final],
        "value_label": attribute,
    }


def create_agent_trajectory_data(
    history: SimulationHistory, attribute: str, agent_ids: Sequence[str] | None = None
) -> PlotData:
    """x: epochs; series: agent -> attribute per epoch (NaN before the agent first appears)."""
    epochs = [s.epoch for s in history.epoch_snapshots]
    pos = {e: i for i, e in enumerate(epochs)}
    ids = list(agent_ids) if agent_ids is not None else history.agent_ids()
    series: dict[str, list[float]] = {a: [math.nan] * len(epochs) for a in ids}
    for snap in history.agent_snapshots:
        if snap.agent_id in series and snap.epoch in pos:
            series[snap.agent_id][pos[snap.epoch]] = float(getattr(snap, attribute))
    return {"x": epochs, "x_label": "epoch", "series": series, "y_label": attribute}


def create_distribution_data(history: SimulationHistory, attribute: str) -> PlotData:
    """The final values of an agent attribute, by agent type (for histograms or box plots)."""
    groups: dict[str, list[float]] = {}
    for a in history.get_final_agent_states().values():
        groups.setdefault(a.agent_type, []).append(float(getattr(a, attribute)))
    return {"groups": groups, "value_label": attribute}


def create_heatmap_data(
    rows: Iterable[Mapping[str, Any]], x_key: str, y_key: str, value_key: str
) -> PlotData:
    """Mean of `value_key` over the rows with each (x, y): a grid for a heatmap (NaN where no row)."""
    cells: dict[tuple[Any, Any], list[float]] = {}
    for r in rows:
        v = _as_float(r.get(value_key))
        if not math.isnan(v):
            cells.setdefault((r.get(x_key), r.get(y_key)), []).append(v)
    xs = sorted({k[0] for k in cells}, key=_sort_key)
    ys = sorted({k[1] for k in cells}, key=_sort_key)
    z = [[_mean(cells.get((x, y), [])) for x in xs] for y in ys]
    return {"x": xs, "y": ys, "z": z, "x_label": x_key, "y_label": y_key, "value_label": value_key}


def create_network_graph_data(history: SimulationHistory) -> PlotData:
    """The run's interaction graph: nodes are agents (with type, final reputation and payoff), edges are
    (initiator, counterparty) pairs weighted by the number of interactions, with their mean p."""
    final = history.get_final_agent_states()
    nodes = [
        {"id": a.agent_id, "type": a.agent_type, "reputation": a.reputation, "total_payoff": a.total_payoff}
        for a in sorted(final.values(), key=lambda a: (a.agent_type, a.agent_id))
    ]
    edges = [
        {
            "source": s,
            "target": t,
            "weight": w[0],
            "accepted": w[1],
            "mean_p": w[2] / w[0] if w[0] else math.nan,
        }
        for (s, t), w in sorted(history.edges.items())
    ]
    return {"nodes": nodes, "edges": edges}


def create_scatter_data(history: SimulationHistory, x_attribute: str, y_attribute: str) -> PlotData:
    """One point per agent (final snapshot): x and y attributes, labelled and grouped by type."""
    final = sorted(history.get_final_agent_states().values(), key=lambda a: (a.agent_type, a.agent_id))
    return {
        "x": [float(getattr(a, x_attribute)) for a in final],
        "y": [float(getattr(a, y_attribute)) for a in final],
        "labels": [a.agent_id for a in final],
        "groups": [a.agent_type for a in final],
        "x_label": x_attribute,
        "y_label": y_attribute,
    }


def _as_float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def _sort_key(v: Any) -> tuple[int, Any]:
    return (0, v) if isinstance(v, (int, float)) else (1, str(v))
