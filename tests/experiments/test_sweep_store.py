"""The sweep folder: the shard contract, loading, resume, failures and --retry-failed (inline executor)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from distsafe.experiments import (
    execute_run,
    load_results,
    load_summary,
    load_sweep_spec,
    make_executor,
    make_plan,
    run_sweep,
)
from distsafe.experiments.plan import RunTask
from distsafe.experiments.tasks import RunOutcome
from distsafe.scenarios import build_orchestrator, load_scenario


@pytest.fixture(scope="module")
def swept(tmp_path_factory, tiny_grid):
    root = tmp_path_factory.mktemp("sweep")
    (root / "spec.yaml").write_text(tiny_grid)
    plan = make_plan(load_sweep_spec(root / "spec.yaml"))
    rep = run_sweep(plan, root / "out", make_executor("inline"))
    return plan, root / "out", rep


def test_shards_follow_the_contract(swept):
    plan, out, rep = swept
    assert (rep.done, rep.failed, rep.skipped, rep.total) == (8, 0, 0, 8)
    assert (out / "sweep.yaml").read_text() == plan.source.text
    shards = sorted(p.name for p in (out / "runs").iterdir())
    assert shards == sorted(f"{t.run_id}.parquet" for t in plan.tasks())
    table = pq.read_table(out / "runs" / "c003__seed6.parquet")
    cols = table.column_names
    assert cols[:7] == [
        "run_id",
        "config_id",
        "seed",
        "status",
        "param.governance.transaction_tax_rate",
        "param.governance.circuit_breaker_enabled",
        "epoch",
    ]
    assert "toxicity_rate" in cols and "welfare_money" in cols and cols[-1] == "config_index"
    rows = table.to_pylist()
    assert [r["epoch"] for r in rows] == [0, 1]
    assert {(r["run_id"], r["config_id"], r["seed"], r["status"]) for r in rows} == {
        ("c003__seed6", "c003", 6, "ok")
    }
    assert rows[0]["param.governance.transaction_tax_rate"] == 0.2
    assert rows[0]["param.governance.circuit_breaker_enabled"] is True
    meta = table.schema.metadata
    config = json.loads(meta[b"distsafe.config"])
    assert config["governance"]["transaction_tax_rate"] == 0.2 and config["simulation"]["seed"] == 6


def test_shard_values_equal_a_direct_run(swept):
    _, out, _ = swept
    spec = load_scenario(
        "baseline",
        [
            "simulation.n_epochs=2",
            "simulation.steps_per_epoch=3",
            "governance.transaction_tax_rate=0.2",
            "governance.circuit_breaker_enabled=false",
            "simulation.seed=5",
        ],
    )
    orch = build_orchestrator(spec)
    metrics = [m.to_dict() for m in orch.run()]
    df = load_results(out)
    run = df[df["run_id"] == "c002__seed5"]
    for m, (_, row) in zip(metrics, run.iterrows()):
        for k, v in m.items():
            assert row[k] == v or (math.isnan(v) and math.isnan(row[k])), k
    summ = load_summary(out).set_index("run_id").loc["c002__seed5"]
    assert summ["avg_toxicity"] == orch.summary()["avg_toxicity"]


def test_load_results_and_summary_shapes(swept):
    _, out, _ = swept
    df = load_results(out)
    assert len(df) == 16 and list(df["config_id"].unique()) == ["c000", "c001", "c002", "c003"]
    assert df["seed"].tolist()[:4] == [5, 5, 6, 6]
    s = load_summary(out)
    assert list(s.columns[:5]) == [
        "run_id",
        "config_id",
        "seed",
        "param.governance.transaction_tax_rate",
        "param.governance.circuit_breaker_enabled",
    ]
    assert len(s) == 8 and s["avg_toxicity"].notna().all()
    assert (out / "summary.parquet").is_file()
    assert len(pq.read_table(out / "summary.parquet")) == 8


def test_rerun_skips_finished_runs(swept):
    plan, out, _ = swept
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    rep = run_sweep(plan, out, make_executor("inline"))
    assert (rep.done, rep.failed, rep.skipped) == (0, 0, 8)
    assert {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()} == stamps


def _fails_on_c001(task: RunTask) -> RunOutcome:
    if task.config_id == "c001":
        raise_here = {}["boom"]  # noqa: F841 - a failing run
    return execute_run(task)


def _guarded(task: RunTask) -> RunOutcome:
    try:
        return _fails_on_c001(task)
    except KeyError:
        import traceback

        return RunOutcome(task.run_id, ok=False, error="KeyError: 'boom'", traceback=traceback.format_exc())


def test_failure_recorded_sweep_goes_on_and_retry(tmp_path: Path, write_spec):
    plan = make_plan(load_sweep_spec(write_spec()))
    out = tmp_path / "out"
    rep = run_sweep(plan, out, make_executor("inline"), fn=_guarded)
    assert (rep.done, rep.failed) == (6, 2)
    failed = sorted(p.name for p in (out / "failed").iterdir())
    assert failed == ["c001__seed5.json", "c001__seed6.json"]
    rec = json.loads((out / "failed" / "c001__seed5.json").read_text())
    assert rec["status"] == "failed" and "KeyError" in rec["error"] and "boom" in rec["traceback"]
    assert set(load_summary(out)["config_id"]) == {"c000", "c002", "c003"}
    # without --retry-failed the failed runs are skipped; with it they run (and now succeed)
    again = run_sweep(plan, out, make_executor("inline"))
    assert (again.done, again.skipped) == (0, 8)
    retried = run_sweep(plan, out, make_executor("inline"), retry_failed=True)
    assert (retried.done, retried.failed, retried.skipped) == (2, 0, 6)
    assert not list((out / "failed").iterdir())
    assert len(load_summary(out)) == 8


def test_execute_run_returns_a_failure_instead_of_raising():
    task = RunTask("x__seed0", "x", 0, 0, "scenario_id: x\nagents: []\n", "<bad>", (), ())
    out = execute_run(task)
    assert not out.ok and "agents" in out.error and "Traceback" in out.traceback


def test_stale_temporary_files_are_removed_on_open(swept, tmp_path):
    plan, out, _ = swept
    junk = out / "runs" / ".c000__seed5.parquet.tmp-999"
    junk.write_bytes(b"half a file")
    run_sweep(plan, out, make_executor("inline"))
    assert not junk.exists()
    assert len(load_results(out)) == 16


def test_one_line_loading_in_polars_and_duckdb(swept):
    """The one-liners of docs/experiments.md."""
    _, out, _ = swept
    pl = pytest.importorskip("polars", reason="polars is not installed (it is in the dev extra)")
    duckdb = pytest.importorskip("duckdb", reason="duckdb is not installed (it is in the dev extra)")
    df = load_results(out)
    frame = pl.read_parquet(f"{out}/runs/*.parquet")
    assert frame.shape == df.shape and set(frame.columns) == set(df.columns)
    assert pl.read_parquet(f"{out}/summary.parquet").height == 8
    rows = duckdb.sql(
        f"select config_id, avg(toxicity_rate) from '{out}/runs/*.parquet' group by 1 order by 1"
    ).fetchall()
    expect = df.groupby("config_id")["toxicity_rate"].mean()
    assert [r[0] for r in rows] == list(expect.index)
    assert [r[1] for r in rows] == pytest.approx(list(expect.values), rel=1e-12)


def test_run_folders_when_the_spec_asks(tmp_path: Path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "base: baseline\noverrides: [simulation.n_epochs=2, simulation.steps_per_epoch=3]\n"
        "run_folders: true\nparameters:\n  - {name: governance.audit_enabled, values: [true]}\n"
    )
    out = tmp_path / "out"
    rep = run_sweep(make_plan(load_sweep_spec(spec)), out, make_executor("inline"))
    assert rep.done == 1
    folder = out / "run_folders" / "c000__seed0"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["epochs"] == 2
    run = json.loads(pq.read_schema(out / "runs" / "c000__seed0.parquet").metadata[b"distsafe.run"])
    assert run["run_folder"] == str(folder)
    csv_rows = (folder / "metrics.csv").read_text().splitlines()
    assert len(csv_rows) == 3 and len(load_results(out)) == 2
