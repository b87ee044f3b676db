"""`distsafe motifs LOG...`: a motif run's diffusion from its event log (analysis.motifs; docs/motifs.md):
cascades, R0 and mean offspring, per family, the constitution's rules; `--plot` draws the cascade size
distribution pooled over the logs. Registered on the CLI with one line in `distsafe.cli`; the analysis is
imported inside the command.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from distsafe.textsafe import markup


def _f(v: float) -> str:
    return "n/a" if isinstance(v, float) and math.isnan(v) else f"{v:.3g}"


def motifs(
    logs: list[Path] = typer.Argument(
        ..., help="event logs of motif runs (events.jsonl or events.parquet.d)"
    ),
    plot: Path | None = typer.Option(None, "--plot", help="write the cascade size distribution (PNG)"),
    json_out: Path | None = typer.Option(None, "--json", help="write each log's summary and families"),
) -> None:
    """Meme diffusion of motif runs read from their logs: cascades, R0 (mean adoptions a seed causes
    directly), mean offspring, largest cascade, per family; rules proposed, adopted and broken."""
    from distsafe.analysis.motifs import cascade_size_figure, motif_diffusion

    console = Console()
    runs = [motif_diffusion(p) for p in logs]
    table = Table(title="motif diffusion (from the event logs)")
    for col in ("log", "motif", "adoptions", "cascades", "R0", "mean offspring", "max cascade", "rules"):
        table.add_column(col, justify="right")
    report = []
    for path, run in zip(logs, runs):
        s = run.summary()
        rules = f"{len(s['rules_adopted'])}/{s['rules_proposed']} adopted, {s['violations']} violations"
        table.add_row(
            markup(str(path), 50), s["kind"], str(s["nodes"]), str(s["cascades"]), _f(s["r0"]),
            _f(s["mean_offspring"]), str(s["max_cascade"]), rules if s["kind"] == "constitution" else "",
        )  # fmt: skip
        fams = run.by_family()
        report.append({"log": str(path), **s, "families": {str(k): v for k, v in fams.items()}})
    console.print(table)
    if len(runs) == 1 and runs[0].kind != "constitution":
        fam = Table(title="per family (myth, meme or position)")
        for col in ("family", "seeds", "adoptions", "R0", "max cascade"):
            fam.add_column(col, justify="right")
        for f, v in runs[0].by_family().items():
            fam.add_row(
                str(f), str(int(v["seeds"])), str(int(v["nodes"])), _f(v["r0"]), str(int(v["max_cascade"]))
            )
        console.print(fam)
    if plot is not None:
        out = cascade_size_figure([r.cascade_sizes for r in runs if r.kind != "constitution"], plot)
        console.print(f"cascade size distribution: {markup(str(out))}")
    if json_out is not None:
        clean = json.loads(json.dumps(report, default=float).replace("NaN", "null"))
        json_out.write_text(json.dumps(clean, indent=2) + "\n")
        console.print(f"summary: {markup(str(json_out))}")
