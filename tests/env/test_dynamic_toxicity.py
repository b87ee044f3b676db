"""Dynamic toxicity (env/dynamic_toxicity.py, core/parts/dynamic_toxicity.py): the three rules, their run in
the engine from a file in the reference implementation's format, and the net social welfare criterion."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.core.payoff import PayoffConfig, SoftPayoffEngine
from distsafe.env.dynamic_toxicity import choose_exits, contagion_update, drift_factor, exit_probability
from distsafe.eventlog import read_log
from distsafe.metrics.epoch import net_social_welfare
from distsafe.metrics.soft_metrics import SoftMetrics
from distsafe.models.agent import AgentType
from distsafe.scenarios.loader import ScenarioError, load_scenario, scenario_from_text
from distsafe.scenarios.runner import run_scenario, verify_log

HERE = Path(__file__).parents[1] / "scenarios" / "swarm_format"


def test_drift_values_and_floor() -> None:
    assert drift_factor(2.0, 0.0, 0.5, 0.5) == 1.0
    assert drift_factor(2.0, 0.6, 0.5, 0.5) == pytest.approx(0.7)  # 1 - 0.5 * 0.6
    assert drift_factor(2.0, 10.0, 0.5, 0.5) == pytest.approx(0.25)  # floor: 0.5 / 2


@settings(max_examples=100, deadline=None)
@given(
    k0=st.floats(0.1, 10),
    c1=st.floats(0, 20),
    dc=st.floats(0, 5),
    alpha=st.floats(0, 3),
    floor=st.floats(0.01, 5),
)
def test_drift_never_sharpens_and_never_passes_the_floor(
    k0: float, c1: float, dc: float, alpha: float, floor: float
) -> None:
    f1, f2 = drift_factor(k0, c1, alpha, floor), drift_factor(k0, c1 + dc, alpha, floor)
    assert f2 <= f1 + 1e-12
    assert k0 * f2 >= min(floor, k0) - 1e-9 or k0 * f2 >= floor - 1e-9


def test_exit_probability_values() -> None:
    assert exit_probability([], 0.3, 0.5) == 0.0
    assert exit_probability([0.2, 0.3], 0.3, 0.5) == 0.0  # mean 0.25, below
    assert exit_probability([0.5, 0.7], 0.3, 0.5) == pytest.approx(0.15)  # 0.5 * (0.6 - 0.3)
    assert exit_probability([1.0], 0.0, 5.0) == 1.0  # capped


@settings(max_examples=100, deadline=None)
@given(n=st.integers(0, 40), prob=st.floats(0, 1), keep=st.integers(0, 45), seed=st.integers(0, 2**32 - 1))
def test_exits_are_candidates_in_order_and_keep_the_minimum(
    n: int, prob: float, keep: int, seed: int
) -> None:
    cand = np.arange(100, 100 + n)
    gone = choose_exits(cand, prob, keep, np.random.default_rng(seed))
    assert set(gone.tolist()) <= set(cand.tolist())
    assert np.all(np.diff(gone) > 0)
    assert n - gone.size >= min(keep, n)
    if prob == 0:
        assert gone.size == 0
    if prob == 1:
        assert gone.size == max(0, n - keep)


def test_contagion_values() -> None:
    bias = np.array([0.0, 0.1, 0.45, -0.2])
    parties = np.array([[0, 0, 2], [1, 2, 1]])  # interactions 0-1 (p 0.9), 0-2 (p 0.1), 2-1 (p 0.9)
    p = np.array([0.9, 0.1, 0.9])
    new = contagion_update(bias, parties, p, 0.5, 0.5)
    # agent 0 met p 0.9, 0.1 (mean 0.5): no move; agent 1: 0.9, 0.9 -> +0.2; agent 2: 0.1, 0.9 -> 0;
    # agent 3: none
    assert new.tolist() == pytest.approx([0.0, 0.3, 0.45, -0.2])
    assert bias.tolist() == [0.0, 0.1, 0.45, -0.2]  # a new array
    assert contagion_update(np.array([0.45]), np.array([[0], [0]]), np.array([1.0]), 1.0, 0.0)[0] == 0.5


@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(1, 30),
    gamma=st.floats(0, 2),
    neutral=st.floats(0, 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_contagion_bias_stays_in_bounds(m: int, gamma: float, neutral: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    bias = rng.uniform(-0.5, 0.5, 8)
    new = contagion_update(bias, rng.integers(0, 8, (2, m)), rng.uniform(0, 1, m), gamma, neutral)
    assert np.all(np.abs(new) <= 0.5 + 1e-12)


def test_net_social_welfare_formula() -> None:
    soft = SoftMetrics(payoff_engine=SoftPayoffEngine(PayoffConfig(s_plus=2.0, s_minus=1.0, h=2.0)))
    batch = SimpleNamespace(p=np.array([0.8, 0.3, 0.5]), accepted=np.array([True, True, False]))
    # 0.8 * 2 - 0.2 * 3 = 1.0 ; 0.3 * 2 - 0.7 * 3 = -1.5 ; the third is not accepted
    assert net_social_welfare(soft, batch) == pytest.approx(-0.5)  # type: ignore[arg-type]
    none = SimpleNamespace(p=np.array([0.8]), accepted=np.array([False]))
    assert net_social_welfare(soft, none) == 0.0  # type: ignore[arg-type]


def test_reference_file_runs_all_three_mechanisms_and_replays(tmp_path: Path) -> None:
    spec = load_scenario(HERE / "dynamic_toxicity.yaml")
    result = run_scenario(spec, tmp_path / "run")
    orch = result.orchestrator
    ms = [m.to_dict() for m in result.metrics]
    # proxy drift: the sharpness only falls, and the proxy in force is the drifted one
    ks = [m["dt_sigmoid_k"] for m in ms]
    assert (
        all(b <= a for a, b in zip(ks, ks[1:], strict=False)) and ks[-1] < orch.config.proxy_config.sigmoid_k
    )
    # trust erosion: honest agents left (frozen for good), never below min_honest
    honest = orch.agents.type_code == AgentType.HONEST.code
    gone = int(np.count_nonzero(honest & (orch.agents.frozen_until > 10**6)))
    assert gone == int(ms[-1]["dt_honest_exits"]) and gone > 0
    assert int(np.count_nonzero(honest)) - gone >= 2
    # quality contagion: biases moved (neutral 0.9 is above what they meet: downward)
    assert ms[-1]["dt_bias_mean"] < 0
    events = [e for e in read_log(next((tmp_path / "run").glob("events.*"))).events]
    kinds = {e.payload.get("mechanism") for e in events if e.event_type.value == "dynamic_toxicity"}
    assert kinds == {"proxy_drift", "trust_erosion", "quality_contagion"}
    # the criterion and its metric, tracked because the criterion is set
    assert "net_social_welfare" in ms[0]
    crit = {name: ok for name, ok, _ in result.criteria}
    assert crit["min_net_social_welfare"] is True
    assert verify_log(next((tmp_path / "run").glob("events.*"))).ok
    again = run_scenario(load_scenario(HERE / "dynamic_toxicity.yaml"))
    assert json.dumps([m.to_json_dict() for m in again.metrics]) == json.dumps(
        [m.to_json_dict() for m in result.metrics]
    )


def test_criterion_fails_when_the_bound_is_not_met() -> None:
    spec = load_scenario(HERE / "dynamic_toxicity.yaml", ["success_criteria.min_net_social_welfare=1000000"])
    crit = {name: (ok, detail) for name, ok, detail in run_scenario(spec).criteria}
    assert crit["min_net_social_welfare"][0] is False and ">= 1e+06" in crit["min_net_social_welfare"][1]


@pytest.mark.parametrize(
    "block, fragment",
    [
        ("  enabled: [proxy_drift, telepathy]\n", "dynamic_toxicity.enabled"),
        ("  enabled: [proxy_drift]\n  proxy_drift:\n    alpha: -1\n", "dynamic_toxicity.proxy_drift.alpha"),
        (
            "  enabled: [trust_erosion]\n  trust_erosion:\n    window: 0\n",
            "dynamic_toxicity.trust_erosion.window",
        ),
        ("  enabled: [quality_contagion]\n  quality_contagion:\n    gama: 1\n", "quality_contagion.gama"),
    ],
)
def test_bad_blocks_are_one_line_errors(block: str, fragment: str) -> None:
    with pytest.raises(ScenarioError, match=fragment.replace(".", r"\.")) as e:
        scenario_from_text(
            f"scenario_id: t\nagents:\n  - type: honest\n    count: 2\ndynamic_toxicity:\n{block}"
        )
    assert "\n" not in str(e.value)


def test_off_by_default() -> None:
    result = run_scenario(load_scenario("baseline", ["simulation.n_epochs=1"]))
    assert "dt_sigmoid_k" not in result.metrics[0].to_dict()
    assert result.orchestrator.config.dynamic_toxicity_config is None
