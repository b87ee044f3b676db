"""The experiment layer: parameter sweeps over seeds and machines, their folder, statistics and figure.

    spec.py        the sweep spec (YAML, validated like scenarios)
    designs.py     grid, random, Sobol, Latin hypercube, named configurations
    plan.py        the spec checked against its base scenario; the runs (tasks)
    tasks.py       one run, as a worker executes it
    executors.py   inline, local process pool, Dask distributed, Ray: one interface
    runner.py      run a sweep into its folder (resume, failures, progress)
    store.py       the sweep folder: Parquet shards, failure records, load_results / load_summary
    stats.py       t and bootstrap intervals, paired differences, Hedges' g, Holm
    report.py      the report's tables;  plots.py: its figure
    sweep_api.py   seed 001's SweepConfig, SweepParameter, SweepRunner
    cli.py         `distsafe sweep SPEC --out DIR`, `distsafe sweep report DIR`

See docs/experiments.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from distsafe.experiments.executors import EXECUTORS, Executor, make_executor
    from distsafe.experiments.plan import RunTask, SweepPlan, make_plan
    from distsafe.experiments.runner import SweepReport, run_sweep
    from distsafe.experiments.spec import SweepSpec, load_sweep_spec, parse_sweep_spec
    from distsafe.experiments.store import SweepStore, load_results, load_summary
    from distsafe.experiments.sweep_api import SweepConfig, SweepParameter, SweepResult, SweepRunner
    from distsafe.experiments.tasks import RunOutcome, execute_run

#: public name -> its module. Loaded on first use (PEP 562), so that `distsafe.cli` can mount the sweep
#: commands without importing the engine at start-up.
_EXPORTS = {
    "EXECUTORS": "executors",
    "Executor": "executors",
    "make_executor": "executors",
    "RunTask": "plan",
    "SweepPlan": "plan",
    "make_plan": "plan",
    "SweepReport": "runner",
    "run_sweep": "runner",
    "SweepSpec": "spec",
    "load_sweep_spec": "spec",
    "parse_sweep_spec": "spec",
    "SweepStore": "store",
    "load_results": "store",
    "load_summary": "store",
    "SweepConfig": "sweep_api",
    "SweepParameter": "sweep_api",
    "SweepResult": "sweep_api",
    "SweepRunner": "sweep_api",
    "RunOutcome": "tasks",
    "execute_run": "tasks",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"distsafe.experiments.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'distsafe.experiments' has no attribute {name!r}")


__all__ = [
    "EXECUTORS",
    "Executor",
    "RunOutcome",
    "RunTask",
    "SweepConfig",
    "SweepParameter",
    "SweepPlan",
    "SweepReport",
    "SweepResult",
    "SweepRunner",
    "SweepSpec",
    "SweepStore",
    "execute_run",
    "load_results",
    "load_summary",
    "load_sweep_spec",
    "make_executor",
    "make_plan",
    "parse_sweep_spec",
    "run_sweep",
]
