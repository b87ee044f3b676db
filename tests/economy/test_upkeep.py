"""End of a turn: blocks (mine then stake, Slimcoin rule), core auction and dividends, inference billing,
interest on debt."""

from __future__ import annotations

from distsafe.economy.blockchain import chain_errors


def test_mine_then_stake_block_follows(world) -> None:
    world.turn(world.act("a1", "stake", amount=50))
    assert world.eng.blocks_by_kind() == {"genesis": 1}  # nobody mined: no block at all
    r = world.turn(world.act("a0", "mine"))
    assert [b.kind for b in r.blocks] == ["mine", "stake"]
    assert r.blocks[0].validator == "a0" and r.blocks[1].validator == "a1"
    assert r.blocks[1].parent_hash == r.blocks[0].hash
    assert world.bal("a0") == 100 + world.cfg.mine_block_reward
    assert world.bal("a1") == 50 + world.cfg.stake_block_reward
    assert chain_errors(world.eng.chain) == []


def test_core_auction_and_dividends(make_world) -> None:
    w = make_world(6, num_cores=2)
    r = w.turn(
        w.act("a0", "bid_core", amount=30),
        w.act("a1", "bid_core", amount=20),
        w.act("a2", "bid_core", amount=20),
        w.act("a3", "bid_core", amount=500),
    )
    assert [x.accepted for x in r.results] == [True, True, True, False]
    # highest bids win; a1 beats a2 on the id tie-break; the loser is refunded, winners' bids are burned
    assert [w.eng.agents[a].cores for a in ("a0", "a1", "a2")] == [1, 1, 0]
    assert w.bal("a0") == 70 and w.bal("a1") == 80 and w.bal("a2") == 100
    assert r.supply["burned_by"] == {"core_auction": 50}
    r = w.turn(w.act("a0", "bid_core", amount=1))
    assert "turn 1 only" in r.results[0].reason
    # 256 free tokens, then 4 tokens per 1000: 2256 tokens -> 8 tokens of fees, 4 per core
    w.turn(usage={"a4": 2256, "a5": 100})
    assert w.bal("a4") == 92 and w.bal("a5") == 100
    assert w.bal("a0") == 74 and w.bal("a1") == 84 and w.eng.fee_pool == 0


def test_negative_balance_interest_is_destroyed(make_world) -> None:
    w = make_world(2, negative_interest_rate=0.1, inference_price_per_1k=1000, commons_threshold=0)
    r = w.turn(usage={"a0": 120})  # bill 120 -> balance -20, then 10% interest = 2 destroyed
    assert w.bal("a0") == -22 and r.supply["destroyed_interest"] == 2 and r.supply["invariant_ok"]
    r = w.turn(w.act("a0", "transfer", to="a1", amount=1))
    assert not r.results[0].accepted
    assert w.bal("a0") == -22 - 3 and r.supply["destroyed_interest"] == 5


def test_compounding_debt_stops_at_the_debt_limit_and_the_ledger_keeps_saving(make_world, tmp_path) -> None:
    """Reproduced first: at 100% interest a debt of 1 token doubled past SQLite's 64 bits on turn 64, and
    every later turn failed to save (at the default 5% after ~860 turns)."""
    from distsafe.economy.limits import DEBT_LIMIT
    from distsafe.economy.store import Store

    w = make_world(2, genesis_balance=0, commons_threshold=0, inference_price_per_1k=1000,
                   negative_interest_rate=1.0)  # fmt: skip
    store = Store(tmp_path / "debt.db")
    store.init_world(w.eng)
    for t in range(1, 81):
        r = w.turn(usage={"a0": 1} if t == 1 else {})
        store.save_turn(w.eng, r, f"h{t}", "{}")
    assert w.bal("a0") == -DEBT_LIMIT and r.supply["invariant_ok"]
    assert r.supply["destroyed_interest"] == DEBT_LIMIT - 1
    eng = store.load()
    assert eng is not None and eng.agents["a0"].balance == -DEBT_LIMIT and eng.supply() == r.supply
    r = w.turn(usage={"a0": 10**9})  # a bill at the limit charges nothing more
    assert w.bal("a0") == -DEBT_LIMIT and w.eng.agents["a0"].inference_paid == 1


def test_mints_stop_at_the_supply_cap_and_counters_saturate(make_world) -> None:
    from distsafe.economy.limits import INT64_MAX, SUPPLY_CAP

    w = make_world(2, job_wage=50)
    w.eng.minted += SUPPLY_CAP - w.eng.supply()["total"] - 20  # 20 tokens of room left
    w.eng.agents["a1"].balance += SUPPLY_CAP - 220  # keep the books balanced
    w.eng.agents["a0"].dividends = INT64_MAX - 1
    r = w.turn(w.act("a0", "job"), w.act("a1", "mine"))
    assert [x.accepted for x in r.results] == [True, True]
    assert r.supply["total"] == SUPPLY_CAP and r.supply["invariant_ok"]
    assert w.bal("a0") == 100 + 20 and r.blocks[0].reward == 0  # the wage took the room, the block got none
    w.eng.fee_pool, w.eng.agents["a0"].cores = 5, 1
    w.eng.agents["a1"].balance -= 5
    w.turn()
    assert w.eng.agents["a0"].dividends == INT64_MAX
