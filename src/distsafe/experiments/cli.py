"""`distsafe sweep`: run a sweep spec into a folder, and report on a folder.

    distsafe sweep SPEC.yaml --out DIR [--executor local|dask|ray] [--workers N] [--address ADDR]
                   [--retry-failed]
    distsafe sweep report DIR [--baseline NAME] [--markdown] [--plot PNG]

(`distsafe sweep SPEC.yaml` is `distsafe sweep run SPEC.yaml`: the group runs `run` when its first word is
not a subcommand.) Bad input raises `ScenarioError` (imported in the commands: the CLI's start-up stays
light), which `distsafe.cli.main` prints as one line, exit 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from typer.core import TyperGroup

from distsafe.textsafe import markup


class _DefaultRun(TyperGroup):
    """A group whose first argument, when it is not a subcommand, is the `run` command's spec."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        result: list[str] = super().parse_args(ctx, args)
        return result


sweep_app = typer.Typer(
    cls=_DefaultRun,
    help="Parameter sweeps: `distsafe sweep SPEC.yaml --out DIR`, `distsafe sweep report DIR` "
    "(docs/experiments.md).",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)


@sweep_app.command("run")
def run_cmd(
    spec_file: Path = typer.Argument(..., help="the sweep spec (YAML)"),
    out: Path = typer.Option(..., "--out", help="the sweep folder (created; an existing one is resumed)"),
    executor: str = typer.Option("local", "--executor", help="local | dask | ray"),
    workers: int = typer.Option(
        2, "--workers", help="processes (local), or workers of a LocalCluster / CPUs"
    ),
    address: str | None = typer.Option(None, "--address", help="scheduler / cluster address (dask, ray)"),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="run again the runs that failed"),
) -> None:
    """Run a sweep spec into DIR: one Parquet shard per run; the same command again resumes."""
    from distsafe.experiments.executors import EXECUTORS, make_executor
    from distsafe.experiments.plan import make_plan
    from distsafe.experiments.runner import Progress as SweepProgress
    from distsafe.experiments.runner import run_sweep
    from distsafe.experiments.spec import load_sweep_spec
    from distsafe.experiments.store import SweepStore
    from distsafe.scenarios.loader import ScenarioError

    if executor not in EXECUTORS:
        raise ScenarioError(f"--executor {executor}: unknown (known: {', '.join(EXECUTORS)})")
    if workers < 1:
        raise ScenarioError(f"--workers must be at least 1, not {workers}")
    if address and executor == "local":
        raise ScenarioError("--address is for --executor dask or ray")
    plan = make_plan(load_sweep_spec(spec_file))  # every spec problem fails here, before anything is written
    SweepStore(out).check(plan.source.text)
    try:
        ex = make_executor(executor, workers, address)
    except ValueError as e:
        raise ScenarioError(str(e)) from None
    where = f"{executor}" + (f" at {address}" if address else f", {workers} workers")
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} done"),
        TextColumn("[red]{task.fields[failed]} failed"), TextColumn("[cyan]{task.fields[flight]} in flight"),
        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=err_console,
    ) as bar:  # fmt: skip
        task: TaskID | None = None

        def show(p: SweepProgress) -> None:
            nonlocal task
            finished = p.skipped + p.done + p.failed
            if task is None:
                # runs already in the folder count as done; the ETA comes from this invocation's pace
                task = bar.add_task(
                    f"sweep {plan.spec.name} ({where})",
                    total=p.total,
                    completed=p.skipped,
                    failed=0,
                    flight=0,
                )
            bar.update(task, completed=finished, failed=p.failed, flight=p.in_flight)

        rep = run_sweep(plan, out, ex, retry_failed=retry_failed, on_progress=show)
    skipped = f", {rep.skipped} already there" if rep.skipped else ""
    err_console.print(
        f"sweep {markup(plan.spec.name)}: {rep.done} runs done, {rep.failed} failed{skipped} "
        f"({rep.seconds:.1f} s) -> {markup(str(out))}",
        highlight=False,
    )
    if rep.failed:
        err_console.print(
            f"failed runs: {markup(str(out / 'failed'))} (run again with --retry-failed)", highlight=False
        )


@sweep_app.command("report")
def report_cmd(
    folder: Path = typer.Argument(..., help="a sweep folder"),
    baseline: str | None = typer.Option(None, "--baseline", help="the reference configuration"),
    markdown: bool = typer.Option(False, "--markdown", help="print Markdown tables"),
    plot: Path | None = typer.Option(None, "--plot", help="draw each metric against each parameter (PNG)"),
) -> None:
    """Means with 95% t and bootstrap intervals; paired differences vs the baseline by seed, Hedges' g,
    Holm-corrected p-values."""
    from distsafe.experiments import report as rp
    from distsafe.scenarios.loader import ScenarioError

    s = rp.summarize(folder, baseline)
    if markdown:
        print(rp.markdown(s))
    else:
        console.print(markup(rp.caption(s)), highlight=False)
        for metric in s.metrics:
            h, rows = rp.metric_table(s, metric)
            t = Table(title=markup(f"{metric}  (* = Holm p < 0.05; paired by seed)"))
            for i, col in enumerate(h):
                t.add_column(markup(col), justify="left" if i < 2 else "right")
            for row in rows:
                t.add_row(*[markup(c) for c in row])
            console.print(t)
    if plot is not None:
        from distsafe.experiments.plots import plot_sweep
        from distsafe.experiments.store import load_summary

        if plot_sweep(s, load_summary(folder), plot) is None:
            raise ScenarioError("--plot needs matplotlib: pip install 'distsafe[analysis]'")
        err_console.print(f"plot: {markup(str(plot))}", highlight=False)
