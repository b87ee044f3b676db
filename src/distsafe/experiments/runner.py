"""Run a sweep into its folder: resume what is done, record what fails, go on.

`run_sweep` opens the folder (checking it holds this sweep or nothing), skips every run with a shard (and,
unless `retry_failed`, every run with a failure record), hands the rest to the executor and writes each
outcome as it arrives: a shard for a finished run, a JSON record for a failed one. Killing the driver loses
at most the runs in flight; running the same command again finishes the sweep.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from distsafe.experiments.executors import Executor, RunFn
from distsafe.experiments.plan import RunTask, SweepPlan
from distsafe.experiments.store import SweepStore
from distsafe.experiments.tasks import execute_run


@dataclass
class Progress:
    total: int
    #: finished before this invocation (skipped)
    skipped: int = 0
    done: int = 0
    failed: int = 0
    in_flight: int = 0
    started: float = 0.0


@dataclass
class SweepReport:
    """What one `run_sweep` call did."""

    total: int
    skipped: int
    done: int
    failed: int
    seconds: float
    out_dir: Path


def pending_tasks(
    plan: SweepPlan, store: SweepStore, retry_failed: bool = False
) -> tuple[list[RunTask], int]:
    """(tasks still to run, how many are already finished or, without retry_failed, failed)."""
    tasks = plan.tasks(store.root)
    skip = store.done_ids() | (set() if retry_failed else store.failed_ids())
    todo = [t for t in tasks if t.run_id not in skip]
    return todo, len(tasks) - len(todo)


def run_sweep(
    plan: SweepPlan,
    out_dir: str | Path,
    executor: Executor,
    retry_failed: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
    fn: RunFn = execute_run,
) -> SweepReport:
    store = SweepStore(out_dir)
    store.open(plan.source.text)
    todo, skipped = pending_tasks(plan, store, retry_failed)
    prog = Progress(total=len(todo) + skipped, skipped=skipped, started=time.perf_counter())
    if on_progress:
        on_progress(prog)
    by_id = {t.run_id: t for t in todo}

    def moved(n: int) -> None:
        prog.in_flight = n
        if on_progress:
            on_progress(prog)

    executor.on_change = moved
    try:
        for out in executor.map_unordered(todo, fn):
            task = by_id[out.run_id]
            if out.ok:
                store.write_ok(task, out, plan.param_types)
                prog.done += 1
            else:
                store.write_failed(task, out)
                prog.failed += 1
            prog.in_flight = executor.in_flight
            if on_progress:
                on_progress(prog)
    finally:
        store.write_summary()
    return SweepReport(
        prog.total, skipped, prog.done, prog.failed, time.perf_counter() - prog.started, store.root
    )
