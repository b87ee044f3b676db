"""Contract markets (env/contracts.py, core/parts/contracts.py, scenarios/contract_criteria.py): signing,
routing and terms, beliefs, the screening metrics, a run from a file in the reference's format, its
criteria, and bad blocks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.cli import main
from distsafe.env.contracts import (
    DEFAULT,
    FAIR,
    TRUTHFUL,
    ContractsConfig,
    choose_pools,
    contract_terms,
    preferences,
    route,
    screening_metrics,
    signing_costs,
    update_beliefs,
    utilities,
)
from distsafe.eventlog import read_log
from distsafe.models.agent import AgentType
from distsafe.scenarios.loader import ScenarioError, load_scenario, scenario_from_text
from distsafe.scenarios.runner import run_scenario, verify_log

HERE = Path(__file__).parents[1] / "scenarios" / "swarm_format"
H, OP, D, A, M = (
    AgentType.HONEST.code,
    AgentType.OPPORTUNISTIC.code,
    AgentType.DECEPTIVE.code,
    AgentType.ADVERSARIAL.code,
    AgentType.MODERATOR.code,
)


def test_preferences_by_type_and_the_default_for_others() -> None:
    cfg = ContractsConfig.model_validate({"market": {"adversarial_truthful_preference": 0.05}})
    pref = preferences(np.array([H, OP, D, A, M]), cfg.market)
    assert pref.tolist() == [[0.8, 0.6], [0.3, 0.4], [0.05, 0.15], [0.05, 0.15], [0.3, 0.3]]


def test_signing_costs_bond_with_floor_and_flat_fee() -> None:
    cfg = ContractsConfig.model_validate({"fair_division": {"entry_fee": 5.0}})
    cost = signing_costs(np.array([100.0, 4.0]), cfg)
    assert cost.tolist() == [[5.0, 5.0], [0.5, 5.0]]  # 0.05 * 100; floor 0.5 over 0.05 * 4


def test_utilities_charge_switching_away_from_the_last_pool() -> None:
    u = utilities(
        np.array([[0.8, 0.6]] * 3), np.array([0.5, 0.5, 0.5]), np.full(3, 100.0),
        np.array([[5.0, 2.0]] * 3), np.array([-1, TRUTHFUL, DEFAULT]), 0.5,
    )  # fmt: skip
    # 0.8*0.5*100 - 5 = 35; 0.6*0.5*100 - 2 = 28; switching adds half the cost
    assert u.tolist() == [[35.0, 28.0], [35.0, 27.0], [32.5, 27.0]]


def test_choice_signs_the_best_affordable_positive_contract() -> None:
    cfg = ContractsConfig.model_validate(
        {"market": {"adversarial_truthful_preference": 0.0, "adversarial_fair_preference": 0.0}}
    )
    types = np.array([H, A, H, OP])
    resources = np.array([100.0, 100.0, 1.0, 100.0])
    pool, paid, u = choose_pools(
        types, resources, np.full(4, -1), np.full(3, 0.5), cfg, np.random.default_rng(0)
    )
    assert pool[0] == TRUTHFUL and paid[0] == 5.0  # 35 against 28 (noise 10% of it cannot swap them)
    assert pool[1] == DEFAULT and paid[1] == 0.0  # no preference: utility -cost < 0
    assert pool[2] == DEFAULT and np.isinf(u[2, 1])  # cannot afford the 2.0 entry fee
    assert pool[3] == FAIR  # 0.4 * 50 - 2 = 18 against 0.3 * 50 - 5 = 10


def test_without_switching_an_agent_keeps_its_first_pool() -> None:
    cfg = ContractsConfig.model_validate({"market": {"allow_switching": False}})
    prev = np.array([DEFAULT, FAIR, -1])
    pool, paid, _ = choose_pools(np.array([H, H, H]), np.full(3, 100.0), prev, np.full(3, 0.5), cfg,
                                 np.random.default_rng(1))  # fmt: skip
    assert pool.tolist() == [DEFAULT, FAIR, TRUTHFUL] and paid.tolist() == [0.0, 0.0, 5.0]


def test_routing_shared_pool_else_default() -> None:
    pool_of = np.array([TRUTHFUL, TRUTHFUL, FAIR, DEFAULT], dtype=np.int8)
    got = route(pool_of, np.array([0, 0, 2, 3]), np.array([1, 2, 2, 3]))
    assert got.tolist() == [TRUTHFUL, DEFAULT, FAIR, DEFAULT]


def test_terms_of_each_pool() -> None:
    cfg = ContractsConfig.model_validate(
        {
            "truthful_auction": {
                "audit_probability": 1.0,
                "audit_threshold_p": 0.4,
                "penalty_multiplier": 3.0,
            },
            "fair_division": {"redistribution_rate": 0.3, "fairness_bonus": 0.08},
            "default_market": {"friction_premium": 0.02},
        }
    )
    pool = np.array([TRUTHFUL, TRUTHFUL, FAIR, DEFAULT], dtype=np.int8)
    t = contract_terms(pool, np.array([0.1, 0.9, 0.5, 0.5]), cfg, np.random.default_rng(0))
    assert t.tau_factor.tolist() == [1.0, 1.0, 0.7, 1.0]
    assert t.penalty == pytest.approx([0.9, 0.0, 0.0, 0.0])  # (0.4 - 0.1) * 3; p 0.9 is above the threshold
    assert t.cost == pytest.approx([0.9, 0.0, 0.0, 0.02])
    assert t.rep_a == pytest.approx([0.1, 0.1, 0.08, 0.0]) and t.rep_b == pytest.approx([0, 0, 0.08, 0])
    assert t.audited.tolist() == [True, True, False, False]
    never = contract_terms(pool, np.zeros(4), ContractsConfig.model_validate(
        {"truthful_auction": {"audit_probability": 0.0}}), np.random.default_rng(0))  # fmt: skip
    assert not never.audited.any() and never.penalty.sum() == 0.0


@settings(max_examples=100, deadline=None)
@given(
    belief=st.lists(st.floats(0, 1), min_size=3, max_size=3),
    mean=st.lists(st.floats(0, 1), min_size=3, max_size=3),
    count=st.lists(st.integers(0, 5), min_size=3, max_size=3),
    rate=st.floats(0, 1),
)
def test_beliefs_move_toward_the_pool_mean_by_the_rate(
    belief: list[float], mean: list[float], count: list[int], rate: float
) -> None:
    b, m, c = np.array(belief), np.array(mean), np.array(count, dtype=float)
    new = update_beliefs(b, m * c, c, rate)
    for i in range(3):
        if c[i] == 0:
            assert new[i] == b[i]
        else:
            assert new[i] == pytest.approx(rate * m[i] + (1 - rate) * b[i])
            assert min(b[i], m[i]) - 1e-12 <= new[i] <= max(b[i], m[i]) + 1e-12


def test_screening_metrics_values() -> None:
    pool_of = np.array([TRUTHFUL, FAIR, DEFAULT, FAIR, DEFAULT, DEFAULT])
    types = np.array([H, H, H, D, A, OP])
    m = screening_metrics(pool_of, types, np.array([6.0, 2.0, 3.0]), np.array([3.0, 0.0, 2.0]),
                          np.array([1.0, 0.0, 3.0]))  # fmt: skip
    assert m["separation_quality"] == pytest.approx(2 / 3 - 1 / 3)
    assert m["infiltration_rate"] == pytest.approx(0.5)
    # governed pools' mean welfare (2.0 and, empty, 0.0) averaged, minus the default's 1.5
    assert m["welfare_delta"] == pytest.approx(1.0 - 1.5)
    assert m["attack_displacement"] == pytest.approx(0.75)
    empty = screening_metrics(np.array([DEFAULT]), np.array([OP]), np.zeros(3), np.zeros(3), np.zeros(3))
    assert empty["separation_quality"] == 0.0 and empty["infiltration_rate"] == 0.0
    assert empty["attack_displacement"] == 0.0


@settings(max_examples=100, deadline=None)
@given(
    pools=st.lists(st.integers(0, 2), min_size=1, max_size=30),
    types=st.lists(st.sampled_from([H, OP, D, A, M]), min_size=30, max_size=30),
    attacks=st.lists(st.integers(0, 9), min_size=3, max_size=3),
)
def test_screening_metrics_stay_in_range(pools: list[int], types: list[int], attacks: list[int]) -> None:
    n = len(pools)
    m = screening_metrics(
        np.array(pools), np.array(types[:n]), np.ones(3), np.ones(3), np.array(attacks, float)
    )
    assert -1.0 <= m["separation_quality"] <= 1.0
    assert 0.0 <= m["infiltration_rate"] <= 1.0 and 0.0 <= m["attack_displacement"] <= 1.0


def test_reference_file_runs_screens_and_replays(tmp_path: Path) -> None:
    spec = load_scenario(HERE / "contracts.yaml")
    assert spec.ignored_fields == [] and spec.contracts is not None
    assert spec.contracts.default_market.friction_premium == 0.03
    result = run_scenario(spec, tmp_path / "run")
    ms = [m.to_dict() for m in result.metrics]
    # every honest agent signs (the truthful auction), the deceptive and adversarial (no preference) never
    for m in ms:
        assert m["contract_separation_quality"] == 1.0 and m["contract_infiltration_rate"] == 0.0
        assert m["contract_truthful_agents"] + m["contract_fair_agents"] + m["contract_default_agents"] == 8
        assert m["contract_default_agents"] >= 2
    assert sum(m["contract_audits"] for m in ms) > 0
    crit = {name: ok for name, ok, _ in result.criteria}
    assert crit == {
        "min_epochs": True, "min_separation_quality": True, "max_infiltration_rate": True,
        "min_welfare_delta": True, "min_attack_displacement": True,
    }  # fmt: skip
    comp = result.orchestrator.get_component("contracts")
    assert comp.summary()["signed"] >= 3 * 4
    events = read_log(next((tmp_path / "run").glob("events.*"))).events
    signing = [e for e in events if e.event_type.value == "contract_signing"]
    assert len(signing) == 3 and signing[0].payload["pool_composition"]["default_market"] == {
        "adversarial": 1, "deceptive": 1,
    }  # fmt: skip
    assert len([e for e in events if e.event_type.value == "contract_metrics"]) == 3
    assert verify_log(next((tmp_path / "run").glob("events.*"))).ok
    again = run_scenario(load_scenario(HERE / "contracts.yaml"))
    assert json.dumps([m.to_json_dict() for m in again.metrics]) == json.dumps(
        [m.to_json_dict() for m in result.metrics]
    )


def test_contracts_change_the_payoffs() -> None:
    """The same run with the fair division's redistribution and a large default-market friction: the
    friction lowers the default market's welfare."""
    base = load_scenario(HERE / "contracts.yaml")
    costly = load_scenario(HERE / "contracts.yaml", ["contracts.default_market.friction_premium=5.0"])
    w0 = [m.to_dict()["contract_welfare_default"] for m in run_scenario(base).metrics]
    w1 = [m.to_dict()["contract_welfare_default"] for m in run_scenario(costly).metrics]
    assert any(b < a - 5.0 for a, b in zip(w0, w1, strict=True) if a != 0.0)


def test_criteria_fail_when_not_met_and_without_contracts() -> None:
    spec = load_scenario(HERE / "contracts.yaml", ["success_criteria.max_infiltration_rate=0.0",
                                                   "success_criteria.min_separation_quality=1.0",
                                                   "contracts.market.honest_truthful_preference=0",
                                                   "contracts.market.honest_fair_preference=0"])  # fmt: skip
    crit = {name: (ok, detail) for name, ok, detail in run_scenario(spec).criteria}
    assert crit["min_separation_quality"] == (False, "-1 >= 1")
    assert crit["max_infiltration_rate"] == (True, "0 <= 0")
    bare = scenario_from_text(
        "scenario_id: t\nagents:\n  - type: honest\n    count: 2\nsimulation:\n  n_epochs: 1\n"
        "success_criteria:\n  min_welfare_delta: 0\n"
    )
    crit = {name: (ok, detail) for name, ok, detail in run_scenario(bare).criteria}
    assert crit["min_welfare_delta"][0] is False and "no contracts" in crit["min_welfare_delta"][1]


@pytest.mark.parametrize(
    "block, fragment",
    [
        ("  fair_division:\n    entry_fee: -1\n", "contracts.fair_division.entry_fee"),
        ("  truthful_auction:\n    stake_fraction: 1.5\n", "contracts.truthful_auction.stake_fraction"),
        ("  market:\n    belief_update_rate: .nan\n", "contracts.market.belief_update_rate"),
        ("  market:\n    honest_truthfull_preference: 1\n", "contracts.market.honest_truthfull_preference"),
        ("  auction_house:\n    fee: 1\n", "contracts.auction_house"),
    ],
)
def test_bad_blocks_are_one_line_errors(block: str, fragment: str) -> None:
    with pytest.raises(ScenarioError, match=fragment.replace(".", r"\.")) as e:
        scenario_from_text(f"scenario_id: t\nagents:\n  - type: honest\n    count: 2\ncontracts:\n{block}")
    assert "\n" not in str(e.value)


def test_cli_bad_block_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("scenario_id: t\nagents:\n  - type: honest\n    count: 2\ncontracts:\n  default_market:\n"
                 "    friction_premium: -0.1\n")  # fmt: skip
    assert main(["run", str(f), "-q"]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:7" in err and "friction_premium" in err and "Traceback" not in err


def test_off_by_default() -> None:
    result = run_scenario(load_scenario("baseline", ["simulation.n_epochs=1"]))
    assert "contract_separation_quality" not in result.metrics[0].to_dict()
    assert result.orchestrator.config.contracts_config is None
    with pytest.raises(KeyError):
        result.orchestrator.get_component("contracts")
