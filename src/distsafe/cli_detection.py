"""`distsafe detection SCENARIO --seeds N`: the collusion detector against planted rings (analysis.detection).

Registered on the CLI with one line in `distsafe.cli`; its imports of the engine (and of `distsafe.analysis`,
whose package imports the engine) are inside the command, so the CLI starts without them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from distsafe.textsafe import markup


def _cell(v: tuple[float, float, float, int]) -> str:
    m, lo, hi, n = v
    if math.isnan(m):
        return "n/a"
    ci = f" [{lo:.3f}, {hi:.3f}]" if not math.isnan(lo) else ""
    return f"{m:.3f}{ci} (n={n})"


def detection(
    scenario: str = typer.Argument(
        ..., help="a scenario file or shipped scenario with planted collusion rings"
    ),
    seeds: int = typer.Option(
        10, "--seeds", min=1, max=1000, help="how many seeds (0 .. N-1 after --first-seed)"
    ),
    first_seed: int = typer.Option(0, "--first-seed", min=0),
    override: list[str] = typer.Option([], "--override", "-o", help="a.b=value (repeatable)"),
    json_out: Path | None = typer.Option(None, "--json", help="write every seed's outcome and the summary"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
) -> None:
    """Precision, recall, F1 and the false-positive rate on honest agents of the collusion detector,
    measured against the scenario's planted collusion rings over several seeds (95% intervals)."""
    from distsafe.analysis.detection import detection_study

    console = Console()
    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, disable=quiet,
    )  # fmt: skip
    with progress:
        task = progress.add_task(f"{markup(scenario, 60)}: seeds", total=seeds)
        study = detection_study(
            scenario, seeds, override, first_seed, on_seed=lambda _: progress.update(task, advance=1)
        )
    per = Table(title=f"{markup(scenario, 80)}: collusion detection per seed (agent level)")
    for col in ("seed", "colluders", "TP", "FP", "FN", "honest flagged", "pairs flagged (in a ring)",
                "first flag (epoch)"):  # fmt: skip
        per.add_column(col, justify="right")
    for o in study.outcomes:
        per.add_row(
            str(o.seed), str(o.n_colluders), str(o.tp), str(o.fp), str(o.fn),
            f"{o.honest_flagged}/{o.honest_agents}", f"{o.flagged_pairs} ({o.ring_pairs_flagged})",
            "-" if o.first_flag_epoch is None else str(o.first_flag_epoch),
        )  # fmt: skip
    console.print(per)
    s = study.summary()
    t = Table(title=f"mean over {seeds} seeds [95% bootstrap interval]")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("precision", _cell(s["precision"]))
    t.add_row("recall", _cell(s["recall"]))
    t.add_row("F1", _cell(s["f1"]))
    t.add_row("false-positive rate, agents in no ring", _cell(s["fp_rate_honest"]))
    t.add_row("false-positive rate, type honest", _cell(s["fp_rate_type_honest"]))
    console.print(t)
    if json_out is not None:
        json_out.write_text(json.dumps(study.to_dict(), indent=2, default=str) + "\n")
        console.print(f"json: {markup(json_out)}", highlight=False)
