"""The six contract types end to end, with exact token flows, expiry and arbitrator default; only the right
parties sign, rule and attest."""

from __future__ import annotations


def _activate(w, type_: str, **terms) -> str:
    prop, _, cid = w.propose("a0", type_, "a1", "a2", **terms)
    r = w.turn(prop)
    assert r.results[0].accepted, r.results[0].reason
    r = w.turn(w.sign("a1", cid, "counterparty"), w.sign("a2", cid, "arbitrator"))
    assert all(x.accepted for x in r.results), [x.reason for x in r.results]
    assert w.eng.contracts[cid].status == "active"
    return cid


def _run_until(w, cid: str, limit: int = 20) -> None:
    for _ in range(limit):
        if w.eng.contracts[cid].status not in ("active", "proposed", "disputed"):
            return
        w.turn()
    raise AssertionError("contract never closed")


def test_forward_swaps_at_maturity(world) -> None:
    cid = _activate(world, "forward", give=10, receive=7, maturity=2)
    assert world.bal("a0") == 89 and world.bal("a1") == 93
    _run_until(world, cid)
    c = world.eng.contracts[cid]
    assert c.status == "settled" and c.resolved_turn == c.maturity_turn
    assert world.bal("a0") == 100 - 10 - 1 + 7 and world.bal("a1") == 100 - 7 + 10 and world.bal("a2") == 101


def test_loan_repaid_and_loan_default_slashes_stake(make_world) -> None:
    w = make_world(4)
    cid = _activate(w, "loan", principal=30, repay=36, maturity=2)
    assert w.bal("a1") == 130
    _run_until(w, cid)
    assert w.eng.contracts[cid].status == "settled" and w.bal("a0") == 100 - 30 - 1 + 36
    w2 = make_world(4)
    cid = _activate(w2, "loan", principal=30, repay=150, maturity=2)
    w2.turn(w2.act("a1", "stake", amount=120))
    _run_until(w2, cid)
    c = w2.eng.contracts[cid]
    # borrower had 10 liquid + 120 staked: pays 10 + 120, short by 20 -> defaulted
    assert c.status == "defaulted" and "short by 20" in c.outcome
    assert w2.bal("a0") == 100 - 30 - 1 + 130 and w2.eng.agents["a1"].staked == 0
    assert w2.eng.agents["a1"].rulings_lost == 1 and w2.eng.supply()["invariant_ok"]


def test_insurance_pays_when_no_block_won(world) -> None:
    cid = _activate(world, "insurance", premium=3, coverage=20, maturity=2)
    assert world.bal("a1") == 100 + 3 - 20
    _run_until(world, cid)
    c = world.eng.contracts[cid]
    assert c.outcome == "claim paid" and world.bal("a0") == 100 - 3 - 1 + 20


def test_insurance_no_claim_when_insured_mined(world) -> None:
    cid = _activate(world, "insurance", premium=3, coverage=20, maturity=2)
    world.turn(world.act("a0", "mine"))
    _run_until(world, cid)
    assert world.eng.contracts[cid].outcome == "no claim" and world.bal("a1") == 103


def test_service_both_attest(world) -> None:
    cid = _activate(world, "service", price=12, maturity=3)
    world.turn(world.act("a1", "confirm_delivery", contract_id=cid))
    assert world.eng.contracts[cid].status == "active"
    r = world.turn(
        world.act("a0", "confirm_delivery", contract_id=cid),
        world.act("a0", "confirm_delivery", contract_id=cid),
    )
    assert not r.results[1].accepted
    assert world.eng.contracts[cid].status == "settled"
    assert world.bal("a1") == 112 and world.bal("a0") == 87 and world.bal("a2") == 101


def test_information_sale_reveals_content_and_pays_seller(world) -> None:
    r = world.turn(world.act("a1", "sell_information", topic="odds", price=4, content="x" * 50))
    lid = r.results[0].ref
    cid = _activate(world, "information_sale", listing_id=lid, price=4, maturity=2)
    assert world.eng.agent_view("a0")["purchased_information"] == {lid: "x" * 50}
    assert "content" not in world.eng.state_view()["listings"][0]
    world.turn(
        world.act("a1", "confirm_delivery", contract_id=cid),
        world.act("a0", "confirm_delivery", contract_id=cid),
    )
    assert world.eng.contracts[cid].status == "settled" and world.bal("a1") == 104


def test_information_sale_validation(world) -> None:
    r = world.turn(world.act("a1", "sell_information", topic="odds", price=4, content="y"))
    lid = r.results[0].ref
    p1, _, _ = world.propose("a0", "information_sale", "a3", "a2", listing_id=lid, price=4, maturity=2)
    p2, _, _ = world.propose("a3", "information_sale", "a1", "a2", listing_id=lid, price=3, maturity=2)
    r = world.turn(p1, p2)
    assert "must be the listing's seller" in r.results[0].reason
    assert "below the listing price" in r.results[1].reason


def test_pool_shares_block_rewards(world) -> None:
    cid = _activate(world, "pool", share_bps=2500, maturity=3)
    world.turn(world.act("a1", "mine"))
    reward = world.cfg.mine_block_reward
    assert world.bal("a0") == 100 - 1 + reward // 4 and world.bal("a1") == 100 + reward - reward // 4
    _run_until(world, cid)
    assert world.eng.contracts[cid].status == "settled" and world.eng.supply()["invariant_ok"]


def test_unsigned_proposal_expires(world) -> None:
    prop, _, cid = world.propose("a0", "service", "a1", "a2", price=5, maturity=2)
    world.turn(prop)
    for _ in range(world.cfg.proposal_ttl):
        world.turn()
    c = world.eng.contracts[cid]
    assert c.status == "expired" and c.activated_turn is None and world.bal("a0") == 100


def test_silent_counterparty_then_dispute_window(world) -> None:
    cid = _activate(world, "service", price=10, maturity=1)
    world.turn(world.act("a1", "confirm_delivery", contract_id=cid))  # provider says delivered
    _run_until(world, cid)
    c = world.eng.contracts[cid]
    assert c.status == "settled" and "silent" in c.outcome and world.bal("a1") == 110


def test_arbitrator_default_slashes_collateral(world) -> None:
    cid = _activate(world, "service", price=10, maturity=2)
    world.turn(world.act("a0", "dispute_delivery", contract_id=cid, reason="late"))
    r = world.turn(world.act("a0", "dispute_delivery", contract_id=cid, reason="again"))
    assert "is disputed, not active" in r.results[0].reason
    _run_until(world, cid)
    c = world.eng.contracts[cid]
    half = world.cfg.arbitrator_collateral // 2
    assert c.status == "arbitrator_defaulted"
    assert world.bal("a0") == 100 + (world.cfg.arbitrator_collateral - half) and world.bal("a1") == 100 + half
    assert world.bal("a2") == 100 - world.cfg.arbitrator_collateral


def test_activation_refused_when_party_cannot_lock(make_world) -> None:
    w = make_world(4, genesis_balance=15, arbitrator_collateral=20)
    prop, _, cid = w.propose("a0", "service", "a1", "a2", price=5, maturity=2)
    w.turn(prop)
    r = w.turn(w.sign("a1", cid, "counterparty"), w.sign("a2", cid, "arbitrator"))
    reasons = [x.reason for x in r.results if not x.accepted]
    assert len(reasons) == 1 and "arbitrator a2 to lock 20 tokens but balance is 15" in reasons[0]
    assert w.eng.contracts[cid].status == "proposed" and w.bal("a0") == 15


def test_contract_needs_three_valid_signatures(world) -> None:
    prop, h, cid = world.propose("a0", "service", "a1", "a2", price=10, maturity=2)
    world.turn(prop)
    assert world.eng.contracts[cid].status == "proposed"
    # a3 signs in a1's role; a1 signs with a3's key; a1 signs the wrong terms
    wrong_party = world.w["a3"].sign_contract(world.next_turn, cid, "counterparty", h)
    forged_sig = world.w["a1"].sign_contract_body(cid, "counterparty", h)["params"]["signature"]
    bad = world.w["a1"].action(
        world.next_turn,
        "sign_contract",
        {"contract_id": cid, "role": "counterparty", "signature": forged_sig[::-1]},
    )
    r = world.turn(wrong_party, bad)
    assert "is not the counterparty" in r.results[0].reason
    assert "contract signature does not verify" in r.results[1].reason
    r = world.turn(world.sign("a1", cid, "counterparty"))
    assert r.results[0].accepted and world.eng.contracts[cid].status == "proposed"
    assert world.bal("a0") == 100  # nothing locked before the third signature
    r = world.turn(world.sign("a2", cid, "arbitrator"))
    assert r.results[0].accepted and world.eng.contracts[cid].status == "active"
    assert world.bal("a0") == 100 - 10 - world.cfg.arbitrator_fee
    assert world.bal("a2") == 100 - world.cfg.arbitrator_collateral


def test_proposer_signature_checked_and_not_reusable(world) -> None:
    body, h, cid = world.w["a0"].propose_body("service", "a1", "a2", {"price": 5, "maturity": 2}, 1)
    body["params"]["contract_signature"] = world.w["a3"].sign_terms(h)  # signed by someone else
    r = world.turn(world.w["a0"].action(world.next_turn, "propose_contract", body["params"]))
    assert "proposer contract signature does not verify" in r.results[0].reason
    # a genuine signature copied into a second proposal (new nonce -> new terms hash) fails too
    ok, h1, _ = world.propose("a0", "service", "a1", "a2", price=5, maturity=2)
    copy = world.w["a0"].action(world.next_turn + 1, "propose_contract", ok["params"])
    world.turn(ok)
    r = world.turn(copy)
    assert "does not verify" in r.results[0].reason


def test_only_arbitrator_rules_and_only_parties_attest(world) -> None:
    prop, h, cid = world.propose("a0", "service", "a1", "a2", price=10, maturity=1)
    world.turn(prop)
    world.turn(world.sign("a1", cid, "counterparty"), world.sign("a2", cid, "arbitrator"))
    r = world.turn(
        world.act("a3", "confirm_delivery", contract_id=cid),
        world.act("a0", "dispute_delivery", contract_id=cid, reason="nothing came"),
    )
    assert "is not the proposer or counterparty" in r.results[0].reason and r.results[1].accepted
    r = world.turn(
        world.act("a1", "arbitrator_ruling", contract_id=cid, in_favor_of="counterparty"),
        world.act("a2", "arbitrator_ruling", contract_id=cid, in_favor_of="proposer"),
    )
    assert "not the arbitrator" in r.results[0].reason and r.results[1].accepted
    c = world.eng.contracts[cid]
    assert c.status == "ruled" and c.escrow_total == 0
    # proposer refunded and awarded the slash; counterparty pays it from its balance
    assert world.bal("a0") == 100 - world.cfg.arbitrator_fee + world.cfg.slash_amount
    assert world.bal("a1") == 100 - world.cfg.slash_amount
    assert world.bal("a2") == 100 + world.cfg.arbitrator_fee
