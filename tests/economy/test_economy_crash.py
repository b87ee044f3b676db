"""Crash safety: SIGKILL the engine in the middle of a turn, restart it on the same file, and find the
turn applied exactly 0 or 1 times, with the supply invariant intact; resubmitting makes it exactly once."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import httpx
from conftest import free_port

from distsafe.economy.client import Wallet

TOKEN = "crash-token"
HDR = {"Authorization": f"Bearer {TOKEN}"}


class Proc:
    def __init__(self, db: str, delay: float = 0.0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "distsafe.economy.cli", "serve", "--db", db, "--port", str(self.port),
               "--admin-token", TOKEN, "--debug-commit-delay", str(delay)]
        self.p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if httpx.get(self.url + "/health", timeout=0.5).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError("engine did not start: " + (self.p.stderr.read() or b"").decode()[-500:])

    def kill(self) -> None:
        if self.p.poll() is None:
            os.kill(self.p.pid, signal.SIGKILL)
        self.p.wait(timeout=10)
        if self.p.stderr:
            self.p.stderr.close()


def _setup(url: str, n: int) -> dict[str, Wallet]:
    w = {f"a{i}": Wallet.derive(0, f"a{i}") for i in range(n)}
    body = {"config": {}, "agents": [{"agent_id": a, "public_key": x.public_key} for a, x in w.items()]}
    assert httpx.post(url + "/init", json=body, headers=HDR, timeout=30).status_code == 200
    return w


def _turn_body(w: dict[str, Wallet], turn: int) -> dict:
    ids = sorted(w)
    return {"turn": turn, "bundles": [
        w[a].bundle(turn, [{"kind": "mine", "params": {}},
                           {"kind": "transfer",
                            "params": {"to": ids[(i + 1) % len(ids)], "amount": 3, "fee": 1}}])
        for i, a in enumerate(ids)]}


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


def test_sigkill_mid_commit_then_resubmit_applies_exactly_once(tmp_path) -> None:
    db = str(tmp_path / "crash.db")
    srv = Proc(db, delay=2.0)
    try:
        w = _setup(srv.url, 20)
        body = _turn_body(w, 1)
        t = _post_in_background(srv.url, body)
        time.sleep(0.7)  # the turn is applied in memory and written, its transaction not committed yet
        srv.kill()
        t.join(timeout=10)
    finally:
        srv.kill()
    _check_consistent(db)
    srv = Proc(db)
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


def test_sigkill_at_random_moments_never_half_applies(tmp_path) -> None:
    db = str(tmp_path / "crash2.db")
    rng = random.Random(7)
    srv = Proc(db)
    w = _setup(srv.url, 100)
    applied = 0
    try:
        for _ in range(2):
            turn = applied + 1
            body = _turn_body(w, turn)
            t = _post_in_background(srv.url, body)
            time.sleep(rng.uniform(0.0, 0.25))
            srv.kill()
            t.join(timeout=10)
            _check_consistent(db)
            srv = Proc(db)
            st = httpx.get(srv.url + "/state").json()
            assert st["turn"] in (turn - 1, turn) and st["supply"]["invariant_ok"]
            r = httpx.post(srv.url + "/turn", json=body, headers=HDR, timeout=30).json()
            assert r["turn"] == turn and r["replayed"] is (st["turn"] == turn)
            applied = turn
        st = httpx.get(srv.url + "/state").json()
        assert st["turn"] == 2 and st["chain"]["blocks_by_kind"]["mine"] == 2
    finally:
        srv.kill()
