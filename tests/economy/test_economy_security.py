"""Only the right party can act: unsigned, forged, tampered and replayed actions and bad contract
signatures are all refused, and leave balances untouched."""

from __future__ import annotations

from conftest import World

from distsafe.economy.client import Wallet
from distsafe.economy.crypto import derive_key, sign_bundle


def _balances(w: World) -> dict[str, int]:
    return {a: w.bal(a) for a in w.ids}


def test_unsigned_action_rejected(world: World) -> None:
    act = world.act("a0", "transfer", to="a1", amount=10)
    act["signature"] = None
    r = world.turn(act)
    assert not r.results[0].accepted and r.results[0].reason == "unsigned action"
    assert _balances(world) == {a: 100 for a in world.ids}


def test_forged_action_rejected(world: World) -> None:
    thief = Wallet("a0", derive_key(world.cfg.seed, "a3"))  # a3 signs as a0
    r = world.turn(thief.action(world.next_turn, "transfer", {"to": "a3", "amount": 50}))
    assert not r.results[0].accepted and "signature does not verify" in r.results[0].reason
    assert world.bal("a0") == 100 and world.bal("a3") == 100
    assert world.eng.agents["a0"].last_nonce == 0  # a forgery does not burn the victim's nonce


def test_tampered_params_rejected(world: World) -> None:
    act = world.act("a0", "transfer", to="a1", amount=1)
    act["params"]["amount"] = 90
    r = world.turn(act)
    assert "signature does not verify" in r.results[0].reason and world.bal("a1") == 100


def test_replay_same_turn_and_later_turn_rejected(world: World) -> None:
    act = world.act("a0", "transfer", to="a1", amount=10)
    r = world.turn(act, dict(act))
    assert [x.accepted for x in r.results] == [True, False]
    assert "replayed nonce" in r.results[1].reason
    r = world.turn(dict(act))
    assert not r.results[0].accepted and "signed for turn 1" in r.results[0].reason
    act2 = dict(act, turn=world.next_turn)  # re-dated copy: the signature no longer matches
    r = world.turn(act2)
    assert "signature does not verify" in r.results[0].reason
    assert world.bal("a0") == 90 and world.bal("a1") == 110


def test_bundle_replay_and_forgery(world: World) -> None:
    b = world.w["a0"].bundle(world.next_turn, [{"kind": "transfer", "params": {"to": "a1", "amount": 5}},
                                               {"kind": "job", "params": {}}])
    from distsafe.economy.actions import TurnRequest

    r = world.eng.apply_turn(TurnRequest(turn=world.next_turn, bundles=[b]))
    assert [x.accepted for x in r.results] == [True, True]
    forged = sign_bundle(derive_key(world.cfg.seed, "a2"), "a1", world.next_turn, 1,
                         [{"kind": "transfer", "params": {"to": "a2", "amount": 50}}])
    r = world.eng.apply_turn(TurnRequest(turn=world.next_turn, bundles=[b, forged]))
    assert [x.accepted for x in r.results] == [False, False, False]
    assert "signed for turn 1" in r.results[0].reason and "signature" in r.results[2].reason
    assert world.bal("a1") == 105 and world.bal("a2") == 100


def test_contract_needs_three_valid_signatures(world: World) -> None:
    prop, h, cid = world.propose("a0", "service", "a1", "a2", price=10, maturity=2)
    world.turn(prop)
    assert world.eng.contracts[cid].status == "proposed"
    # a3 signs in a1's role; a1 signs with a3's key; a1 signs the wrong terms
    wrong_party = world.w["a3"].sign_contract(world.next_turn, cid, "counterparty", h)
    forged_sig = world.w["a1"].sign_contract_body(cid, "counterparty", h)["params"]["signature"]
    bad = world.w["a1"].action(world.next_turn, "sign_contract",
                               {"contract_id": cid, "role": "counterparty", "signature": forged_sig[::-1]})
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


def test_proposer_signature_checked_and_not_reusable(world: World) -> None:
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


def test_only_arbitrator_rules_and_only_parties_attest(world: World) -> None:
    prop, h, cid = world.propose("a0", "service", "a1", "a2", price=10, maturity=1)
    world.turn(prop)
    world.turn(world.sign("a1", cid, "counterparty"), world.sign("a2", cid, "arbitrator"))
    r = world.turn(world.act("a3", "confirm_delivery", contract_id=cid),
                   world.act("a0", "dispute_delivery", contract_id=cid, reason="nothing came"))
    assert "is not the proposer or counterparty" in r.results[0].reason and r.results[1].accepted
    r = world.turn(world.act("a1", "arbitrator_ruling", contract_id=cid, in_favor_of="counterparty"),
                   world.act("a2", "arbitrator_ruling", contract_id=cid, in_favor_of="proposer"))
    assert "not the arbitrator" in r.results[0].reason and r.results[1].accepted
    c = world.eng.contracts[cid]
    assert c.status == "ruled" and c.escrow_total == 0
    # proposer refunded and awarded the slash; counterparty pays it from its balance
    assert world.bal("a0") == 100 - world.cfg.arbitrator_fee + world.cfg.slash_amount
    assert world.bal("a1") == 100 - world.cfg.slash_amount
    assert world.bal("a2") == 100 + world.cfg.arbitrator_fee
