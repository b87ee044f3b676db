"""core.parts.auction and core.parts.mission: a run with each component on gets its epoch fields and
events, its money moves are conserved, its per-type behaviour shows, replay --verify reproduces it, and
bad sections are refused with one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.core.parts.auction import AuctionComponent
from distsafe.core.parts.mission import MissionComponent
from distsafe.env.auction_run import AuctionRunConfig
from distsafe.env.mission_run import MissionRunConfig
from distsafe.metrics.epoch import SECTION_METRICS
from distsafe.scenarios import ScenarioError, scenario_from_text
from distsafe.scenarios.runner import run_scenario
from distsafe.scenarios.verify import verify_log

POP = {"honest": 8, "opportunistic": 4, "deceptive": 2, "adversarial": 2}


def _orch(**cfg) -> Orchestrator:  # type: ignore[no-untyped-def]
    orch = Orchestrator(OrchestratorConfig(n_epochs=3, steps_per_epoch=5, seed=7, **cfg))
    for kind, n in POP.items():
        orch.add_population(kind, n)
    return orch


def test_off_by_default_adds_no_columns() -> None:
    orch = _orch()
    orch.run()
    keys = set(orch.epoch_metrics[0].values)
    assert not keys & (set(SECTION_METRICS["auction"]) | set(SECTION_METRICS["mission"]))
    assert "components" not in orch.summary()


def test_auction_run_fills_its_columns_and_moves_compute_to_inflating_bidders() -> None:
    orch = _orch(auction_config=AuctionRunConfig())
    orch.run()
    comp = orch.get_component("auction")
    assert isinstance(comp, AuctionComponent)
    for m in orch.epoch_metrics:
        v = m.values
        assert v["auction_held"] == 1.0 and v["auction_envy_free"] == 1.0
        assert v["auction_extra_interactions"] > 0
        assert 0 <= v["auction_gini"] <= 1
        # deceptive + adversarial are 4 of 16 bidders; they bid compute at 3x their top value
        assert v["auction_bad_actor_share"] > 4 / 16
    assert orch.summary()["components"]["auction"]["auctions"] == 3


def test_auction_interval_and_payments_conserve_money() -> None:
    orch = _orch(auction_config=AuctionRunConfig(interval_epochs=2, token_value=0.5))
    comp = orch.get_component("auction")
    state = orch.engine_state
    before = float(state.agents.resources.sum())
    comp.begin_epoch(state)
    assert comp.held and comp.epoch_payments > 0
    assert float(state.agents.resources.sum()) == pytest.approx(before)  # revenue back in equal shares
    state.env.epoch = 1
    comp.begin_epoch(state)
    assert not comp.held  # interval 2: no auction at epoch 1


def test_reputation_modulation_uses_the_average_p() -> None:
    comp = AuctionComponent(AuctionRunConfig(reputation_modulation=True, reputation_weight=1.0), 5)
    budgets = comp.auction.effective_endowments(np.array([0.0, 0.5, 1.0]))
    assert budgets.tolist() == [0.0, 100.0, 200.0]


def test_bids_by_strategy() -> None:
    comp = AuctionComponent(
        AuctionRunConfig(misreport_factor=2.0), 5
    )  # resources sorted: bandwidth, compute, data
    true = np.array([[1.0, 0.5, 0.8]] * 3)
    codes = np.array([0, 1, 3])  # honest, opportunistic, adversarial
    bid = comp.bids(true, codes)
    assert bid[0].tolist() == [1.0, 0.5, 0.8]  # truthful
    assert bid[1].tolist() == [1.0, 0.25, 0.4]  # shade: all but the favourite halved
    assert bid[2].tolist() == [1.0, 2.0, 0.8]  # inflate: compute at 2x the top value


def test_mission_run_events_fields_and_conserved_escrow(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    deltas: list[float] = []
    for hook in ("begin_epoch", "end_epoch"):
        original = getattr(MissionComponent, hook)

        def wrapped(self, state, *args, _f=original):  # type: ignore[no-untyped-def]
            before = float(state.agents.resources.sum())
            out = _f(self, state, *args)
            deltas.append(float(state.agents.resources.sum()) - before)
            return out

        monkeypatch.setattr(MissionComponent, hook, wrapped)
    cfg = MissionRunConfig(reward_distribution="shapley", duration_epochs=2)
    orch = _orch(mission_config=cfg, log_path=tmp_path / "events.jsonl", log_events=True)
    orch.run()
    v = [m.values for m in orch.epoch_metrics]
    assert sum(x["missions_proposed"] for x in v) >= 1
    assert sum(x["mission_contributions"] for x in v) > 0
    kinds = [json.loads(line).get("type") for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    for kind in ("mission_proposed", "mission_joined", "mission_evaluated"):
        assert kind in kinds
    # escrow out at proposal, rewards or refund back at the end: over the run, money is conserved
    comp = orch.get_component("mission")
    held = sum(m.reward_pool for m in comp.economy.get_active_missions())
    assert sum(deltas) == pytest.approx(-held)
    s = orch.summary()["components"]["mission"]
    assert s["rewards_paid"] == pytest.approx(cfg.reward_pool * s["succeeded"])


def test_free_riders_contribute_less() -> None:
    never = [{"target_metric": "total_count", "target_value": 1e6}]  # the mission runs to its deadline
    orch = _orch(mission_config=MissionRunConfig(duration_epochs=3, max_active_missions=1, objectives=never))
    orch.run()
    comp = orch.get_component("mission")
    st = comp.economy.member_stats(comp.missions[0].mission_id)
    kinds = {m: m.split("_")[0] for m in st.members}
    per = {
        k: [c for m, c in zip(st.members, st.count.tolist(), strict=True) if kinds[m] == k]
        for k in set(kinds.values())
    }
    assert per["opportunistic"] and per["honest"]
    assert np.mean(per["opportunistic"]) < np.mean(per["honest"])


SCENARIO = """
scenario_id: t
agents:
  - {type: honest, count: 6}
  - {type: opportunistic, count: 3}
  - {type: adversarial, count: 2}
simulation: {n_epochs: 3, steps_per_epoch: 4, seed: 5}
auction: {reputation_modulation: true, max_rounds: 40}
missions: {reward_distribution: proportional, duration_epochs: 2, funding: public}
"""


def test_scenario_with_both_replays_verified(tmp_path: Path) -> None:
    spec = scenario_from_text(SCENARIO)
    run_scenario(spec, out_dir=tmp_path / "run")
    res = verify_log(tmp_path / "run" / "events.jsonl")
    assert res.ok, res.message
    lines = (tmp_path / "run" / "events.jsonl").read_text().splitlines()
    header = json.loads(lines[0])
    assert header["config"]["auction_config"]["reputation_modulation"] is True
    kinds = [json.loads(line).get("type") for line in lines[1:]]
    assert kinds.count("auction_cleared") == 3  # one per epoch
    assert "mission_proposed" in kinds and "mission_joined" in kinds
    cleared = next(json.loads(line) for line in lines[1:] if '"auction_cleared"' in line)
    assert cleared["data"]["envy_free"] is True and cleared["data"]["bidders"] == 11


@pytest.mark.parametrize(
    ("block", "match"),
    [
        (
            "auction: {price_adjustment_rate: 0}",
            r"^<scenario>:\d+: auction\.price_adjustment_rate: .*greater than 0",
        ),
        ("auction: {action_resource: gold}", r"^<scenario>:\d+: auction: .*action_resource 'gold' is not in"),
        ("auction: {supply_per_agent: {compute: -1}}", r"supply_per_agent\['compute'\] must be > 0"),
        ("auction: {strategies: {wizard: shade}}", r"unknown agent type 'wizard'"),
        ("auction: {initial_endowment: .nan}", r"auction\.initial_endowment"),
        ("missions: {join_rate: {honest: 2}}", r"rate of 'honest' must be in \[0, 1\]"),
        ("missions: {reward_pool: -5}", r"missions\.reward_pool: .*greater than 0"),
        ("missions: {objectives: [{target_metric: vibes}]}", r"missions\.objectives\.0\.target_metric"),
        ("missions: {coordinator_types: [ghost]}", r"unknown agent type 'ghost'"),
    ],
)
def test_bad_sections_are_one_line_errors(block: str, match: str) -> None:
    text = "scenario_id: t\nagents:\n  - {type: honest, count: 2}\n" + block + "\n"
    with pytest.raises(ScenarioError, match=match) as err:
        scenario_from_text(text)
    assert "\n" not in str(err.value)
