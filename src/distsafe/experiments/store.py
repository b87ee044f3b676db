"""The sweep folder: results that survive a crash, and their loading into pandas.

    DIR/sweep.yaml              the spec as given (a second `distsafe sweep` into DIR must give the same)
    DIR/runs/<run_id>.parquet   one shard per finished run, rows = epochs, written atomically (a temporary
                                file in the same folder, then os.replace): a shard is whole or absent
    DIR/failed/<run_id>.json    a failed run: its error, traceback, task and where it ran
    DIR/summary.parquet         one row per finished run (rewritten after every `distsafe sweep`)
    DIR/run_folders/<run_id>/   each run's run folder, when the spec says run_folders: true

A shard's columns: run_id, config_id, seed, status ("ok"), one `param.<dotted.path>` per swept parameter
(one type per parameter across the sweep, nulls allowed), epoch, every `EpochMetrics` key of the run, and
last config_index (the configuration's place in the design, for ordering). Its Parquet key-value
metadata holds the run's summary (`distsafe.summary`), its resolved scenario
(`distsafe.config`) and how it ran (`distsafe.run`: seconds, host, pid, overrides, run folder), all JSON.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distsafe.experiments.plan import RunTask
from distsafe.experiments.tasks import RunOutcome
from distsafe.scenarios.loader import ScenarioError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

SPEC_NAME = "sweep.yaml"
RUNS_DIR = "runs"
FAILED_DIR = "failed"
SUMMARY_NAME = "summary.parquet"
TMP_MARK = ".tmp-"
#: the columns every shard starts with, in order (then param.*, epoch, the metrics)
ID_COLUMNS = ("run_id", "config_id", "seed", "status")


def _json_safe(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_safe(x) for x in v]
    return v


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class SweepStore:
    """One sweep folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.runs = self.root / RUNS_DIR
        self.failed = self.root / FAILED_DIR

    # ---- opening -------------------------------------------------------------------------------------
    def check(self, spec_text: str) -> None:
        """ScenarioError (nothing written) unless DIR is new, or holds this very sweep."""
        if self.root.exists() and not self.root.is_dir():
            raise ScenarioError(f"--out {self.root}: is a file, not a folder")
        spec_file = self.root / SPEC_NAME
        if spec_file.exists():
            if spec_file.read_text(encoding="utf-8") != spec_text:
                raise ScenarioError(
                    f"--out {self.root}: holds another sweep (its sweep.yaml differs from this spec); "
                    "choose another folder (nothing was written)"
                )
        elif self.root.is_dir() and any(self.root.iterdir()):
            raise ScenarioError(
                f"--out {self.root}: the folder is not empty and holds no sweep.yaml; choose another "
                "folder (nothing was written)"
            )

    def open(self, spec_text: str) -> None:
        self.check(spec_text)
        self.runs.mkdir(parents=True, exist_ok=True)
        self.failed.mkdir(parents=True, exist_ok=True)
        if not (self.root / SPEC_NAME).exists():
            _atomic_write(self.root / SPEC_NAME, spec_text.encode("utf-8"))
        for stale in [*self.runs.glob(f"*{TMP_MARK}*"), *self.failed.glob(f"*{TMP_MARK}*")]:
            stale.unlink(missing_ok=True)  # a write cut short by a kill: its run was never recorded

    def spec_text(self) -> str:
        p = self.root / SPEC_NAME
        if not p.is_file():
            raise ScenarioError(f"{self.root}: not a sweep folder (no {SPEC_NAME})")
        return p.read_text(encoding="utf-8")

    # ---- what is there -------------------------------------------------------------------------------
    def done_ids(self) -> set[str]:
        return {p.stem for p in self.runs.glob("*.parquet")} if self.runs.is_dir() else set()

    def failed_ids(self) -> set[str]:
        return {p.stem for p in self.failed.glob("*.json")} if self.failed.is_dir() else set()

    # ---- writing -------------------------------------------------------------------------------------
    def write_ok(self, task: RunTask, outcome: RunOutcome, param_types: dict[str, str]) -> Path:
        import pyarrow as pa
        import pyarrow.parquet as pq

        n = len(outcome.epochs)
        cols: dict[str, Any] = {
            "run_id": pa.array([task.run_id] * n, pa.string()),
            "config_id": pa.array([task.config_id] * n, pa.string()),
            "seed": pa.array([task.seed] * n, pa.int64()),
            "status": pa.array(["ok"] * n, pa.string()),
        }
        for dotted, value in task.params:
            cols[f"param.{dotted}"] = pa.array([value] * n, _arrow(param_types.get(dotted, "string")))
        keys = list(outcome.epochs[0]) if outcome.epochs else ["epoch"]
        for k in keys:
            vals = [row.get(k) for row in outcome.epochs]
            cols[k] = pa.array(vals, _metric_type(vals))
        cols["config_index"] = pa.array([task.config_index] * n, pa.int64())  # the design's order
        meta = {
            "distsafe.summary": json.dumps(_json_safe(outcome.summary)),
            "distsafe.config": json.dumps(_json_safe(outcome.config)),
            "distsafe.run": json.dumps(
                {
                    "run_id": task.run_id,
                    "config_id": task.config_id,
                    "config_index": task.config_index,
                    "seed": task.seed,
                    "params": [[k, v] for k, v in task.params],
                    "seconds": outcome.seconds,
                    "host": outcome.host,
                    "pid": outcome.pid,
                    "overrides": list(task.overrides),
                    "run_folder": outcome.run_folder,
                }
            ),
        }
        table = pa.table(cols).replace_schema_metadata(meta)
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        path = self.runs / f"{task.run_id}.parquet"
        _atomic_write(path, sink.getvalue().to_pybytes())
        (self.failed / f"{task.run_id}.json").unlink(missing_ok=True)  # a retried run that now succeeded
        return path

    def write_failed(self, task: RunTask, outcome: RunOutcome) -> Path:
        record = {
            "run_id": task.run_id,
            "config_id": task.config_id,
            "seed": task.seed,
            "status": "failed",
            "error": outcome.error,
            "traceback": outcome.traceback,
            "overrides": list(task.overrides),
            "params": {k: v for k, v in task.params},
            "seconds": outcome.seconds,
            "host": outcome.host,
            "pid": outcome.pid,
        }
        path = self.failed / f"{task.run_id}.json"
        _atomic_write(path, (json.dumps(_json_safe(record), indent=1) + "\n").encode("utf-8"))
        return path

    def write_summary(self) -> Path | None:
        """DIR/summary.parquet from the shards (None when no run finished)."""
        if not self.done_ids():
            return None
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(load_summary(self.root), preserve_index=False)
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        path = self.root / SUMMARY_NAME
        _atomic_write(path, sink.getvalue().to_pybytes())
        return path


def _arrow(name: str) -> pa.DataType:
    import pyarrow as pa

    return {"bool": pa.bool_(), "int64": pa.int64(), "float64": pa.float64()}.get(name, pa.string())


def _metric_type(vals: list[Any]) -> pa.DataType:
    import pyarrow as pa

    kinds = {type(v) for v in vals if v is not None}
    if kinds == {bool}:
        return pa.bool_()
    if kinds and kinds <= {int}:
        return pa.int64()
    if kinds <= {int, float}:
        return pa.float64()
    return pa.string()


def _shards(root: Path) -> list[Path]:
    runs = Path(root) / RUNS_DIR
    if not (Path(root) / SPEC_NAME).is_file():
        raise ScenarioError(f"{root}: not a sweep folder (no {SPEC_NAME})")
    return sorted(runs.glob("*.parquet")) if runs.is_dir() else []


def load_results(root: str | Path) -> pd.DataFrame:
    """Every finished run of the sweep in `root`: one row per run and epoch (the shard columns), ordered by
    configuration, seed and epoch."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = [pq.read_table(p) for p in _shards(Path(root))]
    if not tables:
        return pd.DataFrame(columns=[*ID_COLUMNS, "epoch"])
    df = pa.concat_tables(tables, promote_options="default").to_pandas()
    return df.sort_values(["config_index", "seed", "epoch"], kind="stable").reset_index(drop=True)


def load_summary(root: str | Path) -> pd.DataFrame:
    """One row per finished run: run_id, config_id, seed, param.*, the run's summary metrics
    (`metrics.epoch.run_summary`) and config_index, ordered by configuration and seed."""
    import pandas as pd
    import pyarrow.parquet as pq

    rows = []
    for p in _shards(Path(root)):
        pf = pq.ParquetFile(p)
        meta = pf.schema_arrow.metadata or {}
        run = json.loads(meta.get(b"distsafe.run", b"{}"))
        ids = {k: run.get(k) for k in ("run_id", "config_id", "seed")}
        ids.update({f"param.{k}": v for k, v in run.get("params", [])})
        summary = json.loads(meta.get(b"distsafe.summary", b"{}"))
        metrics = {k: (math.nan if v is None else v) for k, v in summary.items()}
        rows.append({**ids, **metrics, "config_index": run.get("config_index")})
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=["run_id", "config_id", "seed", "config_index"])
    return df.sort_values(["config_index", "seed"], kind="stable").reset_index(drop=True)
