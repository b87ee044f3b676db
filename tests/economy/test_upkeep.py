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
