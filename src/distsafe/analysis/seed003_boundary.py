"""Two of seed 003's figures (docs/economies.md), each from runs of a shipped scenario:

    spillover   scenarios/permeability.yaml at base permeability 0, 0.1, ..., 1, adaptive and fixed: the
                run's external harm, spillovers, blocked flows and flows crossed, mean over seeds
    sybil       scenarios/sybil_attack.yaml with one Sybil entity of k identities (k = 2 ... 16), the
                identity component's detection (no lever, so the attacker is never penalized or blocked):
                precision and recall over agents in the last epoch, mean over seeds

    python -m distsafe.analysis.seed003_boundary spillover --seeds 3 --plot docs/permeability_spillover.png
    python -m distsafe.analysis.seed003_boundary sybil --seeds 3 --plot docs/sybil_detection.png

Each prints its table (the figure's numbers) and writes the PNG when `--plot` is given.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from distsafe.scenarios import list_scenarios, load_scenario
from distsafe.scenarios.runner import run_scenario


def _runs(jobs: list[tuple[str, list[str]]], label: str) -> list[list[dict[str, Any]]]:
    """Run each (scenario, overrides); the epoch records of each run."""
    out = []
    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=len(jobs))
        for path, overrides in jobs:
            spec = load_scenario(path, overrides)
            out.append([m.to_dict() for m in run_scenario(spec).metrics])
            bar.advance(task)
    return out


def spillover_curve(perms: Sequence[float], seeds: Sequence[int], epochs: int = 10) -> list[dict[str, float]]:
    """Per (adaptive, base permeability): mean over seeds of the run's harm, spillovers, blocked, crossed."""
    path = str(list_scenarios()["permeability"])
    keys = [(a, p, s) for a in (True, False) for p in perms for s in seeds]
    jobs = [
        (path, [f"permeability.base_permeability={p}", f"permeability.adaptive={str(a).lower()}",
                f"simulation.seed={s}", f"simulation.n_epochs={epochs}"])
        for a, p, s in keys
    ]  # fmt: skip
    runs = _runs(jobs, "permeability runs")
    rows = []
    for adaptive in (True, False):
        for p in perms:
            recs = [r for (a, pp, _), r in zip(keys, runs, strict=True) if a == adaptive and pp == p]
            rows.append({
                "adaptive": float(adaptive), "base_permeability": p,
                "external_harm": float(np.mean([r[-1]["cumulative_external_harm"] for r in recs])),
                "spillovers": float(np.mean([sum(e["spillovers"] for e in r) for r in recs])),
                "blocked": float(np.mean([sum(e["spillovers_blocked"] for e in r) for r in recs])),
                "flows_crossed": float(np.mean([sum(e["flows_crossed"] for e in r) for r in recs])),
            })  # fmt: skip
    return rows


def sybil_curve(identities: Sequence[int], seeds: Sequence[int], epochs: int = 8) -> list[dict[str, float]]:
    """Per identity count k: mean over seeds of the detection's precision and recall in the last epoch
    (an undefined precision, nothing flagged, counts as missing)."""
    path = str(list_scenarios()["sybil_attack"])
    keys = [(k, s) for k in identities for s in seeds]
    jobs = [
        (path, [f"agents.2.count={k}", f"agents.2.params.identities={k}",
                f"identity.max_identities_per_entity={k}", "governance.sybil_detection_enabled=false",
                f"simulation.seed={s}", f"simulation.n_epochs={epochs}"])
        for k, s in keys
    ]  # fmt: skip
    runs = _runs(jobs, "Sybil runs")
    rows = []
    for k in identities:
        recs = [r[-1] for (kk, _), r in zip(keys, runs, strict=True) if kk == k]
        prec = [float(r["sybil_precision"]) for r in recs if not math.isnan(float(r["sybil_precision"]))]
        rows.append({
            "identities": float(k),
            "precision": float(np.mean(prec)) if prec else float("nan"),
            "recall": float(np.mean([float(r["sybil_recall"]) for r in recs])),
            "clusters": float(np.mean([float(r["sybil_clusters_found"]) for r in recs])),
        })  # fmt: skip
    return rows


def _table(title: str, rows: list[dict[str, float]]) -> Table:
    t = Table(title=title)
    for k in rows[0]:
        t.add_column(k, justify="right")
    for r in rows:
        t.add_row(*(f"{v:.4g}" for v in r.values()))
    return t


def _plot_spillover(rows: list[dict[str, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for adaptive, style in ((1.0, "-o"), (0.0, "--s")):
        sel = [r for r in rows if r["adaptive"] == adaptive]
        x = [r["base_permeability"] for r in sel]
        name = "adaptive" if adaptive else "fixed"
        ax1.plot(x, [r["external_harm"] for r in sel], style, label=f"external harm ({name})")
        ax1.plot(x, [r["blocked"] for r in sel], style, alpha=0.5, label=f"blocked spillovers ({name})")
        ax2.plot(x, [r["flows_crossed"] for r in sel], style, label=name)
    ax1.set_xlabel("base permeability")
    ax1.set_title("spillover against permeability")
    ax1.legend(fontsize=8)
    ax2.set_xlabel("base permeability")
    ax2.set_title("flows that crossed the boundary")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_sybil(rows: list[dict[str, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    x = [r["identities"] for r in rows]
    ax.plot(x, [r["precision"] for r in rows], "-o", label="precision")
    ax.plot(x, [r["recall"] for r in rows], "-s", label="recall")
    ax.set_xlabel("identities of the Sybil entity")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title("Sybil detection (sybil_attack.yaml, threshold 0.6)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m distsafe.analysis.seed003_boundary")
    ap.add_argument("figure", choices=("spillover", "sybil"))
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--plot", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.seeds < 1:
        ap.error("--seeds must be >= 1")
    seeds = list(range(1, args.seeds + 1))
    console = Console()
    plot: Callable[[list[dict[str, float]], Path], None]
    if args.figure == "spillover":
        rows = spillover_curve([i / 10 for i in range(11)], seeds)
        title, plot = "permeability.yaml: run totals by base permeability", _plot_spillover
    else:
        rows = sybil_curve([2, 3, 4, 6, 8, 12, 16], seeds)
        title, plot = "sybil_attack.yaml: detection by identity count", _plot_sybil
    console.print(_table(title, rows))
    if args.plot is not None:
        plot(rows, args.plot)
        console.print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
