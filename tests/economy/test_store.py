"""The SQLite ledger: round trip, tampering refused, and crash safety (SIGKILL the engine in the middle of a
turn, restart it on the same file: the turn is applied 0 or 1 times with the supply invariant intact;
resubmitting makes it exactly once)."""

from __future__ import annotations

import sqlite3
import threading
import time

import httpx
import numpy as np
import pytest

from distsafe.economy.client import Wallet
from distsafe.economy.store import Store


def test_store_round_trip_and_tamper_detection(make_world, tmp_path) -> None:
    w = make_world(4)
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
    assert {a: x.to_dict() for a, x in loaded.agents.items()} == {
        a: x.to_dict() for a, x in w.eng.agents.items()
    }
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


TOKEN = "crash-token"


HDR = {"Authorization": f"Bearer {TOKEN}"}


def _setup(url: str, n: int) -> dict[str, Wallet]:
    w = {f"a{i}": Wallet.derive(0, f"a{i}") for i in range(n)}
    body = {"config": {}, "agents": [{"agent_id": a, "public_key": x.public_key} for a, x in w.items()]}
    assert httpx.post(url + "/init", json=body, headers=HDR, timeout=30).status_code == 200
    return w


def _turn_body(w: dict[str, Wallet], turn: int) -> dict:
    ids = sorted(w)
    return {
        "turn": turn,
        "bundles": [
            w[a].bundle(
                turn,
                [
                    {"kind": "mine", "params": {}},
                    {"kind": "transfer", "params": {"to": ids[(i + 1) % len(ids)], "amount": 3, "fee": 1}},
                ],
            )
            for i, a in enumerate(ids)
        ],
    }


def _post_in_background(url: str, body: dict) -> threading.Thread:
    def go() -> None:
        try:
            httpx.post(url + "/turn", json=body, headers=HDR, timeout=30)
        except httpx.TransportError:
            pass

    t = threading.Thread(target=go, daemon=True)
    t.start()
    return t


def _check_consistent(db: str) -> None:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        turns = [r[0] for r in con.execute("SELECT turn FROM turns ORDER BY turn")]
        assert turns == list(range(1, len(turns) + 1))
        # every applied turn is there exactly once, with its blocks and transactions
        assert con.execute("SELECT COUNT(DISTINCT turn) FROM transactions").fetchone()[0] == len(turns)
    finally:
        con.close()


def test_sigkill_mid_commit_then_resubmit_applies_exactly_once(engine_process, tmp_path) -> None:
    db = str(tmp_path / "crash.db")
    srv = engine_process(db, TOKEN, delay=2.0)
    w = _setup(srv.url, 20)
    body = _turn_body(w, 1)
    t = _post_in_background(srv.url, body)
    time.sleep(0.7)  # the turn is applied in memory and written, its transaction not committed yet
    srv.kill()
    t.join(timeout=10)
    _check_consistent(db)
    srv = engine_process(db, TOKEN)
    try:
        st = httpx.get(srv.url + "/state").json()
        assert st["turn"] == 0 and st["supply"]["invariant_ok"] and st["chain"]["height"] == 0
        r1 = httpx.post(srv.url + "/turn", json=body, headers=HDR, timeout=30).json()
        r2 = httpx.post(srv.url + "/turn", json=body, headers=HDR, timeout=30).json()
        assert r1["replayed"] is False and r2["replayed"] is True and r1["accepted"] == 40
        st = httpx.get(srv.url + "/state").json()
        assert st["turn"] == 1 and st["supply"]["invariant_ok"]
        # one block reward minted; the 20 transfer fees moved from the senders to the miner
        assert st["supply"]["components"]["balances"] == 20 * 100 + 20 and st["supply"]["total"] == 2020
    finally:
        srv.kill()
    _check_consistent(db)


def test_sigkill_at_random_moments_never_half_applies(engine_process, tmp_path) -> None:
    db = str(tmp_path / "crash2.db")
    rng = np.random.default_rng(7)
    srv = engine_process(db, TOKEN)
    w = _setup(srv.url, 100)
    applied = 0
    for _ in range(2):
        turn = applied + 1
        body = _turn_body(w, turn)
        t = _post_in_background(srv.url, body)
        time.sleep(float(rng.uniform(0.0, 0.25)))
        srv.kill()
        t.join(timeout=10)
        _check_consistent(db)
        srv = engine_process(db, TOKEN)
        st = httpx.get(srv.url + "/state").json()
        assert st["turn"] in (turn - 1, turn) and st["supply"]["invariant_ok"]
        r = httpx.post(srv.url + "/turn", json=body, headers=HDR, timeout=30).json()
        assert r["turn"] == turn and r["replayed"] is (st["turn"] == turn)
        applied = turn
    st = httpx.get(srv.url + "/state").json()
    assert st["turn"] == 2 and st["chain"]["blocks_by_kind"]["mine"] == 2


def test_a_stored_config_that_fails_validation_is_refused(make_world, tmp_path) -> None:
    store = Store(tmp_path / "cfg.db")
    store.init_world(make_world(3).eng)
    store.conn.execute("UPDATE meta SET value=? WHERE key='config'", ('{"num_cores": -2}',))
    store.close()
    with pytest.raises(
        ValueError, match=r"^stored world config is invalid: num_cores: .*greater than or equal"
    ):
        Store(tmp_path / "cfg.db").load()
