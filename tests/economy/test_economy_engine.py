"""Engine rules: balances, validation, blocks, billing, auction, interest, supply invariant."""

from __future__ import annotations

from conftest import World

from distsafe.economy.blockchain import chain_errors


def test_genesis_supply(world: World) -> None:
    s = world.eng.supply()
    assert s["total"] == s["minted"] == 400 and s["invariant_ok"]
    assert chain_errors(world.eng.chain) == []


def test_transfer_and_overspend(world: World) -> None:
    r = world.turn(world.act("a0", "transfer", to="a1", amount=30, fee=2),
                   world.act("a2", "transfer", to="a1", amount=500))
    assert [x.accepted for x in r.results] == [True, False]
    assert "insufficient balance" in r.results[1].reason
    assert world.bal("a0") == 68 and world.bal("a1") == 130 and world.bal("a2") == 100
    assert world.eng.pending_fees == 2 and r.supply["invariant_ok"]


def test_mine_then_stake_block_follows(world: World) -> None:
    world.turn(world.act("a1", "stake", amount=50))
    assert world.eng.blocks_by_kind() == {"genesis": 1}  # nobody mined: no block at all
    r = world.turn(world.act("a0", "mine"))
    assert [b.kind for b in r.blocks] == ["mine", "stake"]
    assert r.blocks[0].validator == "a0" and r.blocks[1].validator == "a1"
    assert r.blocks[1].parent_hash == r.blocks[0].hash
    assert world.bal("a0") == 100 + world.cfg.mine_block_reward
    assert world.bal("a1") == 50 + world.cfg.stake_block_reward
    assert chain_errors(world.eng.chain) == []


def test_mine_budget_and_once_per_turn() -> None:
    w = World(2, action_budget=5)
    r = w.turn(w.act("a0", "mine"), w.act("a0", "mine"), w.act("a0", "job"), w.act("a0", "job"),
               w.act("a0", "speak", message="free"), w.act("a0", "job"), w.act("a0", "job"))
    assert [x.accepted for x in r.results] == [True, False, True, True, True, True, False]
    assert "already mined" in r.results[1].reason and "budget exhausted" in r.results[6].reason


def test_unstake_lock_and_limits(world: World) -> None:
    world.turn(world.act("a0", "stake", amount=40))
    r = world.turn(world.act("a0", "unstake", amount=10))
    assert not r.results[0].accepted and "locked until" in r.results[0].reason
    for _ in range(3):
        world.turn()
    r = world.turn(world.act("a0", "unstake", amount=41), world.act("a0", "unstake", amount=40))
    assert [x.accepted for x in r.results] == [False, True]
    assert world.bal("a0") == 100 and world.eng.agents["a0"].staked == 0


def test_burn_score_decays_and_supply_drops(world: World) -> None:
    r = world.turn(world.act("a0", "burn", amount=20))
    assert r.supply["burned"] == 20 and r.supply["total"] == 380
    assert abs(world.eng.agents["a0"].burn_score - 20 * (1 - world.cfg.burn_decay)) < 1e-9
    world.turn()
    assert abs(world.eng.agents["a0"].burn_score - 20 * (1 - world.cfg.burn_decay) ** 2) < 1e-9


def test_study_and_job(world: World) -> None:
    world.turn(world.act("a0", "study"))
    assert world.eng.agents["a0"].study_level == 1 and world.bal("a0") == 90
    world.turn(world.act("a0", "job"))
    assert world.bal("a0") == 90 + int(5 * 1.2)


def test_core_auction_and_dividends() -> None:
    w = World(6, num_cores=2)
    r = w.turn(w.act("a0", "bid_core", amount=30), w.act("a1", "bid_core", amount=20),
               w.act("a2", "bid_core", amount=20), w.act("a3", "bid_core", amount=500))
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


def test_negative_balance_interest_is_destroyed() -> None:
    w = World(2, negative_interest_rate=0.1, inference_price_per_1k=1000, commons_threshold=0)
    r = w.turn(usage={"a0": 120})  # bill 120 -> balance -20, then 10% interest = 2 destroyed
    assert w.bal("a0") == -22 and r.supply["destroyed_interest"] == 2 and r.supply["invariant_ok"]
    r = w.turn(w.act("a0", "transfer", to="a1", amount=1))
    assert not r.results[0].accepted
    assert w.bal("a0") == -22 - 3 and r.supply["destroyed_interest"] == 5


def test_same_seed_same_ledger() -> None:
    def run(seed: int) -> list[str]:
        w = World(6, seed=seed)
        for _ in range(8):
            w.turn(*[w.act(a, "mine") for a in w.ids], w.act("a5", "stake", amount=1))
        return [b.hash for b in w.eng.chain]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_fork_resolution_and_slimcoin_rule() -> None:
    import pytest

    from distsafe.economy.blockchain import genesis_block, make_block, resolve_fork

    g = genesis_block(0)
    m1 = make_block(1, 1, "mine", "a", 1.0, 20, 0, g.hash)
    s2 = make_block(2, 1, "stake", "b", 4.0, 8, 0, m1.hash)
    m2 = make_block(2, 2, "mine", "c", 1.2, 20, 0, m1.hash)
    bad = make_block(3, 2, "burn", "d", 9.0, 8, 0, s2.hash)  # burn after stake: breaks the Slimcoin rule
    assert chain_errors([g, m1, s2, bad]) == ["block 3: burn block cannot follow a stake block"]
    assert chain_errors([g, make_block(1, 1, "stake", "b", 1.0, 8, 0, g.hash)])  # stake right after genesis
    tampered = make_block(2, 1, "stake", "b", 4.0, 8, 0, m1.hash).__class__(**{**s2.to_dict(), "reward": 999})
    assert chain_errors([g, m1, tampered]) == ["block 2: hash mismatch"]
    # more mine blocks (the clock) beat a heavier stake block; invalid chains never win
    assert resolve_fork([[g, m1, s2], [g, m1, m2]])[-1] is m2
    assert resolve_fork([[g, m1, s2, bad], [g, m1, s2]])[-1] is s2
    heavier = make_block(2, 2, "mine", "e", 3.0, 20, 0, m1.hash)
    assert resolve_fork([[g, m1, m2], [g, m1, heavier]])[-1] is heavier
    with pytest.raises(ValueError, match="no valid chain"):
        resolve_fork([[g, m1, s2, bad]])


def test_store_round_trip_and_tamper_detection(tmp_path) -> None:
    import sqlite3

    import pytest

    from distsafe.economy.store import Store

    w = World(4)
    store = Store(tmp_path / "s.db")
    store.init_world(w.eng)
    r = w.turn(w.act("a0", "mine"), w.act("a1", "stake", amount=30))
    store.save_turn(w.eng, r, "h1", "{}")
    prop, _, cid = w.propose("a0", "service", "a1", "a2", price=5, maturity=2)
    store.save_turn(w.eng, w.turn(prop), "h2", "{}")
    r = w.turn(w.sign("a1", cid, "counterparty"), w.sign("a2", cid, "arbitrator"))
    store.save_turn(w.eng, r, "h3", "{}")
    assert w.eng.contracts[cid].status == "active"
    loaded = store.load()
    assert loaded is not None and loaded.turn == 3
    assert {a: x.to_dict() for a, x in loaded.agents.items()} == \
        {a: x.to_dict() for a, x in w.eng.agents.items()}
    assert loaded.contracts[cid].to_dict() == w.eng.contracts[cid].to_dict()
    assert [b.hash for b in loaded.chain] == [b.hash for b in w.eng.chain]
    assert loaded.supply() == w.eng.supply()
    store.close()
    con = sqlite3.connect(tmp_path / "s.db")
    con.execute("UPDATE agents SET balance = balance + 1000 WHERE agent_id='a3'")
    con.commit()
    con.close()
    with pytest.raises(Exception, match="supply"):
        Store(tmp_path / "s.db").load()
