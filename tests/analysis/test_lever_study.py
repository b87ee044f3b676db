"""The lever study (`distsafe levers`): pairing by seed, the t interval, worker-count invariance, every
registry lever at its documented setting, the criterion read off the table, the CLI and its errors."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from distsafe.analysis import lever_study as ls
from distsafe.cli import main
from distsafe.governance.registry import enabled_levers, lever_names
from distsafe.scenarios import load_scenario
from distsafe.scenarios.builder import build_orchestrator

#: tiny runs: 3 epochs of 6 steps (the seed scenarios' 5 agents)
TINY = ["simulation.n_epochs=3", "simulation.steps_per_epoch=6"]


@pytest.fixture(scope="module")
def study():
    return ls.run_lever_study("baseline", seeds=3, overrides=TINY, workers=1)


def _summary(overrides, seed):
    orch = build_orchestrator(load_scenario("baseline", [*overrides, f"simulation.seed={seed}"]))
    orch.run()
    return orch.summary()


# ---- statistics ------------------------------------------------------------------------------------------
def test_t_interval_matches_scipy_on_a_known_sample():
    x = [0.12, -0.03, 0.40, 0.07, 0.21, -0.11]
    mean, lo, hi = ls.t_interval(x)
    ci = stats.ttest_1samp(x, 0.0).confidence_interval(0.95)
    assert mean == pytest.approx(np.mean(x))
    assert lo == pytest.approx(ci.low, rel=1e-12) and hi == pytest.approx(ci.high, rel=1e-12)
    # by hand: t(0.975, 5) = 2.5706, sd = 0.18294
    assert hi - mean == pytest.approx(2.570582 * np.std(x, ddof=1) / math.sqrt(6), rel=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False),
        min_size=2,
        max_size=40,
    )
)
def test_t_interval_property(x):
    mean, lo, hi = ls.t_interval(x)
    assert lo <= mean <= hi
    if np.std(x) > 1e-9 * max(1.0, max(abs(v) for v in x)):
        ci = stats.ttest_1samp(x, 0.0).confidence_interval(0.95)
        assert lo == pytest.approx(ci.low, rel=1e-9, abs=1e-9)
        assert hi == pytest.approx(ci.high, rel=1e-9, abs=1e-9)


def test_paired_change_pairs_by_position_and_drops_nan_pairs():
    c = ls.paired_change([1.0, 2.0, float("nan"), 5.0], [0.5, 1.0, 3.0, 4.0])
    assert c.n == 3 and c.mean == pytest.approx((0.5 + 1.0 + 1.0) / 3)
    same = ls.paired_change([0.3, 0.1, 0.2], [0.3, 0.1, 0.2])
    assert (same.n, same.mean, same.lo, same.hi, same.significant) == (3, 0.0, 0.0, 0.0, False)
    shift = ls.paired_change([1.0, 2.0, 3.0], [2.0, 3.0, 4.0])  # the same change at every seed
    assert (shift.mean, shift.lo, shift.hi, shift.significant, shift.below_zero) == (-1, -1, -1, True, True)
    one = ls.paired_change([1.0], [0.0])
    assert one.n == 1 and math.isnan(one.lo) and not one.significant
    with pytest.raises(ValueError):
        ls.paired_change([1.0], [1.0, 2.0])


# ---- the arms and the pairing ----------------------------------------------------------------------------
def test_every_registry_lever_is_an_arm_switched_on_alone():
    assert set(ls.LEVER_SETTINGS) == set(lever_names())
    arms = ls.lever_arms("baseline", TINY)
    assert [a.name for a in arms if a.kind == "lever"] == lever_names()
    assert [a.name for a in arms if a.kind == "scenario"] == list(ls.REFERENCE_SCENARIOS)
    for a in arms:
        spec = load_scenario(a.scenario, list(a.overrides))
        assert spec.simulation.n_epochs == 3  # the user's overrides reach every arm
        if a.kind == "lever":
            assert enabled_levers(spec.governance) == [a.name]
    assert enabled_levers(load_scenario("baseline").governance) == []


def test_documented_settings():
    g = {
        a.name: load_scenario("baseline", list(a.overrides)).governance for a in ls.lever_arms("baseline", [])
    }
    assert g["transaction_tax"].transaction_tax_rate == 0.10
    assert g["random_audit"].audit_probability == 0.25 and g["random_audit"].audit_penalty_multiplier == 2.0
    assert g["staking"].min_stake_to_participate == 25
    assert g["reputation_decay"].reputation_decay_rate == 0.85
    assert g["circuit_breaker"].freeze_threshold_toxicity == 0.5
    assert g["bandwidth_cap"].bandwidth_cap == 12
    assert g["vote_normalization"].max_vote_weight_per_agent == 5.0


def test_baseline_against_itself_is_exactly_zero(study):
    ref = next(a for a in study.arms if a.name == "baseline")
    assert ref.samples == study.base.samples
    for key in ls.METRIC_KEYS:
        c = ref.changes[key]
        assert c.n == 3 and c.mean == 0.0 and c.lo == 0.0 and c.hi == 0.0 and not c.significant


def test_changes_are_paired_by_seed(study):
    """Each lever's samples are its own runs at seeds 0..2, and the change is the per-seed difference."""
    arm = next(a for a in study.arms if a.name == "circuit_breaker")
    base = [_summary(TINY, s) for s in range(3)]
    lever = [_summary(list(arm.overrides), s) for s in range(3)]
    for key in ls.METRIC_KEYS:
        assert study.base.samples[key] == [float(b[key]) for b in base]
        assert arm.samples[key] == [float(x[key]) for x in lever]
        d = [float(x[key]) - float(b[key]) for x, b in zip(lever, base)]
        assert arm.changes[key].mean == pytest.approx(np.mean(d), abs=1e-12)
        assert arm.changes[key].lo == pytest.approx(ls.t_interval(d)[1], abs=1e-12)


def test_binding_warnings_are_reported(study):
    """With 6 steps per epoch, the bandwidth cap of 12 cannot bind, and the stake of 25 binds only after
    losses: both say so in the output, not hidden."""
    by = {a.name: a for a in study.arms}
    assert any("bandwidth_cap cannot bind" in w for w in by["bandwidth_cap"].warnings)
    assert any("staking binds only after losses" in w for w in by["staking"].warnings)
    assert by["transaction_tax"].warnings == [] and study.base.warnings == []
    text = ls.study_markdown(study)
    assert "bandwidth_cap cannot bind" in text and "staking binds only after losses" in text


# ---- the criterion ---------------------------------------------------------------------------------------
def _column(study, key):
    header, rows = ls.table_rows(study)
    label = next(lab for k, lab, _ in ls.METRICS if k == key)
    col = header.index(label)
    return {r[0]: r[col] for r in rows}


@pytest.mark.parametrize("key", ls.CRITERION_METRICS)
def test_criterion_count_matches_the_table(study, key):
    cells = _column(study, key)
    from_table = [
        name
        for name in lever_names()
        if cells[name].endswith("*") and float(cells[name].split("[")[1].split(",")[1].rstrip("]* ")) < 0
    ]
    crit = study.criterion()[key]
    assert crit["levers"] == from_table and crit["count"] == len(from_table)
    assert crit["at_least_two"] == (len(from_table) >= 2)
    verdict = "YES" if crit["at_least_two"] else "NO"
    label = next(lab for k, _, lab in ls.METRICS if k == key)
    line = next(line for line in ls.criterion_lines(study) if line.startswith(label))
    assert line.endswith(verdict) and f"{len(from_table)} of {len(lever_names())} levers" in line


def test_criterion_on_known_changes():
    """Hand-made samples: two levers lower toxicity at every seed, one raises it, the rest do nothing."""
    arms = ls.lever_arms("baseline", [])
    base = [0.30, 0.20, 0.25]
    shifts = {"transaction_tax": -0.05, "random_audit": -0.01, "staking": +0.02}
    for a in arms:
        d = shifts.get(a.name, 0.0)
        a.samples = {k: [v + d for v in base] for k in ls.METRIC_KEYS}
    for a in arms:
        a.changes = {k: ls.paired_change(a.samples[k], arms[0].samples[k]) for k in ls.METRIC_KEYS}
    st_ = ls.LeverStudy("baseline", [0, 1, 2], [], arms)
    crit = st_.criterion()["avg_toxicity"]
    assert crit["levers"] == ["transaction_tax", "random_audit"] and crit["at_least_two"]
    for a in arms:
        if a.name == "random_audit":
            a.changes = {k: ls.paired_change(base, base) for k in ls.METRIC_KEYS}
    assert (
        st_.criterion()["avg_toxicity"]["count"] == 1 and not st_.criterion()["avg_toxicity"]["at_least_two"]
    )


# ---- workers, CLI ----------------------------------------------------------------------------------------
def test_results_do_not_depend_on_the_number_of_workers():
    one = ls.run_lever_study("baseline", seeds=2, overrides=TINY, workers=1)
    two = ls.run_lever_study("baseline", seeds=2, overrides=TINY, workers=2)
    assert json.dumps(one.to_json(), sort_keys=True) == json.dumps(two.to_json(), sort_keys=True)


def test_cli_markdown_json_and_plot(tmp_path, capsys):
    out, png = tmp_path / "study.json", tmp_path / "study.png"
    args = ["levers", "--seeds", "2", "--workers", "1", "--markdown", "--json", str(out), "--plot", str(png)]
    rc = main([*args, *sum((["-o", o] for o in TINY), [])])
    assert rc == 0
    text = capsys.readouterr().out
    for name in [*lever_names(), *ls.REFERENCE_SCENARIOS]:
        assert f"| {name} |" in text
    assert "at least two levers measurably reduce toxicity" in text
    assert text.count(" -> YES") + text.count(" -> NO") == 2
    data = json.loads(out.read_text())
    assert (
        data["seeds"] == [0, 1]
        and [a["name"] for a in data["arms"]][1 : 1 + len(lever_names())] == lever_names()
    )
    assert set(data["criterion"]) == set(ls.CRITERION_METRICS)
    pytest.importorskip("matplotlib")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_table(capsys):
    assert main(["levers", "--seeds", "2", "--workers", "1", *sum((["-o", o] for o in TINY), [])]) == 0
    text = capsys.readouterr().out
    assert "Lever study on baseline" in text and "soft toxicity:" in text and "realized harm:" in text


@pytest.mark.parametrize(
    "args",
    [
        ["levers", "no_such_scenario", "--seeds", "2"],
        ["levers", "--seeds", "0"],
        ["levers", "--seeds", "1"],
        ["levers", "--seeds", "2", "--workers", "0"],
        ["levers", "--seeds", "2", "-o", "simulation.n_epochs=-1"],
    ],
)
def test_bad_input_is_one_line(args, capsys):
    assert main(args) == 2
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), captured.err
    assert captured.out == ""
