"""Hostile input at the engine API (issue 9, findings 2, 3 and 12): non-finite and out-of-range numbers are
a 4xx naming the field, one hostile action is rejected alone, a failed turn leaves no trace in memory or on
disk, the admin token check is exact, bodies and turns are capped, and bought information is seen by its
buyer only."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx
import pytest

from distsafe.economy.crypto import sign_action
from distsafe.economy.limits import MAX_NONCE, NONCE_WINDOW

BIG = [2**63, 2**63 - 1, 2**64, 10**30]


def _db_dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = sqlite3.connect(db)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {t: sorted(map(tuple, con.execute(f'SELECT * FROM "{t}"'))) for t in names}  # noqa: S608
    finally:
        con.close()


def _engine_dump(eng: Any) -> dict[str, Any]:
    """Every piece of an engine's in-memory state (what a reload from the file must reproduce)."""
    return {
        "turn": eng.turn,
        "agents": {k: asdict(v) for k, v in eng.agents.items()},
        "contracts": {k: v.to_dict() for k, v in eng.contracts.items()},
        "listings": {k: v.to_dict() for k, v in eng.listings.items()},
        "chain": [b.to_dict() for b in eng.chain],
        "totals": (eng.minted, eng.burned, eng.destroyed_interest, eng.fee_pool, eng.pending_fees),
        "burned_by": dict(eng.burned_by),
        "speech": list(eng.speech),
    }


def _signed(w: Any, turn: int, nonce: int, kind: str, **params: Any) -> dict[str, Any]:
    return sign_action(w.key, w.agent_id, turn, nonce, kind, params)


# ---------------------------------------------------------- finding 2: non-finite numbers, failed turns


@pytest.mark.parametrize("token", ["Infinity", "-Infinity", "NaN"])
@pytest.mark.parametrize("field", ["study_bonus", "stake_weight", "negative_interest_rate"])
def test_init_with_a_non_finite_number_is_refused_and_makes_no_world(make_api, field, token) -> None:
    api = make_api()
    agents = json.dumps(api.init_body()["agents"])
    r = api.raw("/init", f'{{"config": {{"{field}": {token}}}, "agents": {agents}}}')
    assert r.status_code == 422 and r.headers["content-type"] == "application/json"
    assert r.json()["error"] == f"config.{field}: Input should be a finite number"
    assert api.c.get("/state").status_code == 409  # nothing stored
    api.init(study_bonus=0.5)  # the ledger is usable afterwards, and reopens
    from distsafe.economy.store import Store

    eng = Store(api.db).load()
    assert eng is not None and eng.cfg.study_bonus == 0.5


def _turn_one(api: Any) -> dict[str, Any]:
    w = api.w
    return {
        "turn": 1,
        "actions": [
            w["a0"].action(1, "job"),
            w["a1"].action(1, "mine"),
            w["a2"].action(1, "speak", {"message": "hello"}),
            w["a2"].action(1, "stake", {"amount": 10}),
        ],
        "usage": {"a1": 900},
    }


def _turn_two(api: Any) -> dict[str, Any]:
    w = api.w
    return {
        "turn": 2,
        "actions": [w["a0"].action(2, "mine"), w["a1"].action(2, "transfer", {"to": "a2", "amount": 7})],
    }


def _boom(*_: Any, **__: Any) -> None:
    raise RuntimeError("injected failure")


@pytest.mark.parametrize("where", ["rule", "upkeep", "maintain", "commit"])
def test_a_turn_that_fails_midway_leaves_no_trace(make_api, monkeypatch, where) -> None:
    """Inject a failure after the turn has already changed the world; the failed turn must leave memory and
    file as they were, and the next turns must give what a run without the failed turn gives."""
    from distsafe.economy import contracts, rules, upkeep

    hit, control = make_api("hit"), make_api("control")
    hit.init(), control.init()
    svc = hit.app.state.service
    before_mem, before_db = _engine_dump(svc.engine), _db_dump(hit.db)

    if where == "rule":  # the job has paid its wage when the stake rule fails
        monkeypatch.setitem(rules.ACTION_RULES, "stake", _boom)
    elif where == "upkeep":  # billing, auction and blocks done, dividends fail
        monkeypatch.setattr(upkeep, "pay_dividends", _boom)
    elif where == "maintain":
        monkeypatch.setattr(contracts, "maintain", _boom)
    else:  # the whole turn is written, the commit fails
        monkeypatch.setattr(svc, "commit_delay_s", 1.0)
        monkeypatch.setattr(time, "sleep", _boom)
    bodies = [_turn_one(hit), _turn_two(hit)]  # signed once: every post below sends these same bytes
    r = hit.turn(bodies[0])
    assert r.status_code == 500 and "injected failure" in r.json()["error"]
    monkeypatch.undo()
    assert _engine_dump(svc.engine) == before_mem
    assert _db_dump(hit.db) == before_db
    for body in bodies:
        got, want = hit.turn(body), control.turn(body)
        assert got.status_code == want.status_code == 200
        assert got.json() == want.json()
    assert _engine_dump(svc.engine) == _engine_dump(control.app.state.service.engine)
    assert _db_dump(hit.db) == _db_dump(control.db)
    assert hit.state()["supply"]["invariant_ok"]


def test_a_failed_turn_whose_reload_also_fails_serves_nothing_stale(make_api, monkeypatch) -> None:
    """The report: a turn fails and the ledger cannot be reloaded; the partial turn must not be served or
    committed with the next turn. The engine answers 503 until its file loads again."""
    from distsafe.economy import upkeep
    from distsafe.economy.store import Store

    hit, control = make_api("hit"), make_api("control")
    hit.init(), control.init()
    before = hit.state()
    monkeypatch.setattr(upkeep, "pay_dividends", _boom)
    monkeypatch.setattr(Store, "load", lambda self: (_ for _ in ()).throw(ValueError("disk says no")))
    bodies = [_turn_one(hit), _turn_two(hit)]
    assert hit.turn(bodies[0]).status_code == 500
    r = hit.c.get("/state")
    assert r.status_code == 503 and "disk says no" in r.json()["error"]
    assert hit.turn(bodies[0]).status_code == 503
    monkeypatch.undo()
    assert hit.state() == before
    for body in bodies:
        assert hit.turn(body).json() == control.turn(body).json()
    assert _db_dump(hit.db) == _db_dump(control.db)


# ------------------------------------------------------------------ finding 3: integers out of range


@pytest.mark.parametrize("nonce", BIG + [MAX_NONCE + 1])
def test_an_out_of_range_nonce_is_rejected_alone(api, nonce) -> None:
    w = api.w
    hostile = _signed(w["a0"], 1, nonce, "transfer", to="a1", amount=5)
    body = {"turn": 1, "actions": [w["a1"].action(1, "mine"), hostile, w["a2"].action(1, "job")]}
    r = api.turn(body)
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert [x["accepted"] for x in res] == [True, False, True]
    assert res[1]["agent_id"] == "a0" and "nonce" in res[1]["reason"]
    st = api.state()
    assert st["turn"] == 1 and st["supply"]["invariant_ok"]
    # the agent is not locked out: its next ordinary nonce works
    r = api.turn({"turn": 2, "actions": [_signed(w["a0"], 2, 1, "transfer", to="a1", amount=5)]})
    assert r.json()["results"][0]["accepted"], r.text


def test_a_nonce_may_not_jump_past_the_window(api) -> None:
    w = api.w["a0"]
    r = api.turn({"turn": 1, "actions": [_signed(w, 1, NONCE_WINDOW + 1, "job")]})
    assert not r.json()["results"][0]["accepted"] and "nonce" in r.json()["results"][0]["reason"]
    r = api.turn({"turn": 2, "actions": [_signed(w, 2, NONCE_WINDOW, "job")]})
    assert r.json()["results"][0]["accepted"]
    assert api.c.get("/agent/a0").json()["last_nonce"] == NONCE_WINDOW


@pytest.mark.parametrize(
    "kind, params, field",
    [
        ("stake", {"amount": 2**63}, "amount"),
        ("burn", {"amount": 10**30}, "amount"),
        ("transfer", {"to": "a1", "amount": 1, "fee": 2**64}, "fee"),
        ("sell_information", {"topic": "t", "price": 2**63, "content": "x"}, "price"),
        ("bid_core", {"amount": 2**63 - 1}, "amount"),
        ("transfer", {"to": "a1" * 10_000, "amount": 1}, "to"),
    ],
)
def test_out_of_range_action_params_are_rejected_alone(api, kind, params, field) -> None:
    w = api.w
    body = {"turn": 1, "actions": [w["a0"].action(1, kind, params), w["a1"].action(1, "job")]}
    r = api.turn(body)
    assert r.status_code == 200, r.text
    bad, good = r.json()["results"]
    assert not bad["accepted"] and field in bad["reason"] and good["accepted"]
    assert api.state()["supply"]["invariant_ok"]


def test_a_malformed_bundle_or_unknown_agent_is_rejected_alone(api) -> None:
    w = api.w
    big_bundle = w["a0"].bundle(1, [{"kind": "speak", "params": {"message": "x"}}] * 40)
    stranger = _signed(w["a0"], 1, 1, "job") | {"agent_id": "zz"}
    junk = {"agent_id": 7, "kind": [], "nonce": "x"}
    body = {"turn": 1, "actions": [stranger, junk, w["a1"].action(1, "job")], "bundles": [big_bundle]}
    r = api.turn(body)
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert [x["accepted"] for x in res] == [False, False, True, False]
    assert "unknown agent 'zz'" in res[0]["reason"] and "actions" in res[3]["reason"]
    assert api.state()["turn"] == 1


@pytest.mark.parametrize(
    "path, body, status, needle",
    [
        ("/turn", {"turn": 1, "usage": {"a0": 2**63}}, 422, "usage.a0"),
        ("/turn", {"turn": 1, "usage": {"a0": -3}}, 422, "usage.a0"),
        ("/turn", {"turn": 2**63}, 422, "turn"),
        ("/turn", {"turn": 2**64, "actions": []}, 422, "turn"),
        ("/init?force=true", {"config": {"genesis_balance": 2**63}}, 422, "config.genesis_balance"),
        ("/init?force=true", {"config": {"seed": 2**64}}, 422, "config.seed"),
        ("/init?force=true", {"config": {"job_wage": 10**20}}, 422, "config.job_wage"),
        ("/init?force=true", {"config": {"max_contract_turns": 2**63}}, 422, "config.max_contract_turns"),
    ],
)
def test_out_of_range_request_fields_are_4xx_naming_the_field(api, path, body, status, needle) -> None:
    if path.startswith("/init"):
        body = {**body, "agents": api.init_body()["agents"]}
    before = api.state()
    r = api.c.post(path, json=body, headers=api.auth)
    assert r.status_code == status, r.text
    assert r.json()["error"].startswith(needle) and "\n" not in r.json()["error"]
    assert api.state() == before


@pytest.mark.parametrize("turn", [2**63, 2**64, -1])
def test_speech_of_an_out_of_range_turn_is_422(api, turn) -> None:
    r = api.c.get(f"/speech/{turn}")
    assert r.status_code == 422 and r.json()["error"].startswith("turn")


@pytest.mark.parametrize(
    "body",
    [
        '{"turn": NaN}',
        '{"turn": 1, "usage": {"a0": Infinity}}',
        '{"turn": 1, "actions": [{"agent_id": "a0", "turn": 1, "nonce": -Infinity, "kind": "mine"}]}',
        '{"turn": 1, "actions": [{"agent_id": "a0", "turn": 1, "nonce": 1, "kind": "stake", '
        '"params": {"amount": NaN}}]}',
    ],
)
def test_nan_or_infinity_in_a_body_is_422_and_the_connection_survives(live_server, body) -> None:
    hdr = {"Authorization": f"Bearer {live_server.token}", "Content-Type": "application/json"}
    with httpx.Client(base_url=live_server.url, headers=hdr) as c:
        agents = [{"agent_id": a, "public_key": "ab" * 32} for a in ("a0", "a1")]
        assert c.post("/init", json={"agents": agents}).status_code == 200
        r = c.post("/turn", content=body)
        assert r.status_code == 422 and r.json()["error"].endswith(": Input should be a finite number")
        assert c.get("/health").status_code == 200  # same connection, still served
        assert c.get("/state").json()["turn"] == 0


# ---------------------------------------------------------- finding 12: token, sizes, bought information


@pytest.mark.parametrize(
    "header", ["s3cret", "Bearer  s3cret", "Bearer s3cret ", "Token s3cret", "Bearers3cret", "Bearer s3cre"]
)
def test_admin_token_check_is_exact(api, header) -> None:
    r = api.c.post("/turn", json={"turn": 1}, headers={"Authorization": header})
    assert r.status_code == 401 and "admin token" in r.json()["error"]
    assert (
        api.c.post("/turn", json={"turn": 1}, headers={"Authorization": "bearer s3cret"}).status_code == 200
    )


def test_request_bodies_have_a_size_limit(make_api) -> None:
    api = make_api(max_body_bytes=64 * 1024)
    api.init()
    msg = "x" * (100 * 1024)
    r = api.turn({"turn": 1, "actions": [api.w["a0"].action(1, "speak", {"message": msg})]})
    assert r.status_code == 413 and "64 KiB" in r.json()["error"]

    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"turn": 1, "usage": {}, "pad": "'
        for _ in range(100):
            yield b"y" * 1024
        yield b'"}'

    r = api.c.post("/turn", content=chunks(), headers={**api.auth, "Content-Type": "application/json"})
    assert r.status_code == 413
    assert api.state()["turn"] == 0
    assert api.turn({"turn": 1, "actions": [api.w["a0"].action(1, "job")]}).status_code == 200


def test_actions_per_turn_and_per_agent_are_capped(make_api) -> None:
    api = make_api(max_actions_per_turn=20, max_actions_per_agent=5)
    api.init()
    w = api.w
    speak = {"kind": "speak", "params": {"message": "m"}}
    r = api.turn({"turn": 1, "bundles": [w["a0"].bundle(1, [speak] * 21)]})
    assert r.status_code == 413 and "actions" in r.json()["error"] and "20" in r.json()["error"]
    body = {"turn": 1, "bundles": [w["a0"].bundle(1, [speak] * 4), w["a0"].bundle(1, [speak] * 2),
                                   w["a1"].bundle(1, [speak] * 5)]}  # fmt: skip
    res = api.turn(body).json()["results"]
    assert [x["accepted"] for x in res] == [True] * 4 + [False] * 2 + [True] * 5
    assert "more than 5 actions" in res[4]["reason"]


def test_bought_information_is_visible_to_its_buyer_only(api) -> None:
    w = api.w
    secret = "the block lottery favours the patient"
    sell = w["a1"].action(1, "sell_information", {"topic": "tip", "price": 3, "content": secret})
    r = api.turn({"turn": 1, "actions": [sell]})
    lid = r.json()["results"][0]["ref"]
    act, h, cid = w["a0"].propose(2, "information_sale", "a1", "a2", {"listing_id": lid, "price": 3,
                                                                       "maturity": 2})  # fmt: skip
    api.turn({"turn": 2, "actions": [act]})
    res = api.turn({"turn": 3, "actions": [w["a1"].sign_contract(3, cid, "counterparty", h),
                                           w["a2"].sign_contract(3, cid, "arbitrator", h)]})  # fmt: skip
    assert all(x["accepted"] for x in res.json()["results"])
    assert secret not in api.c.get("/agent/a0").text  # anyone: no content
    assert "purchased_information" not in api.c.get("/agent/a0").json()
    assert secret not in api.c.get("/agent/a0", headers=api.auth).text  # nor the admin
    assert secret not in api.c.get("/state").text
    mine = api.c.get("/agent/a0", headers=w["a0"].read_headers("a0"))
    assert mine.status_code == 200 and mine.json()["purchased_information"] == {lid: secret}
    other = api.c.get("/agent/a0", headers=w["a2"].read_headers("a0"))  # a2 signs a read of a0
    assert other.status_code == 403 and secret not in other.text
    stale = w["a0"].read_headers("a0", at=time.time() - 3600)
    assert api.c.get("/agent/a0", headers=stale).status_code == 403
    bad = {"X-Agent-Signature": "nonsense"}
    r = api.c.get("/agent/a0", headers=bad)
    assert r.status_code == 403 and "X-Agent-Signature" in r.json()["error"]
