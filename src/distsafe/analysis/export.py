"""Export a run's history (seed 001, "Data Export"): CSV tables, one JSON file, a plain-text summary."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from distsafe.analysis.aggregation import AgentSnapshot, EpochSnapshot, SimulationHistory


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def history_to_epoch_records(history: SimulationHistory) -> list[dict[str, Any]]:
    return [
        {"epoch": s.epoch, **{k: _clean(v) for k, v in s.metrics.items() if k != "epoch"}}
        for s in history.epoch_snapshots
    ]


def history_to_agent_records(history: SimulationHistory) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in a.to_dict().items()} for a in history.agent_snapshots]


def _write_csv(records: list[dict[str, Any]], path: Path) -> None:
    keys: list[str] = []
    for r in records:
        keys.extend(k for k in r if k not in keys)
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for r in records:
            w.writerow({k: "" if r.get(k) is None else r.get(k) for k in keys})


def export_to_csv(
    history: SimulationHistory, out_dir: str | Path, prefix: str = "simulation"
) -> dict[str, Path]:
    """Write `<prefix>_epochs.csv` (one row per epoch) and `<prefix>_agents.csv` (one row per agent and
    epoch) into `out_dir` (created); returns the paths by table name."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"epochs": out / f"{prefix}_epochs.csv", "agents": out / f"{prefix}_agents.csv"}
    _write_csv(history_to_epoch_records(history), paths["epochs"])
    _write_csv(history_to_agent_records(history), paths["agents"])
    return paths


def export_to_json(history: SimulationHistory, path: str | Path) -> Path:
    """The whole history as one JSON file (NaN and infinities as null); `load_from_json` reads it back."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "simulation_id": history.simulation_id,
        "n_epochs": history.n_epochs,
        "steps_per_epoch": history.steps_per_epoch,
        "n_agents": history.n_agents,
        "seed": history.seed,
        "status": history.status,
        "summary": {k: _clean(v) for k, v in history.summary.items()},
        "success_criteria": history.success_criteria,
        "epochs": history_to_epoch_records(history),
        "agents": history_to_agent_records(history),
        "edges": [[s, t, *w] for (s, t), w in sorted(history.edges.items())],
    }
    p.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")
    return p


def load_from_json(path: str | Path) -> SimulationHistory:
    doc = json.loads(Path(path).read_text())
    h = SimulationHistory(
        str(doc["simulation_id"]), int(doc["n_epochs"]), int(doc["steps_per_epoch"]), int(doc["n_agents"]),
        doc.get("seed"), status=str(doc.get("status", "complete")), summary=dict(doc.get("summary") or {}),
        success_criteria=list(doc.get("success_criteria") or []),
    )  # fmt: skip
    for r in doc.get("epochs", []):
        h.add_epoch_snapshot(EpochSnapshot(int(r["epoch"]), dict(r)))
    for r in doc.get("agents", []):
        r = {k: (math.nan if v is None and k == "avg_p_initiated" else v) for k, v in r.items()}
        h.add_agent_snapshot(AgentSnapshot(**r))
    for s, t, *w in doc.get("edges", []):
        h.edges[(str(s), str(t))] = [float(x) for x in w]
    return h


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "n/a" if not math.isfinite(v) else f"{v:.4g}"
    return "n/a" if v is None else str(v)


def generate_summary_report(history: SimulationHistory) -> str:
    """A plain-text report: the run, its last epoch's and mean metrics, success criteria, top agents."""
    lines = [
        f"Simulation {history.simulation_id}: {history.epochs_done} of {history.n_epochs} epochs, "
        f"{history.n_agents} agents, seed {_fmt(history.seed)}, status {history.status}",
        "",
        f"{'metric':<32}{'last epoch':>14}{'mean':>14}",
    ]
    for key in (
        "toxicity_rate",
        "realized_harm",
        "quality_gap",
        "total_welfare",
        "acceptance_rate",
        "gini_payoff",
    ):
        series = [p.value for p in history.get_time_series(key)]
        finite = [v for v in series if math.isfinite(v)]
        if not series:
            continue
        mean = sum(finite) / len(finite) if finite else math.nan
        lines.append(f"{key:<32}{_fmt(series[-1]):>14}{_fmt(mean):>14}")
    if history.success_criteria:
        lines += ["", "Success criteria:"]
        lines += [
            f"  {'PASS' if c.get('passed') else 'FAIL'}  {c.get('name')}: {c.get('detail', '')}"
            for c in history.success_criteria
        ]
    final = sorted(history.get_final_agent_states().values(), key=lambda a: -a.total_payoff)
    if final:
        lines += ["", f"{'agent':<24}{'type':<16}{'total payoff':>14}{'reputation':>12}"]
        lines += [
            f"{a.agent_id:<24}{a.agent_type:<16}{_fmt(a.total_payoff):>14}{_fmt(a.reputation):>12}"
            for a in final[:10]
        ]
    return "\n".join(lines) + "\n"
