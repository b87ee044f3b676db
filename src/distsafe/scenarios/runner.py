"""Run a scenario into a run folder, and rebuild / verify a run from its event log.

A run folder holds:
    events.jsonl | events.parquet.d/   the hash-chained event log (header: scenario, seed, version, config,
                                       population, the resolved scenario)
    metrics.csv, metrics.json          per-epoch metrics
    metrics.png                        their plot (when matplotlib, the [analysis] extra, is installed)
    scenario.yaml                      the scenario as run (overrides applied)
    llm_recording.jsonl                every LLM request/response (runs with LLM agents)
    manifest.json                      what ran, with which version, the files and their sha256, the summary
"""

from __future__ import annotations

import csv
import hashlib
import importlib
import json
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from distsafe import __version__
from distsafe.core.config import OrchestratorConfig
from distsafe.core.orchestrator import Orchestrator
from distsafe.metrics.epoch import EpochMetrics
from distsafe.scenarios.builder import build_orchestrator
from distsafe.scenarios.loader import ScenarioError
from distsafe.scenarios.spec import ScenarioSpec

RECORDING_NAME = "llm_recording.jsonl"


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


def log_name(fmt: str) -> str:
    return "events.parquet.d" if fmt == "parquet" else "events.jsonl"


def _has_llm(spec: ScenarioSpec) -> bool:
    return any(a.type == "llm" for a in spec.agents)


def run_scenario(
    spec: ScenarioSpec,
    out_dir: Path | None = None,
    log_format: str | None = None,
    on_step: Callable[[int, int, int], None] | None = None,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
    llm_replay_from: Path | None = None,
) -> RunResult:
    """Run `spec`; with `out_dir`, write the run folder. LLM calls are recorded (or replayed from
    `llm_replay_from`, a recording file)."""
    fmt = log_format or spec.simulation.log_format
    log_path = None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        log_path = out_dir / log_name(fmt)
        if log_path.exists():
            raise ScenarioError(f"{out_dir}: already holds a run ({log_path.name}); choose another --out")
    orch = build_orchestrator(spec, log_path=log_path, log_format=fmt)
    orch.scenario_spec = spec  # type: ignore[attr-defined]
    warnings = orch.lever_warnings()
    _attach_recorder(orch, spec, out_dir, llm_replay_from)
    if on_step:
        orch.on_step_end(on_step)
    if on_epoch:
        orch.on_epoch_end(on_epoch)
    metrics = _run(orch)
    summary = orch.summary()
    criteria = spec.success_criteria.evaluate(summary, [m.to_dict() for m in metrics])
    result = RunResult(spec, orch, metrics, summary, criteria, out_dir, warnings=warnings)
    if out_dir is not None:
        write_run_folder(result, fmt)
    return result


def _run(orch: Orchestrator) -> list[EpochMetrics]:
    if orch.has_async_agents:
        import asyncio

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


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file():
                h.update(p.relative_to(path).as_posix().encode())
                h.update(p.read_bytes())
        return h.hexdigest()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _json_safe(v: Any) -> Any:
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if isinstance(v, dict):
        return {k: _json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_safe(x) for x in v]
    return v


def write_metrics(metrics: list[EpochMetrics], out_dir: Path) -> None:
    rows = [m.to_json_dict() for m in metrics]
    keys: list[str] = []
    for r in rows:
        keys.extend(k for k in r if k not in keys)
    with (out_dir / "metrics.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in keys})
    (out_dir / "metrics.json").write_text(json.dumps(rows, indent=1) + "\n")


def write_run_folder(result: RunResult, fmt: str) -> None:
    out = result.out_dir
    assert out is not None
    write_metrics(result.metrics, out)
    from distsafe.analysis.plots import plot_epoch_metrics

    plot_epoch_metrics(
        [m.to_json_dict() for m in result.metrics],
        out / "metrics.png",
        f"{result.spec.scenario_id} (seed {result.spec.simulation.seed})",
    )
    (out / "scenario.yaml").write_text(
        yaml.safe_dump(result.spec.model_dump(mode="json", by_alias=True), sort_keys=False)
    )
    files = {}
    for name in (
        log_name(fmt),
        "metrics.csv",
        "metrics.json",
        "metrics.png",
        "scenario.yaml",
        RECORDING_NAME,
    ):
        p = out / name
        if p.exists():
            files[name] = _sha256(p)
    result.files = files
    manifest = {
        "distsafe_version": __version__,
        "scenario": result.spec.scenario_id,
        "seed": result.spec.simulation.seed,
        "log": log_name(fmt),
        "log_format": fmt,
        "epochs": len(result.metrics),
        "summary": _json_safe(result.summary),
        "success_criteria": [{"name": n, "passed": ok, "detail": d} for n, ok, d in result.criteria],
        "lever_warnings": list(result.warnings),
        "llm_usage": _json_safe(result.orchestrator.get_llm_usage_stats()),
        "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


# ---- rebuild and verify ----------------------------------------------------------------------------------
def rebuild_from_header(
    header: dict[str, Any], log_path: Path | None, log_format: str | None, recording: Path | None = None
) -> Orchestrator:
    """An orchestrator identical to the one that wrote a log: same config, same population."""
    if "config" not in header or "population" not in header:
        raise ScenarioError("log header lacks the run's config or population; it cannot be re-run")
    cfg_data = dict(header["config"])
    cfg_data.update(log_path=log_path, log_events=log_path is not None, log_format=log_format)
    orch = Orchestrator(OrchestratorConfig.model_validate(cfg_data))
    for entry in header["population"]:
        if entry["kind"] == "population":
            orch.add_population(
                entry["type"],
                entry["count"],
                prefix=entry["prefix"],
                params=entry["params"],
                roles=entry["roles"],
            )
            continue
        module, _, qual = entry["class"].partition(":")
        try:
            cls: Any = importlib.import_module(module)
            for part in qual.split("."):
                cls = getattr(cls, part)
        except (ImportError, AttributeError):
            raise ScenarioError(
                f"agent class {entry['class']} of {entry['agent_id']!r} is not importable; "
                "the run cannot be rebuilt here"
            ) from None
        init = dict(entry.get("init") or {})
        if hasattr(cls, "from_replay_init"):
            agent = cls.from_replay_init(entry["agent_id"], init)
        else:
            agent = cls(entry["agent_id"], **init)
        orch.register_agent(agent)
    if recording is not None:
        from distsafe.llm import LLMRecorder

        orch.set_llm_recorder(LLMRecorder(recording, mode="replay"))
    return orch


@dataclass
class VerifyResult:
    ok: bool
    message: str
    n_events: int
    complete: bool


def verify_log(log_path: Path) -> VerifyResult:
    """Re-run the run that wrote `log_path` and compare every event; name the first difference."""
    from distsafe.eventlog import EventLogError, compare_logs, log_info, read_log

    # Header, count and completeness only: a complete log is compared without building its events.
    read = log_info(log_path)
    header = read.header
    n = read.n_events
    recording = None
    if any(
        p.get("kind") == "object" and "llm" in p.get("class", "").lower()
        for p in header.get("population", [])
    ):
        candidate = Path(log_path).parent / RECORDING_NAME
        if not candidate.exists():
            raise ScenarioError(f"{log_path}: an LLM run needs its recording {candidate.name} beside the log")
        recording = candidate
    fmt = "parquet" if Path(log_path).is_dir() or str(log_path).endswith(".d") else "jsonl"
    with tempfile.TemporaryDirectory(prefix="distsafe-verify-") as tmp:
        again_path = Path(tmp) / log_name(fmt)
        orch = rebuild_from_header(header, again_path, fmt, recording)
        try:
            _run(orch)
        except EventLogError:
            raise
        if read.complete:
            diff = compare_logs(log_path, again_path)
            if diff is None:
                return VerifyResult(
                    True, f"verified: re-run reproduced all {n} events and every epoch's metrics", n, True
                )
            return VerifyResult(False, f"differs: {diff}", n, True)
        # A truncated log: its whole events must be a prefix of the re-run.
        events = list(read_log(log_path).events)
        again = list(read_log(again_path).events)
        for e1, e2 in zip(events, again):
            if e1.to_record() != e2.to_record():
                return VerifyResult(False, f"differs at event seq {e1.seq} ({e1.event_type.value})", n, False)
        return VerifyResult(
            True, f"{read.message}; those {n} events match the re-run (prefix verified)", n, False
        )
