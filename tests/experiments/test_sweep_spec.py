"""Sweep specs: bad ones get one line (file, line, field), exit 2, and nothing written; good ones plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from distsafe.cli import main
from distsafe.experiments import load_sweep_spec, make_plan
from distsafe.scenarios.loader import ScenarioError

HEAD = "base: baseline\noverrides: [simulation.n_epochs=2, simulation.steps_per_epoch=3]\n"

BAD = [
    # (spec text, the line the error must name, words it must contain)
    (
        HEAD + "parameters:\n  - name: governance.no_such_lever\n    values: [1, 2]\n",
        4,
        "unknown dotted path",
    ),
    (HEAD + "parameters:\n  - name: nosection.x\n    values: [1]\n", 4, "unknown dotted path"),
    (HEAD + "parameters:\n  - name: governance.transaction_tax_rate\n    values: []\n", 4, "values is empty"),
    (
        HEAD + "design: lhs\nsamples: 4\nparameters:\n  - name: governance.audit_probability\n"
        "    range: [0.5, 0.5]\n",
        6,
        "range [0.5, 0.5] is empty",
    ),
    (
        HEAD + "parameters:\n  - name: governance.transaction_tax_rate\n    values: [0.1, high]\n",
        5,
        "'high' is not a number",
    ),
    (
        HEAD + "parameters:\n  - name: governance.circuit_breaker_enabled\n    values: [true, 0.5]\n",
        5,
        "is not true/false",
    ),
    (
        HEAD + "design: sobol\nsamples: 4\nparameters:\n  - name: governance.audit_probability\n"
        "    range: [0.0, low]\n",
        7,
        "parameters.0.range.1",
    ),
    (
        HEAD + "parameters:\n  - name: governance.transaction_tax_rate\n    values: [2.0]\n",
        4,
        "less than or equal",
    ),
    (
        HEAD + "design: configs\nconfigs:\n  - name: a\n    set: {governance.nope: 1}\n",
        6,
        "unknown dotted path",
    ),
    ("base: no_such_scenario\nparameters:\n  - {name: governance.bandwidth_cap, values: [1]}\n", 1, "base"),
    (
        HEAD + "parameters:\n  - name: governance.bandwidth_cap\n    values: [1]\nbogus: 1\n",
        6,
        "unknown field",
    ),
    (HEAD + "parameters: [\n", 4, "malformed YAML"),
    (
        HEAD + "design: random\nparameters:\n  - {name: governance.bandwidth_cap, values: [1]}\n",
        3,
        "needs samples",
    ),
]


@pytest.mark.parametrize(("text", "line", "words"), BAD)
def test_bad_spec_one_line_exit_2_nothing_written(tmp_path: Path, capsys, text: str, line: int, words: str):
    spec = tmp_path / "bad.yaml"
    spec.write_text(text)
    out = tmp_path / "out"
    rc = main(["sweep", str(spec), "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"error: {spec}:{line}:"), err
    assert words in err, err
    assert "Traceback" not in err
    assert not out.exists()


def test_existing_folder_of_another_sweep_refused(tmp_path: Path, capsys, write_spec):
    spec = write_spec()
    out = tmp_path / "out"
    out.mkdir()
    (out / "sweep.yaml").write_text("base: status_game\n")
    before = sorted(p.name for p in out.iterdir())
    assert main(["sweep", str(spec), "--out", str(out)]) == 2
    assert "holds another sweep" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == before


def test_grid_plan(write_spec):
    plan = make_plan(load_sweep_spec(write_spec()))
    assert [p.config_id for p in plan.points] == ["c000", "c001", "c002", "c003"]
    # the first parameter varies slowest
    assert [tuple(p.values.values()) for p in plan.points] == [
        (0.0, False),
        (0.0, True),
        (0.2, False),
        (0.2, True),
    ]
    assert plan.seeds == [5, 6]
    assert plan.param_types == {
        "governance.transaction_tax_rate": "float64",
        "governance.circuit_breaker_enabled": "bool",
    }
    tasks = plan.tasks()
    assert len(tasks) == 8 and len({t.run_id for t in tasks}) == 8
    assert tasks[3].overrides[-2:] == (
        "governance.transaction_tax_rate=0.0",
        "governance.circuit_breaker_enabled=true",
    )


def test_int_value_of_float_setting_resolves_to_float(write_spec):
    text = HEAD + "parameters:\n  - {name: governance.transaction_tax_rate, values: [0, 1]}\n"
    plan = make_plan(load_sweep_spec(write_spec(text)))
    assert [p.resolved["governance.transaction_tax_rate"] for p in plan.points] == [0.0, 1.0]
    assert all(isinstance(p.resolved["governance.transaction_tax_rate"], float) for p in plan.points)
    assert plan.param_types["governance.transaction_tax_rate"] == "float64"


def test_shipped_governance_sweep_plans():
    root = Path(__file__).resolve().parents[2]
    plan = make_plan(load_sweep_spec(root / "scenarios" / "sweeps" / "governance_12.yaml"))
    ids = [p.config_id for p in plan.points]
    assert ids[0] == "baseline" and ids[-1] == "combined_high_adversarial" and len(ids) == 12
    assert ids[4] == "transparency_ledger"  # the seed's 5th configuration
    assert plan.seeds == list(range(10))
    hi = plan.points[-1].resolved
    assert (hi["agents.0.count"], hi["agents.1.count"], hi["agents.2.count"]) == (1, 1, 3)
    assert hi["governance.circuit_breaker_enabled"] is True and hi["agents.0.role"] == "moderator"
    assert hi["governance.transparency_enabled"] is True
    assert plan.points[0].resolved["governance.bandwidth_cap"] is None


def test_spec_error_is_scenario_error_in_python(write_spec):
    with pytest.raises(ScenarioError, match=r"spec.yaml:\d+: parameters.0"):
        make_plan(
            load_sweep_spec(write_spec(HEAD + "parameters:\n  - {name: governance.zzz, values: [1]}\n"))
        )
