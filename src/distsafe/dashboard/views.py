"""The dashboard's panels (Streamlit): a run (live metrics, time series, agents, security and collusion,
network, the epoch table, summary) and a sweep (each metric against each parameter, heatmaps). The figures
come from `distsafe.analysis` (plot data + plotly), the same ones `distsafe report` writes."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import streamlit as st

from distsafe.analysis import figures as F
from distsafe.analysis import plot_data as D
from distsafe.analysis import sweep_view as S
from distsafe.analysis.aggregation import SimulationHistory
from distsafe.analysis.html_report import AGENT_TRAJECTORIES

#: the headline numbers of the live view (last epoch, with the change from the epoch before)
LIVE_METRICS = (
    "toxicity_rate",
    "quality_gap",
    "realized_harm",
    "total_welfare",
    "acceptance_rate",
    "n_interactions",
)
SECURITY_PREFIXES = ("security_", "threat_", "collusion_", "quarantine")
#: epochs shown in the epoch table (the last ones)
TABLE_EPOCHS = 30


def fmt(v: Any) -> str:
    """How the dashboard shows a number (6 significant digits; `n/a` where undefined)."""
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, float)):
        f = float(v)
        return "n/a" if not math.isfinite(f) else f"{f:.6g}"
    return str(v)


def _chart(key: str, build: Callable[[], Any]) -> None:
    """Draw the figure `build()` makes, built again only when the data changed (building plotly figures is
    the costly part of a refresh; a live run refreshes every second)."""
    cache: dict[str, tuple[Any, Any]] = st.session_state.setdefault("figure_cache", {})
    version = st.session_state.get("figure_version")
    hit = cache.get(key)
    if hit is None or hit[0] != version:
        hit = (version, build())
        cache[key] = hit
    st.plotly_chart(hit[1], width="stretch", key=key)


def _set_version(history: SimulationHistory, folder: Path) -> None:
    st.session_state["figure_version"] = (
        str(folder), history.epochs_done, len(history.agent_snapshots), len(history.notable_events),
        history.status,
    )  # fmt: skip


def run_header(history: SimulationHistory, folder: Path) -> None:
    total = max(history.n_epochs, history.epochs_done, 1)
    st.subheader(f"Run {history.simulation_id}")
    st.caption(f"folder: {folder}")
    st.markdown(
        f"status: **{history.status}** · epoch {history.epochs_done} of {history.n_epochs} · "
        f"{history.n_agents} agents · seed {fmt(history.seed)}"
    )
    st.progress(min(history.epochs_done / total, 1.0))


def live_metrics(history: SimulationHistory) -> None:
    if not history.epoch_snapshots:
        st.info("waiting for the first epoch to end")
        return
    last = history.epoch_snapshots[-1]
    prev = history.epoch_snapshots[-2] if len(history.epoch_snapshots) > 1 else None
    cols = st.columns(len(LIVE_METRICS))
    for col, key in zip(cols, LIVE_METRICS):
        v = last.get(key)
        delta = None
        if prev is not None and math.isfinite(v) and math.isfinite(prev.get(key)):
            delta = fmt(v - prev.get(key))
        col.metric(key, fmt(v), delta, delta_color="off")


def time_series(history: SimulationHistory, key: str) -> None:
    groups = D.grouped_metrics(history.metric_names())
    for group, keys in groups.items():
        with st.expander(f"{group} ({len(keys)})", expanded=group in ("Quality", "Economy")):
            data = D.create_time_series_data(history, keys)
            _chart(f"{key}-ts-{group}", partial(F.plotly_small_multiples, data, f"{group} metrics per epoch"))


def agents(history: SimulationHistory, key: str) -> None:
    final = history.get_final_agent_states()
    if not final:
        st.info("no agent has interacted yet")
        return
    rows = [
        {
            "agent": a.agent_id, "type": a.agent_type, "total payoff": fmt(a.total_payoff),
            "reputation": fmt(a.reputation), "interactions (last epoch)": a.n_interactions,
            "avg p initiated (last epoch)": fmt(a.avg_p_initiated), "frozen": a.frozen,
        }
        for a in sorted(final.values(), key=lambda a: (a.agent_type, a.agent_id))[:200]
    ]  # fmt: skip
    st.table(rows, hide_index=True)
    if history.untracked_agents:
        st.caption(
            f"{history.untracked_agents} more agents are not followed one by one (the first "
            f"{len(final)} seen are); the per-type epoch metrics cover every agent"
        )
    attr = st.selectbox(
        "trajectory", [a for a, _ in AGENT_TRAJECTORIES] + ["payoff", "n_interactions", "avg_p_initiated"],
        key=f"{key}-traj",
    )  # fmt: skip
    ids = sorted(final)
    chosen = ids if len(ids) <= 30 else st.multiselect("agents", ids, ids[:10], key=f"{key}-ids")
    traj = D.create_agent_trajectory_data(history, attr, chosen)
    _chart(f"{key}-tr-{attr}-{len(chosen)}", partial(F.plotly_multi_line, traj, f"{attr} per agent"))
    bars = D.create_agent_comparison_data(history, "total_payoff")
    _chart(f"{key}-bar", partial(F.plotly_bar_chart, bars, "total payoff"))


def security(history: SimulationHistory, key: str) -> None:
    names = [k for k in history.metric_names() if k.startswith(SECURITY_PREFIXES)]
    if names and history.epoch_snapshots:
        last = history.epoch_snapshots[-1]
        gauges = [k for k in names if "threat" in k or "risk" in k][:3]
        cols = st.columns(max(len(gauges), 1))
        for col, k in zip(cols, gauges):
            v = last.get(k)
            with col:
                high = max(1.0, v if math.isfinite(v) else 1.0)
                _chart(f"{key}-g-{k}", partial(F.plotly_gauge, v, k, 0.0, high))
        data = D.create_time_series_data(history, names)
        _chart(f"{key}-sec", partial(F.plotly_small_multiples, data, "security and collusion"))
    events = [e for e in history.notable_events if str(e["type"]).startswith(SECURITY_PREFIXES + ("agent_",))]
    if events:
        st.markdown("**Security events**")
        st.table(
            [
                {**{k: e[k] for k in ("epoch", "step", "type", "agent")}, "data": str(e["data"])[:120]}
                for e in events[-50:]
            ]
        )
    frozen = [a.agent_id for a in history.get_final_agent_states().values() if a.frozen]
    st.markdown(f"**Frozen / quarantined agents:** {', '.join(frozen) if frozen else 'none'}")


def network(history: SimulationHistory, key: str) -> None:
    names = [k for k in history.metric_names() if k.startswith("network_")]
    if names:
        series = D.create_time_series_data(history, names)
        _chart(f"{key}-net-ts", partial(F.plotly_small_multiples, series, "network metrics"))
    if history.edges:
        data = D.create_network_graph_data(history)
        if len(data["nodes"]) > 300:
            st.info(f"{len(data['nodes'])} agents: the graph shows the 300 with the most interactions")
            degree: dict[str, float] = {}
            for e in data["edges"]:
                degree[e["source"]] = degree.get(e["source"], 0) + e["weight"]
                degree[e["target"]] = degree.get(e["target"], 0) + e["weight"]
            keep = set(sorted(degree, key=lambda n: -degree[n])[:300])
            data = {
                "nodes": [n for n in data["nodes"] if n["id"] in keep],
                "edges": [e for e in data["edges"] if e["source"] in keep and e["target"] in keep],
            }
        _chart(f"{key}-net", partial(F.plotly_network, data, "interaction network"))
    else:
        st.info("no interactions yet")


def epoch_table(history: SimulationHistory) -> None:
    snaps = history.epoch_snapshots[-TABLE_EPOCHS:]
    rows = [
        {"metric": k, **{f"epoch {s.epoch}": fmt(s.metrics.get(k)) for s in snaps}}
        for k in history.metric_names()
    ]
    st.table(rows, hide_index=True)


def summary(history: SimulationHistory) -> None:
    if not history.summary:
        st.info("the summary and success criteria appear when the run ends")
        return
    for c in history.success_criteria:
        (st.success if c.get("passed") else st.error)(
            f"{'PASS' if c.get('passed') else 'FAIL'} {c.get('name')}: {c.get('detail', '')}"
        )
    st.table([{"quantity": k, "value": fmt(v)} for k, v in history.summary.items()])


def run_view(history: SimulationHistory, folder: Path, key: str) -> None:
    _set_version(history, folder)
    run_header(history, folder)
    live_metrics(history)
    names = ["Time series", "Agents"]
    has_security = D.has_metric_group(history, SECURITY_PREFIXES) or any(
        str(e["type"]).startswith(("agent_frozen", "audit")) for e in history.notable_events
    )
    if has_security:
        names.append("Security & collusion")
    names += ["Network", "Epoch table", "Summary"]
    tabs = dict(zip(names, st.tabs(names)))
    with tabs["Time series"]:
        time_series(history, key)
    with tabs["Agents"]:
        agents(history, key)
    if has_security:
        with tabs["Security & collusion"]:
            security(history, key)
    with tabs["Network"]:
        network(history, key)
    with tabs["Epoch table"]:
        epoch_table(history)
    with tabs["Summary"]:
        summary(history)


def sweep_view(folder: Path) -> None:
    frame = S.load_sweep_frame(folder)
    widgets = ("sweep-metric", "sweep-reduce", "sweep-x", "sweep-y")
    st.session_state["figure_version"] = (
        str(folder),
        len(frame),
        *(st.session_state.get(w) for w in widgets),
    )
    params, metrics = S.sweep_params(frame), S.sweep_metrics(frame)
    st.subheader(f"Sweep {folder.name}")
    shown = ", ".join(p[len(S.PARAM_PREFIX) :] for p in params) or "none"
    st.markdown(f"{frame['run_id'].nunique()} runs · parameters: {shown}")
    failed = S.failed_runs(folder)
    if failed:
        st.warning(f"{len(failed)} runs failed: {', '.join(failed[:20])}")
    if not params or not metrics:
        st.info("no swept parameter or no metric in the shards")
        return
    default = metrics.index("toxicity_rate") if "toxicity_rate" in metrics else 0
    metric = st.selectbox("metric", metrics, index=default, key="sweep-metric")
    reduce = st.radio("a run's value", ["mean", "final"], horizontal=True, key="sweep-reduce",
                      help="mean over the run's epochs, or its last epoch")  # fmt: skip
    for p in params:
        data = S.metric_vs_param(frame, metric, p, reduce)
        title = f"{metric} against {data['x_label']} (mean, 95% interval)"
        _chart(f"sweep-{p}", partial(F.plotly_band, data, title))
    if len(params) >= 2:
        st.markdown("**Two-parameter grid**")
        x = st.selectbox("x", params, index=0, key="sweep-x")
        y = st.selectbox("y", [p for p in params if p != x], index=0, key="sweep-y")
        data = S.heatmap_of(frame, metric, x, y, reduce)
        _chart("sweep-heat", partial(F.plotly_heatmap, data, f"{metric}: mean over runs"))
