"""Rebuild a run from its event log and verify it: `distsafe replay LOG --verify`.

A log is data, never code. The header's population is rebuilt from the agent registry
(`distsafe.agents.registry`: the scripted agents and the LLM agent) and the classes the caller allows by
name (`allow_classes`, `--allow-class module:Class`); a log naming anything else is refused before anything
runs, and nothing it names is imported.

What is checked, in order:
  1. the hash chain (every line);
  2. with `pubkey`, the run's signature (signature.json beside the log: its final hash and files);
  3. the header's labels against the run folder's scenario.yaml and manifest.json, when present;
  4. the re-run: the header's labels and then every event, field by field. The re-run stops where the
     log does (a truncated, interrupted or failed run's log is verified as a prefix: the events before its
     end marker must be the re-run's first events), so a short prefix of a long run is checked quickly.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from distsafe.agents.registry import LLM_AGENT_CLASS, AgentClassRefused, replayable_agent_class
from distsafe.core.config import OrchestratorConfig
from distsafe.core.orchestrator import Orchestrator
from distsafe.models.events import END_MARKERS, Event
from distsafe.scenarios.loader import ScenarioError
from distsafe.scenarios.run_folder import MANIFEST_NAME, RECORDING_NAME, log_name

#: header keys that describe the storage, not the run
_STORAGE_KEYS = frozenset({"storage"})


def _short(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 80 else text[:77] + "..."


def _first_error(e: ValidationError) -> str:
    first = e.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"


# ---- rebuilding ------------------------------------------------------------------------------------------
def rebuild_from_header(
    header: dict[str, Any],
    log_path: Path | None,
    log_format: str | None,
    recording: Path | None = None,
    allow_classes: Iterable[str | type] = (),
) -> Orchestrator:
    """An orchestrator identical to the one that wrote a log: same config, same population.

    Object agents are rebuilt only from the registry's classes and `allow_classes`; anything else raises
    ScenarioError naming the class, before any agent is built."""
    if not isinstance(header.get("config"), dict) or not isinstance(header.get("population"), list):
        raise ScenarioError("log header lacks the run's config or population; it cannot be re-run")
    allowed = list(allow_classes)
    population: list[dict[str, Any]] = header["population"]
    classes: list[Any] = []
    for i, entry in enumerate(population):  # every class is checked before anything is built
        if not isinstance(entry, dict) or entry.get("kind") not in ("population", "object"):
            raise ScenarioError(f"log header population[{i}] is not a population or object entry")
        if entry["kind"] == "object":
            try:
                classes.append(replayable_agent_class(entry.get("class"), allowed))
            except AgentClassRefused as e:
                raise ScenarioError(f"log header population[{i}]: {e}") from None
        else:
            classes.append(None)
    cfg_data = dict(header["config"])
    cfg_data.update(
        log_path=log_path, log_events=log_path is not None, log_format=log_format, llm_recording_path=None
    )
    try:
        orch = Orchestrator(OrchestratorConfig.model_validate(cfg_data))
    except ValidationError as e:
        raise ScenarioError(f"log header config.{_first_error(e)}") from None
    for i, (entry, cls) in enumerate(zip(population, classes)):
        where = f"log header population[{i}]"
        try:
            if cls is None:
                count, prefix, params, roles = (entry.get(k) for k in ("count", "prefix", "params", "roles"))
                if type(count) is not int or count < 1 or not isinstance(prefix, str):
                    raise ValueError("count must be a positive integer and prefix a string")
                if not isinstance(params, dict) or not isinstance(roles, list):
                    raise ValueError("params must be a mapping and roles a list")
                caps = entry.get("capabilities")  # composite-task capabilities (env.composite_tasks)
                if caps is not None and not (
                    isinstance(caps, list) and all(isinstance(c, str) for c in caps)
                ):
                    raise ValueError("capabilities must be a list of names")
                orch.add_population(
                    str(entry.get("type")),
                    count,
                    prefix=prefix,
                    params=params,
                    roles=roles,
                    capabilities=caps,
                )
                continue
            agent_id, init = entry.get("agent_id"), entry.get("init") or {}
            if not isinstance(agent_id, str) or not isinstance(init, dict):
                raise ValueError("agent_id must be a string and init a mapping")
            if hasattr(cls, "from_replay_init"):
                agent = cls.from_replay_init(agent_id, dict(init))
            else:
                agent = cls(agent_id, **init)
            orch.register_agent(agent)
        except ValidationError as e:
            raise ScenarioError(f"{where}: {_first_error(e)}") from None
        except (ValueError, TypeError, KeyError) as e:
            raise ScenarioError(
                f"{where}: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
            ) from None
    for i, item in enumerate(header.get("capabilities") or []):  # `register_agent_capabilities` calls
        try:
            orch.register_agent_capabilities(str(item["agent_id"]), list(item["capabilities"]))
        except (ValueError, TypeError, KeyError, RuntimeError) as e:  # noqa: PERF203
            raise ScenarioError(f"log header capabilities[{i}]: {str(e).splitlines()[0]}") from None
    if recording is not None:
        from distsafe.llm import LLMRecorder

        orch.set_llm_recorder(LLMRecorder(recording, mode="replay"))
    return orch


# ---- verifying -------------------------------------------------------------------------------------------
@dataclass
class VerifyResult:
    ok: bool
    message: str
    n_events: int
    complete: bool
    #: epochs the re-run measured (a prefix is re-run only as far as it reaches); 0 when nothing was re-run
    epochs_rerun: int = 0
    #: what else was checked: the signature, the run folder's labels
    notes: list[str] = field(default_factory=list)


class _PrefixReached(Exception):
    """Stops a re-run once it has produced every event the log being verified can hold."""


def header_diff(original: dict[str, Any], again: dict[str, Any]) -> str | None:
    """The first header field (sorted by name) in which a log differs from its re-run, as a sentence."""
    for key in sorted((set(original) | set(again)) - _STORAGE_KEYS):
        diff = _first_diff(original.get(key, "<absent>"), again.get(key, "<absent>"), key, skip=())
        if diff is not None:
            where, detail = diff
            return f"header field {where!r} differs from the re-run: {detail}"
    return None


def check_run_folder_labels(log_path: Path, header: dict[str, Any]) -> tuple[str | None, list[str]]:
    """Compare the header's labels with the run folder's scenario.yaml and manifest.json (when present).

    Returns (the first difference as a sentence, or None; notes on what was checked)."""
    folder = Path(log_path).parent
    notes: list[str] = []
    manifest_path = folder / MANIFEST_NAME
    if not manifest_path.is_file() or manifest_path.stat().st_size > (1 << 24):
        return None, notes
    try:
        manifest = json.loads(manifest_path.read_bytes())
    except (ValueError, RecursionError):
        return f"{MANIFEST_NAME} beside the log is not valid JSON", notes
    if not isinstance(manifest, dict) or manifest.get("log") != Path(log_path).name:
        return None, notes  # not this log's run folder
    for key in ("scenario", "seed"):
        if key in manifest and manifest[key] != header.get(key):
            return (
                f"{MANIFEST_NAME} field {key!r} differs from the log header: "
                f"{_short(manifest[key])} != {_short(header.get(key))}",
                notes,
            )
    notes.append(f"{MANIFEST_NAME} labels match the log header")
    scenario_path = folder / "scenario.yaml"
    if scenario_path.is_file():
        from distsafe.scenarios.builder import build_orchestrator
        from distsafe.scenarios.loader import load_scenario

        try:
            spec = load_scenario(scenario_path)
            built = build_orchestrator(spec).header()
        except ScenarioError as e:
            return f"scenario.yaml beside the log does not load: {str(e).splitlines()[0]}", notes
        for key in ("scenario", "seed", "n_epochs", "steps_per_epoch", "n_agents", "population"):
            if json.dumps(built.get(key), sort_keys=True) != json.dumps(header.get(key), sort_keys=True):
                return (
                    f"scenario.yaml beside the log differs from the log header at {key!r}: "
                    f"{_short(built.get(key))} != {_short(header.get(key))}",
                    notes,
                )
        diff = _first_diff(built.get("config"), header.get("config"), "config")
        if diff is not None:
            return f"scenario.yaml beside the log differs from the log header at {diff[0]}: {diff[1]}", notes
        notes.append("scenario.yaml matches the log header")
    return None, notes


_RUN_OPTIONS = ("log_path", "log_events", "log_format", "llm_recording_path")


def _first_diff(a: Any, b: Any, path: str, skip: tuple[str, ...] = _RUN_OPTIONS) -> tuple[str, str] | None:
    """(dotted path, "a != b") of the first difference between two JSON values, keys in sorted order."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k in skip:
                continue
            d = _first_diff(a.get(k, "<absent>"), b.get(k, "<absent>"), f"{path}.{k}", skip)
            if d is not None:
                return d
        return None
    if json.dumps(a, sort_keys=True, default=repr) != json.dumps(b, sort_keys=True, default=repr):
        return path, f"{_short(a)} != {_short(b)}"
    return None


def _needs_recording(header: dict[str, Any]) -> bool:
    return any(
        isinstance(p, dict) and p.get("kind") == "object" and p.get("class") == LLM_AGENT_CLASS
        for p in header.get("population", [])
    )


def _first_event_diff(original: Iterator[Event], again: Iterator[Event], n: int) -> str | None:
    from distsafe.eventlog import event_diff

    for k in range(n):
        e1, e2 = next(original, None), next(again, None)
        if e1 is None:
            return f"the log ends before event seq {k}"
        if e2 is None:
            return f"the re-run ends before event seq {e1.seq} ({e1.event_type.value})"
        d = event_diff(e1, e2)
        if d is not None:
            return str(d)
    return None


def verify_log(
    log_path: Path | str, allow_classes: Iterable[str | type] = (), pubkey: str | None = None
) -> VerifyResult:
    """Re-run the run that wrote `log_path` and compare; name the first difference.

    `allow_classes`: agent classes (or `module:Class` names) beyond the registry that the log may name.
    `pubkey`: a trusted Ed25519 public key (hex); the run's signature.json must then be valid for it."""
    from distsafe.eventlog import EventLogError, compare_logs, infer_format, log_info, open_event_log

    log_path = Path(log_path)
    read = log_info(log_path)  # the whole chain, without building events
    header, n = read.header, read.n_events
    notes: list[str] = []
    if pubkey is not None:
        from distsafe.scenarios.signing import check_signature

        sig = check_signature(log_path, read.last_hash, n, pubkey)
        if not sig.ok:
            return VerifyResult(False, f"signature: {sig.message}", n, read.complete, notes=notes)
        notes.append(sig.message)
    label_diff, label_notes = check_run_folder_labels(log_path, header)
    notes += label_notes
    if label_diff is not None:
        return VerifyResult(False, label_diff, n, read.complete, notes=notes)
    recording = None
    if _needs_recording(header):
        recording = log_path.parent / RECORDING_NAME
        if not recording.exists():
            raise ScenarioError(f"{log_path}: an LLM run needs its recording {recording.name} beside the log")
    fmt = infer_format(log_path)
    marker = read.last_type in END_MARKERS
    target = read.last_position
    with tempfile.TemporaryDirectory(prefix="distsafe-verify-") as tmp:
        again_path = Path(tmp) / log_name(fmt)
        orch = rebuild_from_header(header, again_path, fmt, recording, allow_classes)
        _stop_where_the_log_stops(orch, target, prefix=not read.complete)
        try:
            orch.run()
        except _PrefixReached:
            pass
        except EventLogError:
            raise
        epochs = len(orch.epoch_metrics)
        again_header = open_event_log(again_path, "r").header
        diff = header_diff(header, again_header)
        if diff is not None:
            return VerifyResult(False, diff, n, read.complete, epochs, notes)
        if read.complete:
            log_diff = compare_logs(log_path, again_path)
            if log_diff is None:
                msg = f"verified: re-run reproduced all {n} events and every epoch's metrics"
                return VerifyResult(True, msg, n, True, epochs, notes)
            return VerifyResult(False, f"differs: {log_diff}", n, True, epochs, notes)
        # A prefix (truncated, interrupted or failed run): its events, less an end marker, must be the
        # re-run's first events.
        n_compare = n - 1 if marker else n
        first = _first_event_diff(
            open_event_log(log_path, "r").replay(), open_event_log(again_path, "r").replay(), n_compare
        )
    if first is not None:
        return VerifyResult(False, f"differs: {first}", n, False, epochs, notes)
    return VerifyResult(
        True,
        f"{read.message}; those {n_compare} events match the re-run of {epochs} epoch(s) "
        "(prefix verified; the log is incomplete)",
        n,
        False,
        epochs,
        notes,
    )


def _stop_where_the_log_stops(orch: Orchestrator, target: tuple[int, int] | None, prefix: bool) -> None:
    """Make the re-run stop once it has passed the log's last (epoch, step).

    A prefix is re-run to the end of that step (or, when it reached the end of its epoch, of that epoch):
    every event it can hold is then written. A complete log is re-run in full, but never past its own end
    (a header that claims more epochs than the log holds is caught without running them)."""
    if target is None:
        return

    def on_step(epoch: int, step: int, _n: int) -> None:
        if (epoch, step) > target:
            raise _PrefixReached

    orch.on_step_end(on_step)
    if prefix:

        def on_epoch(m: Any) -> None:
            if int(m.epoch) >= target[0]:
                raise _PrefixReached

        orch.on_epoch_end(on_epoch)
