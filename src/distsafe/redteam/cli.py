"""`distsafe redteam SCENARIO [--seeds N]`: the governance-effectiveness report of a scenario over seeds,
measured against ground truth (`redteam.metrics`). The engine is imported inside the command."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console()


def _ci(v: tuple[float, float, float], digits: int = 3) -> str:
    m, lo, hi = v
    if m != m:
        return "n/a"
    return f"{m:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def redteam(
    scenario: str = typer.Argument(..., help="a scenario file, or the name of a shipped scenario"),
    seeds: int = typer.Option(10, "--seeds", min=1, max=1000, help="runs at seed, seed+1, ..."),
    epochs: int | None = typer.Option(None, "--epochs", help="override simulation.n_epochs"),
    override: list[str] = typer.Option([], "--override", "-o", help="a.b=value (repeatable)"),
    json_out: Path | None = typer.Option(None, "--json", help="also write the report as JSON here"),
    plot: Path | None = typer.Option(None, "--plot", help="plot the adversaries' strategy shares (PNG)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
) -> None:
    """Governance effectiveness against ground truth: precision, recall, F1, honest false positives,
    detection latency, damage before detection, per detector, with 95% intervals over seeds."""
    from distsafe.redteam.evaluator import evaluate_scenario
    from distsafe.scenarios import load_scenario

    ov = list(override) + ([f"simulation.n_epochs={epochs}"] if epochs is not None else [])
    spec = load_scenario(scenario, ov)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, disable=quiet) as progress:  # fmt: skip
        task = progress.add_task(f"{spec.scenario_id}: seeds", total=seeds)
        report = evaluate_scenario(spec, seeds, on_run=lambda i: progress.update(task, advance=1))
    table = Table(title=f"governance effectiveness: {spec.scenario_id}, {seeds} seeds (mean [95% CI])")
    for col in ("detector", "precision", "recall", "F1", "honest FP rate", "latency (epochs)",
                "damage before detection"):  # fmt: skip
        table.add_column(col)
    for d, m in report.detectors.items():
        table.add_row(d, _ci(m["precision"]), _ci(m["recall"]), _ci(m["f1"]), _ci(m["honest_fpr"]),
                      _ci(m["latency"], 2), _ci(m["damage_before"], 1))  # fmt: skip
    console.print(table)
    console.print(
        f"evasion rate: {_ci(report.evasion_rate)}   prevention rate: {_ci(report.prevention_rate)}   "
        f"bad actors' damage (harm h of bad outcomes): {_ci(report.bad_actor_damage, 1)}"
    )
    if report.strategy_shares:
        shares = report.strategy_shares
        k = max(1, len(shares) // 4)
        st = Table(title="adaptive adversaries: strategy shares of plays (all seeds)")
        names = sorted({n for s in shares for n in s})
        st.add_column("epochs")
        for n in names:
            st.add_column(n)
        for lo in range(0, len(shares), k):
            block = shares[lo : lo + k]
            st.add_row(f"{lo}-{lo + len(block) - 1}",
                       *[f"{sum(s.get(n, 0.0) for s in block) / len(block):.2f}" for n in names])  # fmt: skip
        console.print(st)
        rates = report.strategy_detection_rate
        console.print("named by a lever, share of the epochs a strategy was played: " + ", ".join(
            f"{n} {rates[n]:.2f}" for n in names if n in rates))  # fmt: skip
        if plot is not None:
            _plot_shares(shares, names, plot, spec.scenario_id)
            console.print(f"plot: {plot}")
    if json_out is not None:
        json_out.write_text(json.dumps(report.to_dict(), indent=2, default=float) + "\n")
        console.print(f"report: {json_out}")


def _plot_shares(shares: list[dict[str, float]], names: list[str], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    x = list(range(len(shares)))
    ax.stackplot(x, [[s.get(n, 0.0) for s in shares] for n in names], labels=names)
    ax.set_xlabel("epoch")
    ax.set_ylabel("share of plays")
    ax.set_title(f"{title}: adaptive adversaries' strategies")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
