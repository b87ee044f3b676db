"""The rule of each action kind: balances, budget, locks and refusals that change nothing."""

from __future__ import annotations


def test_transfer_and_overspend(world) -> None:
    r = world.turn(
        world.act("a0", "transfer", to="a1", amount=30, fee=2),
        world.act("a2", "transfer", to="a1", amount=500),
    )
    assert [x.accepted for x in r.results] == [True, False]
    assert "insufficient balance" in r.results[1].reason
    assert world.bal("a0") == 68 and world.bal("a1") == 130 and world.bal("a2") == 100
    assert world.eng.pending_fees == 2 and r.supply["invariant_ok"]


def test_mine_budget_and_once_per_turn(make_world) -> None:
    w = make_world(2, action_budget=5)
    r = w.turn(
        w.act("a0", "mine"),
        w.act("a0", "mine"),
        w.act("a0", "job"),
        w.act("a0", "job"),
        w.act("a0", "speak", message="free"),
        w.act("a0", "job"),
        w.act("a0", "job"),
    )
    assert [x.accepted for x in r.results] == [True, False, True, True, True, True, False]
    assert "already mined" in r.results[1].reason and "budget exhausted" in r.results[6].reason


def test_unstake_lock_and_limits(world) -> None:
    world.turn(world.act("a0", "stake", amount=40))
    r = world.turn(world.act("a0", "unstake", amount=10))
    assert not r.results[0].accepted and "locked until" in r.results[0].reason
    for _ in range(3):
        world.turn()
    r = world.turn(world.act("a0", "unstake", amount=41), world.act("a0", "unstake", amount=40))
    assert [x.accepted for x in r.results] == [False, True]
    assert world.bal("a0") == 100 and world.eng.agents["a0"].staked == 0


def test_burn_score_decays_and_supply_drops(world) -> None:
    r = world.turn(world.act("a0", "burn", amount=20))
    assert r.supply["burned"] == 20 and r.supply["total"] == 380
    assert abs(world.eng.agents["a0"].burn_score - 20 * (1 - world.cfg.burn_decay)) < 1e-9
    world.turn()
    assert abs(world.eng.agents["a0"].burn_score - 20 * (1 - world.cfg.burn_decay) ** 2) < 1e-9


def test_study_and_job(world) -> None:
    world.turn(world.act("a0", "study"))
    assert world.eng.agents["a0"].study_level == 1 and world.bal("a0") == 90
    world.turn(world.act("a0", "job"))
    assert world.bal("a0") == 90 + int(5 * 1.2)
