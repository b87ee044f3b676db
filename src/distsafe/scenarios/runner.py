"""Run a scenario, optionally into a run folder (`run_folder.py` says what it holds).

A run that stops early (Ctrl-C, an exception) still leaves a readable folder: its log ends with a
`simulation_interrupted` / `simulation_failed` marker, and the manifest's `status` says so with the reason;
the exception then propagates. Rebuilding and verifying a run from its log is in `verify.py` (re-exported
here).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distsafe.core.orchestrator import Orchestrator
from distsafe.metrics.epoch import EpochMetrics
from distsafe.scenarios.builder import build_orchestrator
from distsafe.scenarios.local_llm import check_local_models, serve_local_models
from distsafe.scenarios.run_folder import (
    RECORDING_NAME,
    check_out_dir,
    log_name,
    write_metrics,
    write_run_folder,
)
from distsafe.scenarios.spec import ScenarioSpec
from distsafe.scenarios.verify import VerifyResult, rebuild_from_header, verify_log

if TYPE_CHECKING:
    from nacl.signing import SigningKey

__all__ = [
    "RECORDING_NAME",
    "RunResult",
    "VerifyResult",
    "log_name",
    "rebuild_from_header",
    "run_scenario",
    "verify_log",
    "write_metrics",
    "write_run_folder",
]


@dataclass
class RunResult:
    spec: ScenarioSpec
    orchestrator: Orchestrator
    metrics: list[EpochMetrics]
    summary: dict[str, Any]
    criteria: list[tuple[str, bool, str]]
    out_dir: Path | None = None
    files: dict[str, str] = field(default_factory=dict)
    #: levers configured so that they cannot bind in this run (`Orchestrator.lever_warnings`)
    warnings: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(ok for _, ok, _ in self.criteria)


def _has_llm(spec: ScenarioSpec) -> bool:
    return any(a.type == "llm" for a in spec.agents)


def run_scenario(
    spec: ScenarioSpec,
    out_dir: Path | None = None,
    log_format: str | None = None,
    on_step: Callable[[int, int, int], None] | None = None,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
    llm_replay_from: Path | None = None,
    sign_key: SigningKey | None = None,
) -> RunResult:
    """Run `spec`; with `out_dir`, write the run folder (refused, with nothing written, when the folder
    already holds a file the run would write). LLM calls are recorded (or replayed from `llm_replay_from`, a
    recording file). With `sign_key`, the folder gets a signature.json (see `signing.py`)."""
    fmt = log_format or spec.simulation.log_format
    log_path = None
    if out_dir is not None:
        check_out_dir(out_dir)
        log_path = out_dir / log_name(fmt)
    orch = build_orchestrator(spec, log_path=log_path, log_format=fmt)
    orch.scenario_spec = spec  # type: ignore[attr-defined]
    check_local_models(orch, replaying=llm_replay_from is not None)  # before anything is written
    warnings = orch.lever_warnings()
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    _attach_recorder(orch, spec, out_dir, llm_replay_from)
    if out_dir is not None and fmt == "jsonl":
        # each epoch's lines reach the file when it ends, so that the run can be watched as it goes
        # (`distsafe dashboard RUN_DIR` follows the log); the bytes written are the same
        orch.on_epoch_end(lambda _m: _flush_log(orch))
    if on_step:
        orch.on_step_end(on_step)
    if on_epoch:
        orch.on_epoch_end(on_epoch)
    try:
        with serve_local_models(orch, replaying=llm_replay_from is not None):
            metrics = _run(orch)
    except BaseException as exc:
        if out_dir is not None:
            _write_stopped_folder(spec, orch, out_dir, fmt, exc, sign_key)
        raise
    summary = orch.summary()
    criteria = spec.success_criteria.evaluate(summary, [m.to_dict() for m in metrics])
    result = RunResult(spec, orch, metrics, summary, criteria, out_dir, warnings=warnings)
    if out_dir is not None:
        write_run_folder(result, fmt, sign_key=sign_key)
    return result


def _write_stopped_folder(
    spec: ScenarioSpec,
    orch: Orchestrator,
    out_dir: Path,
    fmt: str,
    exc: BaseException,
    sign_key: SigningKey | None,
) -> None:
    """The folder of a run that stopped early: metrics so far, and a manifest whose status says how it
    ended. Best effort: the error that stopped the run (a full disk, say) may stop this too."""
    interrupted = isinstance(exc, (KeyboardInterrupt, asyncio.CancelledError))
    text = " ".join(str(exc).split())
    reason = (f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:300]
    try:
        summary = orch.summary() if orch.epoch_metrics else {}
    except Exception:  # noqa: BLE001 - a summary of a broken run is not worth a second error
        summary = {}
    result = RunResult(spec, orch, list(orch.epoch_metrics), summary, [], out_dir)
    try:
        write_run_folder(result, fmt, "interrupted" if interrupted else "failed", reason, sign_key)
    except Exception:  # noqa: BLE001 - the original exception is what the caller must see
        pass


def _flush_log(orch: Orchestrator) -> None:
    if orch.event_log is not None:
        orch.event_log.flush()


def _run(orch: Orchestrator) -> list[EpochMetrics]:
    if orch.has_async_agents:
        return asyncio.run(orch.run_async())
    return orch.run()


def _attach_recorder(
    orch: Orchestrator, spec: ScenarioSpec, out_dir: Path | None, replay_from: Path | None
) -> None:
    if not _has_llm(spec):
        return
    from distsafe.llm import LLMRecorder

    if replay_from is not None:
        orch.set_llm_recorder(LLMRecorder(replay_from, mode="replay"))
    elif out_dir is not None:
        orch.set_llm_recorder(LLMRecorder(out_dir / RECORDING_NAME, mode="record"))
