"""core.parts.market: the marketplace in a run (columns, events, money, replay), from YAML in both formats."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from distsafe.cli import main
from distsafe.core.parts.market import MarketComponent
from distsafe.env.market import EscrowStatus
from distsafe.metrics.epoch import SECTION_METRICS
from distsafe.scenarios import ScenarioError, load_scenario
from distsafe.scenarios.loader import scenario_from_text
from distsafe.scenarios.runner import run_scenario, verify_log

REF = Path(__file__).parents[1] / "scenarios" / "swarm_format" / "marketplace.yaml"
MARKET_EVENTS = {"bounty_posted", "bid_submitted", "bid_accepted", "escrow_released", "dispute_filed",
                 "dispute_resolved", "bounty_expired"}  # fmt: skip

BASE = """
scenario_id: market_test
agents:
  - {type: honest, count: 6}
  - {type: opportunistic, count: 2}
  - {type: deceptive, count: 2}
  - {type: adversarial, count: 2}
simulation: {n_epochs: 4, steps_per_epoch: 6, seed: 5}
"""


def spec(extra: str = "marketplace: {post_probability: 0.2, dispute_resolution_epochs: 1}", **kw: Any) -> Any:
    return scenario_from_text(BASE + extra, **kw)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("market") / "run"
    return run_scenario(spec(), out)


def events(out: Path) -> list[dict[str, Any]]:
    recs = [json.loads(x) for x in (out / "events.jsonl").read_text().splitlines()]
    return [r for r in recs if "type" in r]  # the first line is the header


def test_run_reports_the_market_fields_and_events(run: Any) -> None:
    names = SECTION_METRICS["market"]
    rows = [m.values for m in run.metrics]
    assert all(set(names) <= set(r) for r in rows)
    total = {k: sum(r[k] for r in rows if not math.isnan(r[k])) for k in names}
    assert total["bounties_posted"] > 0 and total["bids_submitted"] > 0 and total["bounties_filled"] > 0
    assert total["escrow_released"] > 0 and total["disputes_filed"] > 0 and total["disputes_resolved"] > 0
    kinds = {e["type"] for e in events(run.out_dir)}
    assert MARKET_EVENTS - {"bounty_expired"} <= kinds
    summary = run.orchestrator.summary()["components"]["market"]
    assert summary["bounties_posted"] == total["bounties_posted"]
    assert summary["fees_collected"] == pytest.approx(total["market_fees"])


def test_deliveries_are_batch_interactions_paid_from_escrow(run: Any) -> None:
    comp = run.orchestrator.get_component("market")
    assert isinstance(comp, MarketComponent) and comp.market is not None
    ev = events(run.out_dir)
    released = [e for e in ev if e["type"] == "escrow_released"]
    filed = [e for e in ev if e["type"] == "dispute_filed"]
    # each release is a delivery the poster took and paid: the escrow's amount less the fee
    for e in released:
        escrow = comp.market.escrows[e["data"]["escrow"]]
        assert escrow.status is EscrowStatus.RELEASED and escrow.released
        assert e["data"]["amount"] + e["data"]["fee"] == pytest.approx(escrow.amount)
        assert e["agent"] == escrow.from_agent and 0 <= e["data"]["p"] <= 1
    # adversarial posters never pay; a refusal records the delivery's p for the settlement
    posters = {comp.market.escrows[e["data"]["escrow"]].from_agent for e in released}
    assert not any(p.startswith("adversarial") for p in posters)
    assert any(e["data"]["reason"] == "refused to pay" and "p" in e["data"] for e in filed)
    for e in (x for x in ev if x["type"] == "dispute_resolved"):
        d = comp.market.disputes[e["data"]["dispute"]]
        assert e["data"]["worker_share"] == (d.quality if d.quality is not None else 0.5)
    # the deliveries are in the interaction log: collaborations initiated by the worker
    inter = [x for x in ev if x["type"] == "interaction_completed"]
    for e in released:
        escrow = comp.market.escrows[e["data"]["escrow"]]
        pair = (escrow.to_agent, escrow.from_agent)
        rec = [x["data"] for x in inter if (x["epoch"], x["step"]) == (e["epoch"], e["step"])
               and (x["data"]["initiator"], x["data"]["counterparty"]) == pair
               and x["data"]["tau"] == pytest.approx(-e["data"]["amount"])]  # fmt: skip
        assert rec and rec[0]["accepted"] and rec[0]["type"] == "collaboration"
        assert rec[0]["p"] == pytest.approx(e["data"]["p"])


def test_money_balances_in_a_run(run: Any) -> None:
    comp = run.orchestrator.get_component("market")
    assert comp.market is not None
    st = comp.market.get_stats()
    rows = [m.values for m in run.metrics]
    assert st["money_held"] == pytest.approx(rows[-1]["escrow_held"])
    # escrows paid out once: released + settled + still open = all
    by = [e.status for e in comp.market.escrows.values()]
    assert len(by) == st["total_escrows"]
    n_released = sum(r["escrow_released"] for r in rows)
    assert by.count(EscrowStatus.RELEASED) == n_released


def test_replay_verify_passes(run: Any) -> None:
    res = verify_log(run.out_dir / "events.jsonl")
    assert res.ok, res.message


def test_off_by_default_and_switched_off() -> None:
    for extra in ("", "marketplace: {enabled: false}"):
        s = spec(extra)
        s.simulation.n_epochs = 1
        r = run_scenario(s)
        assert not r.orchestrator.engine_state.components
        with pytest.raises(KeyError, match="no component 'market'"):
            r.orchestrator.get_component("market")
        assert "bounties_posted" not in r.metrics[0].values


def test_rate_limits_bound_posting_and_bidding() -> None:
    limits = "rate_limits: {bounties_per_epoch: 1, bids_per_epoch: 2}"
    s = spec("marketplace: {post_probability: 1.0, bid_probability: 1.0}\n" + limits)
    r = run_scenario(s)
    for m in r.metrics:
        assert m.values["bounties_posted"] <= 12 * 1
        assert m.values["bids_submitted"] <= 12 * 2
    s0 = spec("marketplace: {post_probability: 1.0}\nrate_limits: {bounties_per_epoch: 0}")
    assert all(m.values["bounties_posted"] == 0 for m in run_scenario(s0).metrics)


def test_reference_format_file_maps_every_marketplace_field(tmp_path: Path) -> None:
    s = load_scenario(REF)
    mc = s.marketplace
    assert mc is not None
    assert (mc.enabled, mc.escrow_fee_rate, mc.min_bounty_amount, mc.max_bids_per_bounty) == (
        True,
        0.05,
        2.0,
        4,
    )
    assert (mc.bid_deadline_epochs, mc.dispute_resolution_epochs, mc.auto_expire_bounties) == (2, 1, True)
    assert mc.dispute_default_split == 0.25
    assert (s.rate_limits.bounties_per_epoch, s.rate_limits.bids_per_epoch) == (2, 4)
    r = run_scenario(s, tmp_path / "run")
    assert all(c[1] for c in r.criteria)
    rows = [m.values for m in r.metrics]
    assert sum(x["bounties_posted"] for x in rows) > 0
    assert all(x["bounties_posted"] <= 2 * 8 for x in rows)
    assert verify_log(tmp_path / "run" / "events.jsonl").ok


@pytest.mark.parametrize(
    "extra, where",
    [("marketplace: {escrow_fee_rate: 1.5}", "marketplace.escrow_fee_rate"),
     ("marketplace: {dispute_default_split: .nan}", "marketplace.dispute_default_split"),
     ("marketplace: {max_bids_per_bounty: 0}", "marketplace.max_bids_per_bounty"),
     ("marketplace: {bounty_fee: 1}", "marketplace.bounty_fee"),
     ("rate_limits: {bids_per_epoch: -1}", "rate_limits.bids_per_epoch")],
)  # fmt: skip
def test_bad_config_is_one_line_with_its_field(extra: str, where: str) -> None:
    with pytest.raises(ScenarioError) as e:
        spec(extra)
    assert where in str(e.value) and "\n" not in str(e.value)


def test_cli_bad_marketplace_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(BASE + "marketplace: {escrow_fee_rate: -0.5}\n")
    assert main(["run", str(f), "-q"]) == 2
    err = capsys.readouterr().err
    assert "marketplace.escrow_fee_rate" in err and "Traceback" not in err


def test_money_adds_up_over_a_run_without_levers() -> None:
    # no taxes: every unit the agents lost is held by the market, collected as a fee, or left the agents
    # as the pipeline's payoffs (surplus, harm, effort costs), which the log's interactions add up to
    r = run_scenario(spec())
    a = r.orchestrator.engine_state.agents
    comp = r.orchestrator.get_component("market")
    assert comp.market is not None
    payoffs = float(np.sum(a.total_payoff))
    assert float(np.sum(a.resources)) + comp.market.held() + comp.market.fees_collected == pytest.approx(
        100.0 * len(a) + payoffs
    )
