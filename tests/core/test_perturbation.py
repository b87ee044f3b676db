"""The reference's perturbations (core.perturbation, core.parts.perturbations): the section's validation, the
vectorized draws, and runs from a reference-format file (tests/scenarios/swarm_format/perturbations.yaml)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.cli import main
from distsafe.core.perturbation import AgentDropoutConfig, PerturbationConfig, dropout_step, partition_cut
from distsafe.scenarios.loader import ScenarioError, load_scenario, scenario_from_text
from distsafe.scenarios.runner import run_scenario

FILE = Path(__file__).parents[1] / "scenarios" / "swarm_format" / "perturbations.yaml"


def _events(path: Path) -> list[dict]:
    return [json.loads(ln) for ln in path.read_text().splitlines() if '"perturbation"' in ln]


def test_dropout_step_ticks_then_rolls() -> None:
    cfg = AgentDropoutConfig(
        enabled=True, probability_per_step=1.0, min_duration_steps=2, max_duration_steps=2
    )
    remaining = np.array([0, 1, 3, 0])
    cand = np.array([True, True, True, False])
    new = dropout_step(remaining, cand, cfg, np.random.default_rng(0))
    # row 1's last step has passed (it may drop again at once, as in the reference), row 2 has 2 left,
    # row 3 is exempt
    assert new.tolist() == [0, 1]
    assert remaining.tolist() == [2, 2, 2, 0]


@settings(max_examples=60, deadline=None)
@given(
    p=st.floats(0.0, 1.0),
    lo=st.integers(1, 4),
    extra=st.integers(0, 3),
    n=st.integers(1, 40),
    seed=st.integers(0, 2**32 - 1),
)
def test_dropout_durations_in_bounds_and_exempt_never_out(
    p: float, lo: int, extra: int, n: int, seed: int
) -> None:
    cfg = AgentDropoutConfig(
        enabled=True, probability_per_step=p, min_duration_steps=lo, max_duration_steps=lo + extra
    )
    rng = np.random.default_rng(seed)
    cand = rng.random(n) < 0.6
    remaining = np.zeros(n, dtype=np.int64)
    for _ in range(8):
        before = remaining.copy()
        new = dropout_step(remaining, cand, cfg, rng)
        assert np.all(remaining >= 0)
        assert not np.any(remaining[~cand])
        assert np.all((remaining[new] >= lo) & (remaining[new] <= lo + extra))
        kept = np.setdiff1d(np.flatnonzero(before > 1), new)
        assert np.array_equal(remaining[kept], before[kept] - 1)
    if p == 0.0:
        assert not remaining.any()


def test_partition_modes() -> None:
    u, v = np.array([0, 0, 1, 2]), np.array([1, 2, 3, 3])
    isolated = np.array([False, False, False, True])
    assert partition_cut("isolate_type", u, v, 4, isolated, np.random.default_rng(0)).tolist() == [
        False, False, True, True,
    ]  # fmt: skip
    cut = partition_cut("bisect", u, v, 4, None, np.random.default_rng(1))
    assert cut.dtype == bool and cut.shape == (4,)
    frag = partition_cut(
        "random_fragment", np.zeros(4000, int), np.ones(4000, int), 2, None, np.random.default_rng(2)
    )
    assert 0.45 < frag.mean() < 0.55


@pytest.mark.parametrize(
    ("block", "needle"),
    [
        ("agent_dropout: {enabled: true, probability_per_step: 1.5}", "probability_per_step"),
        (
            "agent_dropout: {enabled: true, min_duration_steps: 3, max_duration_steps: 2}",
            "max_duration_steps",
        ),
        ("agent_dropout: {enabled: true, exempt_types: [hero]}", "unknown agent type 'hero'"),
        ("network_partition: {enabled: true, at_epoch: 1, mode: isolate_type}", "needs isolate_type"),
        ("network_partition: {enabled: true, mode: bisect}", "at_epoch is required"),
        ("network_partition: {enabled: true, at_epoch: 1, mode: split}", "mode"),
        (
            "parameter_shocks: {enabled: true, shocks: [{at_epoch: 1, params: {audit_probabilty: 0.2}}]}",
            "'audit_probabilty' is not a governance setting",
        ),
        (
            "parameter_shocks: {enabled: true, shocks: [{at_epoch: 1, params: {audit_probability: 3.0}}]}",
            "audit_probability",
        ),
        (
            "parameter_shocks: {enabled: true, shocks: [{trigger: condition, when: toxicity_rate > 0.5}]}",
            "condition-triggered perturbations is not in distsafe",
        ),
        ("signal_corruption: {enabled: true, mode: scramble}", "mode"),
        ("signal_corruption: {enabled: true, targets: [vibes]}", "unknown observable 'vibes'"),
        ("resource_shock: {enabled: true}", "resource_shock: resource shocks is not in distsafe"),
        (
            "network_partition: {enabled: true, trigger: condition, at_epoch: 2}",
            "condition-triggered perturbations",
        ),
        ("seed: .nan", "seed"),
    ],
)
def test_bad_values_rejected_with_one_line(block: str, needle: str) -> None:
    text = f"scenario_id: t\nagents:\n  - type: honest\n    count: 2\nperturbations:\n  {block}\n"
    with pytest.raises(ScenarioError) as e:
        scenario_from_text(text)
    msg = str(e.value)
    assert "\n" not in msg and needle in msg and "perturbations" in msg


def test_off_by_default_and_signal_corruption_only_builds_nothing() -> None:
    assert not PerturbationConfig().active
    spec = scenario_from_text(
        "scenario_id: t\nagents:\n  - type: honest\n    count: 2\n"
        "simulation: {n_epochs: 1, steps_per_epoch: 2}\n"
        "perturbations:\n  signal_corruption: {enabled: true, mode: invert, targets: [engagement_delta]}\n"
    )
    assert any(n.startswith("perturbations.signal_corruption (ignored") for n in spec.no_op_fields)
    result = run_scenario(spec)
    with pytest.raises(KeyError):
        result.orchestrator.get_component("perturbations")


def test_reference_file_runs_and_each_perturbation_acts(tmp_path: Path) -> None:
    spec = load_scenario(FILE)
    assert spec.ignored_fields == []
    result = run_scenario(spec, tmp_path / "run")
    orch = result.orchestrator
    comp = orch.get_component("perturbations")
    s = comp.summary()
    assert s["shocks_applied"] == 1 and s["shocks_reverted"] == 1
    assert s["edges_cut"] > 0 and s["edges_restored"] == s["edges_cut"] and not s["partition_active"]
    assert s["dropouts"] > 0
    # the shock is over: governance has the scenario's settings back
    gov = orch.engine_state.governance.config
    assert gov.audit_probability == 0.1 and gov.security_min_interactions == 6
    ev = _events(tmp_path / "run" / "events.jsonl")
    kinds = [(e["epoch"], e["data"]["kind"]) for e in ev if e["data"]["kind"] != "agent_dropout"]
    assert kinds == [
        (1, "parameter_shock"),
        (2, "network_partition"),
        (3, "shock_reverted"),
        (4, "network_healed"),
    ]
    shock = next(e for e in ev if e["data"]["kind"] == "parameter_shock")["data"]
    assert shock["was"] == {"audit_probability": 0.1, "security_quarantine_threshold": 0.85,
                            "security_min_interactions": 6, "rbac_violation_penalty": 0.5,
                            "rbac_high_stakes_penalty_multiplier": 2.0}  # fmt: skip
    # honest agents are exempt from dropout; dropped agents do not act while out
    ids = [a for e in ev if e["data"]["kind"] == "agent_dropout" for a in e["data"]["agents"]]
    assert ids and not any(a.startswith("citizen") for a in ids)
    rows = list(csv.DictReader((tmp_path / "run" / "metrics.csv").open()))
    assert [r["perturb_partition_active"] for r in rows] == ["0.0", "0.0", "1.0", "1.0", "0.0"]
    assert [r["perturb_shocks_active"] for r in rows] == ["0.0", "1.0", "1.0", "0.0", "0.0"]
    assert sum(float(r["perturb_new_dropouts"]) for r in rows) == s["dropouts"]
    # the replay re-runs the log to the same hashes
    assert main(["replay", str(tmp_path / "run" / "events.jsonl"), "--verify"]) in (0, None)


def test_own_seed_fixes_the_perturbation_draws(tmp_path: Path) -> None:
    """With `perturbations.seed`, the dropouts do not depend on the run's seed (the reference's own
    random.Random(seed)): the same dropouts under two run seeds."""

    def dropouts(run_seed: int) -> list[tuple[list[str], list[int]]]:
        spec = load_scenario(FILE, overrides=[f"simulation.seed={run_seed}", "simulation.n_epochs=1"])
        out = tmp_path / f"r{run_seed}"
        run_scenario(spec, out)
        return [
            (e["data"]["agents"], e["data"]["steps"])
            for e in _events(out / "events.jsonl")
            if e["data"]["kind"] == "agent_dropout"
        ]

    first = dropouts(3)
    assert first and first == dropouts(4)


def test_an_agent_out_does_not_act() -> None:
    """Everyone out for every step (probability 1, one step, nobody exempt): nobody acts."""
    base = (
        "scenario_id: t\nagents:\n  - type: honest\n    count: 3\n  - type: opportunistic\n    count: 3\n"
        "simulation: {n_epochs: 2, steps_per_epoch: 4, seed: 5}\n"
    )
    off = run_scenario(scenario_from_text(base))
    assert sum(m.n_interactions for m in off.metrics) > 0
    on = run_scenario(
        scenario_from_text(
            base + "perturbations:\n  agent_dropout: {enabled: true, probability_per_step: 1.0, "
            "min_duration_steps: 1, max_duration_steps: 1}\n"
        )
    )
    assert sum(m.n_interactions for m in on.metrics) == 0
    assert on.orchestrator.get_component("perturbations").summary()["dropped_agent_steps"] == 2 * 4 * 6
