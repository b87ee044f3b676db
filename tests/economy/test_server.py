"""HTTP API: auth, bad input (4xx, one-line JSON error, nothing changes), idempotent turns, concurrency."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from fastapi.testclient import TestClient

from distsafe.economy.client import Wallet
from distsafe.economy.server import create_app

TOKEN = "s3cret"


AUTH = {"Authorization": f"Bearer {TOKEN}"}


IDS = ["a0", "a1", "a2"]


def _wallets(seed: int = 0) -> dict[str, Wallet]:
    return {a: Wallet.derive(seed, a) for a in IDS}


def _init_body(w: dict[str, Wallet], **cfg) -> dict:
    return {"config": cfg, "agents": [{"agent_id": a, "public_key": x.public_key} for a, x in w.items()]}


def _state(c) -> dict:
    return c.get("/state").json()


def test_openapi_lists_the_seed_endpoints(api) -> None:
    c, _ = api
    paths = c.get("/openapi.json").json()["paths"]
    for p in (
        "/init",
        "/turn",
        "/state",
        "/agent/{agent_id}",
        "/contract/{contract_id}",
        "/speech/{turn}",
        "/config",
    ):
        assert p in paths


def test_admin_token_required(tmp_path) -> None:
    with TestClient(create_app(tmp_path / "x.db", TOKEN)) as c:
        body = _init_body(_wallets())
        assert c.get("/state").status_code == 409
        r = c.post("/init", json=body)
        assert r.status_code == 401 and "admin token" in r.json()["error"]
        assert c.post("/init", json=body, headers={"Authorization": "Bearer nope"}).status_code == 401
        assert c.post("/init", json=body, headers=AUTH).status_code == 200
        r = c.post("/init", json=body, headers=AUTH)
        assert r.status_code == 409 and "force" in r.json()["error"]
        assert c.post("/turn", json={"turn": 1}).status_code == 401
        bad = {"config": {"genesis_balance": -1}, "agents": body["agents"]}
        r = c.post("/init?force=true", json=bad, headers=AUTH)
        assert r.status_code == 422 and "genesis_balance" in r.json()["error"]


@pytest.mark.parametrize(
    "payload, status, needle",
    [
        ("{not json", 422, "malformed JSON"),
        ('{"turn": 1, "actions": 5}', 422, "actions: Input should be a valid list"),
        ('{"turn": 1, "usage": {"zz": 5}}', 404, "unknown agent 'zz' in usage"),
        ('{"turn": 7}', 409, "next turn is 1"),
        ('{"turn": 1, "usage": {"a0": -3}}', 422, "usage"),
    ],
)
def test_bad_input_is_4xx_and_changes_nothing(api, payload, status, needle) -> None:
    c, _ = api
    before = _state(c)
    r = c.post("/turn", content=payload, headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == status, r.text
    assert needle in r.json()["error"] and "\n" not in r.json()["error"]
    assert _state(c) == before


@pytest.mark.parametrize(
    "action, needle",
    [
        ({"agent_id": "a0", "turn": 1, "nonce": 1, "kind": "stake", "params": {"amount": -5}}, "amount"),
        ({"agent_id": "a0", "turn": 1, "nonce": 1, "kind": "fly", "params": {}}, "kind"),
        ({"agent_id": "zz", "turn": 1, "nonce": 1, "kind": "mine", "params": {}}, "unknown agent 'zz'"),
    ],
)
def test_a_malformed_action_is_rejected_alone(api, action, needle) -> None:
    c, w = api
    r = c.post("/turn", json={"turn": 1, "actions": [action, w["a1"].action(1, "job")]}, headers=AUTH)
    assert r.status_code == 200, r.text
    bad, good = r.json()["results"]
    assert not bad["accepted"] and needle in bad["reason"] and good["accepted"]
    assert c.get("/agent/a1").json()["balance"] == 105 and _state(c)["turn"] == 1


def test_overspend_fail_mode_changes_nothing_record_mode_records(api) -> None:
    c, w = api
    before = _state(c)
    act = w["a0"].action(1, "transfer", {"to": "a1", "amount": 1000})
    r = c.post("/turn", json={"turn": 1, "actions": [act], "on_invalid": "fail"}, headers=AUTH)
    assert r.status_code == 422 and "insufficient balance" in r.json()["error"]
    assert _state(c) == before
    r = c.post("/turn", json={"turn": 1, "actions": [act]}, headers=AUTH)
    assert r.status_code == 200 and r.json()["rejected"] == 1
    assert c.get("/agent/a0").json()["balance"] == 100 and _state(c)["turn"] == 1


def test_turns_are_idempotent(api) -> None:
    c, w = api
    body = {"turn": 1, "actions": [w["a0"].action(1, "mine"), w["a1"].action(1, "speak", {"message": "hi"})]}
    r1 = c.post("/turn", json=body, headers=AUTH).json()
    r2 = c.post("/turn", json=body, headers=AUTH).json()
    assert r1["replayed"] is False and r2["replayed"] is True
    assert r1["results"] == r2["results"] and r1["blocks"] == r2["blocks"]
    assert _state(c)["turn"] == 1 and _state(c)["chain"]["height"] == 1
    other = {"turn": 1, "actions": [w["a2"].action(1, "mine")]}
    r = c.post("/turn", json=other, headers=AUTH)
    assert r.status_code == 409 and "already applied" in r.json()["error"]
    assert c.get("/speech/1").json() == [{"turn": 1, "agent_id": "a1", "message": "hi"}]


def test_read_endpoints(api) -> None:
    c, w = api
    assert c.get("/agent/nobody").status_code == 404
    assert c.get("/contract/c0").status_code == 404
    assert c.get("/speech/-1").status_code == 422
    cfg = c.get("/config").json()
    assert cfg["num_cores"] == 4 and cfg["seed"] == 0
    act, h, cid = w["a0"].propose(1, "service", "a1", "a2", {"price": 5, "maturity": 2})
    c.post("/turn", json={"turn": 1, "actions": [act]}, headers=AUTH)
    got = c.get(f"/contract/{cid}").json()
    assert got["status"] == "proposed" and got["terms_hash"] == h
    st = _state(c)
    assert st["supply"]["invariant_ok"] and st["supply"]["total"] == 300
    assert c.get("/agent/a0").json()["open_contracts"] == [cid]


def test_concurrent_clients(live_server) -> None:
    w = _wallets()
    hdr = {"Authorization": f"Bearer {live_server.token}"}
    with httpx.Client(base_url=live_server.url, headers=hdr) as c:
        assert c.post("/init", json=_init_body(w)).status_code == 200
    same = {"turn": 1, "actions": [w["a0"].action(1, "mine"), w["a1"].action(1, "job")]}
    outcomes: list[tuple[int, bool | None]] = []
    lock = threading.Lock()

    def post(body: dict) -> None:
        with httpx.Client(base_url=live_server.url, headers=hdr, timeout=30) as c:
            r = c.post("/turn", json=body)
            c.get("/state")
            with lock:
                outcomes.append((r.status_code, r.json().get("replayed")))

    threads = [threading.Thread(target=post, args=(same,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [(200, False)] + [(200, True)] * 7
    # eight different bodies for turn 2: exactly one wins, the rest get 409
    outcomes.clear()
    bodies = [
        {"turn": 2, "actions": [w["a2"].action(2, "transfer", {"to": "a0", "amount": 1 + i})]}
        for i in range(8)
    ]
    threads = [threading.Thread(target=post, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o[0] for o in outcomes) == [200] + [409] * 7
    with httpx.Client(base_url=live_server.url) as c:
        st = c.get("/state").json()
        a2 = c.get("/agent/a2").json()
    assert st["turn"] == 2 and st["supply"]["invariant_ok"]
    assert 100 - a2["balance"] in range(1, 9) and st["chain"]["blocks_by_kind"]["mine"] == 1


def test_invariant_violation_refuses_the_turn(api, monkeypatch) -> None:
    from distsafe.economy.rules import ACTION_RULES

    c, w = api
    before = _state(c)

    def counterfeit(eng, a, p, nonce):  # a buggy rule that creates tokens without minting them
        a.balance += 5

    monkeypatch.setitem(ACTION_RULES, "job", counterfeit)
    r = c.post("/turn", json={"turn": 1, "actions": [w["a0"].action(1, "job")]}, headers=AUTH)
    assert r.status_code == 500 and "invariant broken" in r.json()["error"]
    assert _state(c) == before  # the engine was reloaded from its file


@pytest.mark.parametrize(
    "config, needle",
    [
        ('{"stake_weight": NaN}', "config.stake_weight: Input should be a finite number"),
        ('{"burn_weight": Infinity}', "config.burn_weight: Input should be a finite number"),
        ('{"mine_rewards": 1}', "config.mine_rewards: Extra inputs are not permitted"),
    ],
)
def test_init_refuses_a_bad_world_config(tmp_path, config, needle) -> None:
    agents = json.dumps(_init_body(_wallets())["agents"])
    with TestClient(create_app(tmp_path / "cfg.db", TOKEN)) as c:
        body = f'{{"config": {config}, "agents": {agents}}}'
        r = c.post("/init", content=body, headers={**AUTH, "Content-Type": "application/json"})
        assert r.status_code == 422 and r.json()["error"] == needle
        assert c.get("/state").status_code == 409  # no world was made
