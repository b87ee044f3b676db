"""The run folder: what `distsafe run --out DIR` writes, and the check that it overwrites nothing.

    events.jsonl | events.parquet.d/   the hash-chained event log (header: scenario, seed, version, config,
                                       population)
    metrics.csv, metrics.json          per-epoch metrics
    metrics.png                        their plot (when matplotlib, the [analysis] extra, is installed)
    scenario.yaml                      the scenario as run (overrides applied)
    llm_recording.jsonl                every LLM request/response (runs with LLM agents)
    signature.json                     Ed25519 signature of the log's final hash and the files (`--sign`)
    manifest.json                      what ran, with which version, how it ended, the files and their sha256

`check_out_dir` refuses a folder that already holds any of these names (whatever made them), before
anything is written, so a run never overwrites a file it did not write itself.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from distsafe import __version__
from distsafe.llm.decisions import run_valid_actions
from distsafe.metrics.epoch import EpochMetrics
from distsafe.scenarios.loader import ScenarioError
from distsafe.scenarios.run_files import (  # noqa: F401  (re-exported: the run folder's file names)
    LOG_NAMES,
    MANIFEST_NAME,
    RECORDING_NAME,
    RUN_FILES,
    SIGNATURE_NAME,
    sha256_of,
)
from distsafe.textsafe import clean

if TYPE_CHECKING:
    from nacl.signing import SigningKey

    from distsafe.scenarios.runner import RunResult


def log_name(fmt: str) -> str:
    return "events.parquet.d" if fmt == "parquet" else "events.jsonl"


def check_out_dir(out: Path) -> None:
    """Raise ScenarioError (one line) unless `out` is a folder (or can be made one) that holds none of the
    files a run writes. Nothing is created here."""
    if out.exists() and not out.is_dir():
        raise ScenarioError(f"--out {out}: is a file, not a folder")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ScenarioError(f"--out {out}: {parent} is a file, not a folder")
            break
    if not out.is_dir():
        return
    taken = [name for name in RUN_FILES if (out / name).exists() or (out / name).is_symlink()]
    if taken:
        raise ScenarioError(
            f"--out {out}: the folder already holds {', '.join(taken)}, which a run would overwrite; "
            "choose another folder (nothing was written)"
        )


def json_safe(v: Any) -> Any:
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if isinstance(v, dict):
        return {k: json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
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


def write_run_folder(
    result: RunResult,
    fmt: str,
    status: str = "complete",
    reason: str | None = None,
    sign_key: SigningKey | None = None,
) -> None:
    """Metrics, plot, scenario.yaml, the signature (with `sign_key`) and the manifest of a run that ended
    with `status` ("complete", "interrupted" or "failed", with `reason`)."""
    out = result.out_dir
    assert out is not None
    write_metrics(result.metrics, out)
    from distsafe.metrics.plots import plot_epoch_metrics

    plot_epoch_metrics(
        [m.to_json_dict() for m in result.metrics],
        out / "metrics.png",
        f"{clean(result.spec.scenario_id, 80)} (seed {result.spec.simulation.seed})",
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
            files[name] = sha256_of(p)
    signature: dict[str, Any] | None = None
    if sign_key is not None:
        from distsafe.scenarios.signing import sign_run_folder

        signature = sign_run_folder(out, log_name(fmt), sign_key, status)
        files[SIGNATURE_NAME] = sha256_of(out / SIGNATURE_NAME)
    result.files = files
    manifest: dict[str, Any] = {
        "distsafe_version": __version__,
        "scenario": result.spec.scenario_id,
        "seed": result.spec.simulation.seed,
        "log": log_name(fmt),
        "log_format": fmt,
        "status": status,
        "epochs": len(result.metrics),
        "summary": json_safe(result.summary),
        "success_criteria": [{"name": n, "passed": ok, "detail": d} for n, ok, d in result.criteria],
        "lever_warnings": list(result.warnings),
        "llm_usage": json_safe(result.orchestrator.get_llm_usage_stats()),
        "files": files,
    }
    if manifest["llm_usage"]:  # valid actions per run and per agent (`distsafe.llm.decisions`)
        manifest["llm_valid_actions"] = json_safe(run_valid_actions(manifest["llm_usage"]))
    if result.spec.ignored_fields:
        manifest["ignored_fields"] = list(result.spec.ignored_fields)
    if result.spec.no_op_fields:
        manifest["no_op_fields"] = list(result.spec.no_op_fields)
    if reason is not None:
        manifest["reason"] = reason
    if signature is not None:
        manifest["signature"] = {
            "file": SIGNATURE_NAME,
            "algorithm": "ed25519",
            "public_key": signature["public_key"],
            "log_final_hash": signature["signed"]["log_final_hash"],
        }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1) + "\n")
