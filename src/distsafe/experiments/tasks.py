"""One run of a sweep, as a worker executes it: a pure function of its `RunTask`.

`execute_run` rebuilds the scenario from the task's YAML text and overrides (the same loader and
validation as `distsafe run -o`), sets the seed, runs it and returns a `RunOutcome`: per-epoch metrics,
the run's summary and its resolved configuration, or, when anything fails, the traceback. It never
raises for a failing run, so a failure is recorded and the sweep goes on.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distsafe.experiments.plan import RunTask


@dataclass
class RunOutcome:
    run_id: str
    ok: bool
    epochs: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    #: the validated scenario the run used (JSON types)
    config: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    traceback: str = ""
    seconds: float = 0.0
    host: str = ""
    pid: int = 0
    run_folder: str | None = None


def _plain(v: Any) -> Any:
    """numpy scalars as Python numbers (the shard's columns are typed from Python values)."""
    if hasattr(v, "item") and not isinstance(v, (list, dict, str)):
        return v.item()
    return v


def execute_run(task: RunTask) -> RunOutcome:
    """Run `task`; a failure comes back as an outcome with its traceback."""
    t0 = time.perf_counter()
    out = RunOutcome(task.run_id, ok=False, host=socket.gethostname(), pid=os.getpid())
    try:
        from distsafe.scenarios.builder import build_orchestrator
        from distsafe.scenarios.loader import scenario_from_text

        spec = scenario_from_text(
            task.scenario_text, task.scenario_source, [*task.overrides, f"simulation.seed={task.seed}"]
        )
        if task.run_folder is not None:
            from distsafe.scenarios.runner import run_scenario

            folder = Path(task.run_folder)
            if folder.exists():  # left by an attempt that was killed before its result was recorded
                shutil.rmtree(folder)
            result = run_scenario(spec, out_dir=folder)
            metrics, summary = result.metrics, result.summary
            out.run_folder = str(folder)
        else:
            orch = build_orchestrator(spec)
            metrics = orch.run()
            summary = orch.summary()
        out.epochs = [{k: _plain(v) for k, v in m.to_dict().items()} for m in metrics]
        out.summary = {k: _plain(v) for k, v in summary.items()}
        out.config = spec.model_dump(mode="json", by_alias=True)
        out.ok = True
    except Exception as e:  # noqa: BLE001 - a failing run is recorded, not raised
        text = " ".join(str(e).split())
        out.error = (f"{type(e).__name__}: {text}" if text else type(e).__name__)[:500]
        out.traceback = traceback.format_exc()
    out.seconds = time.perf_counter() - t0
    return out
