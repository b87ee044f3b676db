"""core.parts.hfn: the order book in a run (trades as interactions, events, epoch fields, the halt, replay)
and the `hfn:` section's errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from distsafe.scenarios import load_scenario
from distsafe.scenarios.builder import build_orchestrator
from distsafe.scenarios.loader import ScenarioError, scenario_from_text
from distsafe.scenarios.runner import run_scenario

SMALL = ["simulation.n_epochs=2", "success_criteria.min_epochs=2"]


@pytest.fixture(scope="module")
def crash_run(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("hfn")
    spec = load_scenario("hfn_flash_crash", SMALL)
    return run_scenario(spec, out_dir=out), out


def test_a_run_with_hfn_trades_and_reports(crash_run) -> None:
    result, out = crash_run
    rows = [m.to_dict() for m in result.metrics]
    for r in rows:
        for k in (
            "hfn_trades",
            "hfn_volume",
            "hfn_price",
            "hfn_crashes",
            "hfn_halted_ticks",
            "hfn_speed_gini",
        ):
            assert k in r
    assert all(r["hfn_trades"] > 0 for r in rows)
    assert [r["hfn_crashes"] for r in rows] == [0.0, 1.0]  # the dump at tick 300 is in epoch 1
    assert rows[1]["hfn_halted_ticks"] == 20.0
    assert 0.0 <= rows[1]["hfn_speed_gini"] <= 1.0 and 0.0 < rows[1]["hfn_trade_p"] < 1.0
    hfn = result.summary["components"]["hfn"]
    assert hfn["crashes"][0]["start_tick"] == 300 and hfn["crashes"][0]["trigger_agent_ids"][0] == "fast_1"
    assert all(ok for _, ok, _ in result.criteria)
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    kinds = [e.get("type") for e in events]
    assert kinds.count("hfn_flash_crash") == 1 and kinds.count("hfn_market_halted") == 1
    assert kinds.count("hfn_market_resumed") == 1
    assert (
        kinds.index("hfn_flash_crash") < kinds.index("hfn_market_halted") < kinds.index("hfn_market_resumed")
    )
    crash = events[kinds.index("hfn_flash_crash")]
    assert crash["agent"] == "fast_1" and crash["data"]["tick"] == 300


def test_trades_are_agreed_interactions_and_conserve_the_market() -> None:
    orch = build_orchestrator(load_scenario("hfn_flash_crash", ["simulation.n_epochs=1"]))
    metrics = orch.run()
    comp = orch.get_component("hfn")
    eng = comp.engine
    n = len(eng.ids)
    # the market's ledger: every trader's cash and holding started at 100 / 10 (the fast trader 200)
    assert int(eng.cash.sum()) == n * 100 * 10**6
    assert int(eng.inv.sum()) == (n - 1) * 10 * 10**6 + 200 * 10**6
    assert metrics[0].to_dict()["hfn_trades"] == eng.trades_total
    # every fill between two agents is one interaction of the step's batch, agreed (only a frozen
    # counterparty refuses: none is frozen here), tau = -(cash the buyer paid)
    assert 0 < comp.interactions <= eng.trades_total
    assert comp.accepted == comp.interactions
    assert comp.cash_paid > 0


def test_same_seed_same_market_and_the_halt_off_comparison() -> None:
    a = build_orchestrator(load_scenario("hfn_flash_crash", SMALL))
    a.run()
    b = build_orchestrator(load_scenario("hfn_flash_crash", SMALL))
    b.run()
    assert a.get_component("hfn").ticks == b.get_component("hfn").ticks
    off = build_orchestrator(load_scenario("hfn_flash_crash", [*SMALL, "hfn.circuit_breaker=false"]))
    off.run()
    s_on, s_off = a.get_component("hfn").summary(), off.get_component("hfn").summary()
    assert s_off["halted_ticks"] == 0 and s_on["halted_ticks"] == 20
    low_on = min(p for _, p, _ in a.get_component("hfn").ticks)
    low_off = min(p for _, p, _ in off.get_component("hfn").ticks)
    assert low_off < low_on  # without the halt the dump runs on and the price falls further


def test_replay_verify_passes_on_an_hfn_run(crash_run) -> None:
    from distsafe.scenarios.verify import verify_log

    _, out = crash_run
    report = verify_log(out / "events.jsonl")
    assert report.ok, report


@pytest.mark.parametrize(
    ("block", "where"),
    [
        ("hfn:\n  batch_interval_ticks: 0\n", "hfn.batch_interval_ticks"),
        ("hfn:\n  tick_duration_ms: .nan\n", "hfn.tick_duration_ms"),
        ("hfn:\n  populations:\n    - prefix: x\n      strategy: teleport\n", "hfn.populations.0.strategy"),
        ("hfn:\n  populations:\n    - strategy: value\n", "hfn.populations.0"),
        ("hfn:\n  by_type:\n    wizard: value\n", "hfn.by_type"),
        ("hfn:\n  ticks_per_step: -3\n", "hfn.ticks_per_step"),
        ("hfn:\n  speed: 3\n", "hfn.speed"),
    ],
)
def test_bad_hfn_config_is_one_line_with_its_place(block: str, where: str, tmp_path: Path) -> None:
    text = "scenario_id: x\nagents:\n  - type: honest\n    count: 2\n" + block
    with pytest.raises(ScenarioError) as exc:
        scenario_from_text(text, str(tmp_path / "s.yaml"))
    msg = str(exc.value)
    assert "\n" not in msg and where in msg, msg


def test_frozen_agents_do_not_trade() -> None:
    orch = build_orchestrator(load_scenario("hfn_flash_crash", ["simulation.n_epochs=1"]))
    st = orch.engine_state
    st.agents.frozen_until[:] = 10**6  # everyone frozen for the whole run
    orch.run()
    assert orch.get_component("hfn").engine.trades_total == 0
    assert np.isnan(orch.epoch_metrics[0].to_dict()["hfn_trade_p"])
