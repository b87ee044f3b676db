"""`distsafe sweep report` (tables, Markdown, plot), seed 001's API from distsafe.analysis, the example."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sweep_helpers import SRC, child_env

from distsafe.cli import main
from distsafe.experiments import load_sweep_spec, make_executor, make_plan, run_sweep
from distsafe.experiments.report import summarize
from distsafe.experiments.stats import holm

ROOT = Path(SRC).parent


@pytest.fixture(scope="module")
def folder(tmp_path_factory, tiny_grid):
    root = tmp_path_factory.mktemp("rep")
    (root / "spec.yaml").write_text(tiny_grid)
    run_sweep(make_plan(load_sweep_spec(root / "spec.yaml")), root / "out", make_executor("inline"))
    return root / "out"


def test_report_markdown_and_plot(folder, tmp_path, capsys):
    png = tmp_path / "sweep.png"
    assert main(["sweep", "report", str(folder), "--markdown", "--baseline", "c001", "--plot", str(png)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Sweep tiny (grid design, 4 configurations, seeds 5..6)")
    assert "Change vs c001, paired by seed" in text
    assert "| c000 |" in text and "| c001 |" in text
    assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"


def test_report_numbers(folder):
    s = summarize(folder, "c000")
    from distsafe.experiments import load_summary

    df = load_summary(folder)
    tox = df.set_index(["config_id", "seed"])["avg_toxicity"]
    r = s.row("c002")
    assert r.stats["avg_toxicity"].mean == pytest.approx((tox["c002", 5] + tox["c002", 6]) / 2)
    comps = [s.row(c).vs_base["welfare_money_per_epoch"] for c in ("c001", "c002", "c003")]
    assert [c.n for c in comps] == [2, 2, 2]
    assert [c.p_holm for c in comps] == pytest.approx(holm([c.p for c in comps]), nan_ok=True)
    d = df.set_index(["config_id", "seed"])["welfare_money_per_epoch"]
    assert comps[1].diff == pytest.approx(((d["c002", 5] - d["c000", 5]) + (d["c002", 6] - d["c000", 6])) / 2)


def test_report_errors_are_one_line(folder, tmp_path, capsys):
    assert main(["sweep", "report", str(folder), "--baseline", "nope"]) == 2
    assert "--baseline nope: no finished configuration" in capsys.readouterr().err
    assert main(["sweep", "report", str(tmp_path)]) == 2
    assert "not a sweep folder" in capsys.readouterr().err


def test_seed_api_from_analysis(tmp_path):
    from distsafe.analysis import SweepConfig, SweepParameter, SweepRunner
    from distsafe.scenarios import load_scenario

    scenario = load_scenario("baseline", ["simulation.n_epochs=2", "simulation.steps_per_epoch=3"])
    config = SweepConfig(
        base_scenario=scenario,
        parameters=[
            SweepParameter(name="governance.transaction_tax_rate", values=[0.0, 0.1]),
            SweepParameter(name="n_epochs", values=[2, 3]),
        ],
        runs_per_config=2,
        seed_base=42,
    )
    assert config.total_runs() == 8
    runner = SweepRunner(config)
    results = runner.run()
    assert len(results) == 8 and not runner.failures
    assert [r.seed for r in results[:2]] == [42, 43] and results[0].params == {
        "governance.transaction_tax_rate": 0.0,
        "n_epochs": 2,
    }
    assert [r.summary["epochs"] for r in results] == [2, 2, 3, 3, 2, 2, 3, 3]
    csv = runner.to_csv(tmp_path / "r.csv").read_text().splitlines()
    assert csv[0].startswith("governance.transaction_tax_rate,n_epochs,config_id,run_index,seed,")
    assert len(csv) == 9
    summary = runner.summary()
    assert [row["n_runs"] for row in summary] == [2, 2, 2, 2]
    assert summary[0]["avg_toxicity_mean"] == pytest.approx(
        (results[0].summary["avg_toxicity"] + results[1].summary["avg_toxicity"]) / 2
    )
    with pytest.raises(ValueError, match="at least one value"):
        SweepParameter("governance.transaction_tax_rate", [])


def test_example_parameter_sweep_runs(tmp_path):
    out = tmp_path / "my_results.csv"
    r = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "parameter_sweep.py"), "--output", str(out), "--epochs", "1",
         "--runs", "1"], capture_output=True, text=True, env=child_env(), cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "8 runs ->" in r.stdout
    lines = out.read_text().splitlines()
    assert len(lines) == 9 and lines[0].startswith(
        "governance.transaction_tax_rate,governance.circuit_breaker"
    )
