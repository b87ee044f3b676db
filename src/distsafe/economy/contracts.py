"""Contract lifecycle: propose -> sign (x3) -> active -> settle | dispute -> ruling, with slashing.

Funds move only between balances and the contract's escrow, so the supply is conserved. Each check
happens before any mutation: a rejected action leaves the world unchanged.

Escrow entries: `proposer` / `counterparty` (type-specific locks), `arbitrator` (collateral),
`fee` (the arbitrator fee, locked from the proposer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from distsafe.economy.actions import ProposeParams, RulingParams, SignParams
from distsafe.economy.config import ATTESTED_TYPES, AUTOMATIC_TYPES
from distsafe.economy.crypto import contract_id_for, contract_payload, contract_terms_hash, verify
from distsafe.economy.limits import chargeable
from distsafe.economy.records import Contract, Reject

if TYPE_CHECKING:
    from distsafe.economy.engine import Engine


def propose(eng: Engine, agent_id: str, nonce: int, p: ProposeParams) -> Contract:
    cfg = eng.cfg
    for role, other in (("counterparty", p.counterparty), ("arbitrator", p.arbitrator)):
        if other not in eng.agents:
            raise Reject(f"unknown {role} {other!r}")
    if len({agent_id, p.counterparty, p.arbitrator}) != 3:
        raise Reject("proposer, counterparty and arbitrator must be three different agents")
    terms = p.terms_dict()
    if terms["maturity"] > cfg.max_contract_turns:
        raise Reject(f"maturity {terms['maturity']} exceeds max_contract_turns {cfg.max_contract_turns}")
    collateral = terms.get("collateral", cfg.arbitrator_collateral)
    if collateral < cfg.arbitrator_collateral:
        raise Reject(f"arbitrator collateral {collateral} below the minimum {cfg.arbitrator_collateral}")
    if p.type == "information_sale":
        listing = eng.listings.get(terms["listing_id"])
        if listing is None:
            raise Reject(f"unknown listing {terms['listing_id']!r}")
        if listing.seller != p.counterparty:
            raise Reject("information_sale counterparty must be the listing's seller")
        if terms["price"] < listing.price:
            raise Reject(f"price {terms['price']} below the listing price {listing.price}")
    h = contract_terms_hash(p.type, agent_id, p.counterparty, p.arbitrator, terms, nonce)
    cid = contract_id_for(h)
    if cid in eng.contracts:
        raise Reject(f"contract {cid} already exists")
    if not verify(eng.agents[agent_id].public_key, contract_payload(h), p.contract_signature):
        raise Reject("proposer contract signature does not verify against the terms")
    c = Contract(
        contract_id=cid,
        type=p.type,
        proposer=agent_id,
        counterparty=p.counterparty,
        arbitrator=p.arbitrator,
        terms=terms,
        terms_hash=h,
        collateral=collateral,
        created_turn=eng.turn,
        signatures={"proposer": p.contract_signature},
    )
    eng.contracts[cid] = c
    eng.dirty_contracts.add(cid)
    return c


def _locks(eng: Engine, c: Contract) -> dict[str, int]:
    """Tokens each role must lock (or pay) when the contract activates."""
    t = c.terms
    need = {"proposer": eng.cfg.arbitrator_fee, "counterparty": 0, "arbitrator": c.collateral}
    if c.type == "forward":
        need["proposer"] += t["give"]
        need["counterparty"] += t["receive"]
    elif c.type == "loan":
        need["proposer"] += t["principal"]
    elif c.type in ("service", "information_sale"):
        need["proposer"] += t["price"]
    elif c.type == "insurance":
        need["proposer"] += t["premium"]
        need["counterparty"] += t["coverage"]
    return need


def sign(eng: Engine, agent_id: str, p: SignParams) -> Contract:
    c = eng.contracts.get(p.contract_id)
    if c is None:
        raise Reject(f"unknown contract {p.contract_id!r}")
    if c.status != "proposed":
        raise Reject(f"contract {c.contract_id} is {c.status}, not open for signatures")
    if c.party(p.role) != agent_id:
        raise Reject(f"{agent_id} is not the {p.role} of contract {c.contract_id}")
    if p.role in c.signatures:
        raise Reject(f"{p.role} already signed contract {c.contract_id}")
    if not verify(eng.agents[agent_id].public_key, contract_payload(c.terms_hash), p.signature):
        raise Reject(f"{p.role} contract signature does not verify against the terms")
    sigs = dict(c.signatures, **{p.role: p.signature})
    if len(sigs) == 3:
        # Each stored signature was verified against the terms hash when it was added; terms are immutable.
        if set(sigs) != {"proposer", "counterparty", "arbitrator"}:
            raise Reject("contract needs the proposer's, counterparty's and arbitrator's signatures")
        need = _locks(eng, c)
        for role, amount in need.items():
            bal = eng.agents[c.party(role)].balance
            if amount > bal:
                raise Reject(
                    f"activation needs {role} {c.party(role)} to lock {amount} tokens but balance is {bal}"
                )
        c.signatures = sigs
        _activate(eng, c, need)
    else:
        c.signatures = sigs
    eng.dirty_contracts.add(c.contract_id)
    return c


def _activate(eng: Engine, c: Contract, need: dict[str, int]) -> None:
    t = c.terms
    ag = eng.agents
    for role, amount in need.items():
        ag[c.party(role)].balance -= amount
    c.escrow = {
        "proposer": need["proposer"] - eng.cfg.arbitrator_fee,
        "counterparty": need["counterparty"],
        "arbitrator": need["arbitrator"],
        "fee": eng.cfg.arbitrator_fee,
    }
    if c.type == "loan":  # principal goes straight to the borrower
        c.escrow["proposer"] -= t["principal"]
        ag[c.counterparty].balance += t["principal"]
        eng.event("loan_disbursed", c.counterparty, t["principal"], c.contract_id)
    elif c.type == "insurance":  # the premium is paid to the insurer at once
        c.escrow["proposer"] -= t["premium"]
        ag[c.counterparty].balance += t["premium"]
        eng.event("premium", c.counterparty, t["premium"], c.contract_id)
    elif c.type == "information_sale":
        listing = eng.listings[t["listing_id"]]
        if c.proposer not in listing.buyers:
            listing.buyers.append(c.proposer)
            eng.dirty_listings.add(listing.listing_id)
    c.status = "active"
    c.activated_turn = eng.turn
    c.maturity_turn = eng.turn + t["maturity"]
    c.blocks_at_activation = ag[c.proposer].blocks_won


def _pay(eng: Engine, c: Contract, entry: str, to_agent: str, amount: int, why: str) -> None:
    amount = min(amount, c.escrow.get(entry, 0))
    if amount <= 0:
        return
    c.escrow[entry] -= amount
    eng.agents[to_agent].balance += amount
    eng.event(why, to_agent, amount, c.contract_id)


def _release_arbitrator(eng: Engine, c: Contract, fee_to: str | None = None) -> None:
    _pay(eng, c, "arbitrator", c.arbitrator, c.escrow.get("arbitrator", 0), "collateral_returned")
    _pay(eng, c, "fee", fee_to or c.arbitrator, c.escrow.get("fee", 0), "arbitrator_fee")


def _close(eng: Engine, c: Contract, status: str, outcome: str) -> None:
    if c.escrow_total != 0:
        raise RuntimeError(f"contract {c.contract_id} closed with {c.escrow_total} tokens in escrow")
    c.status = status
    c.outcome = outcome
    c.resolved_turn = eng.turn
    eng.dirty_contracts.add(c.contract_id)


def _slash(eng: Engine, loser: str, winner: str, amount: int, ref: str) -> int:
    """Loser pays up to `amount` to the winner, from stake first, then balance (which may go negative, down
    to the debt limit)."""
    a = eng.agents[loser]
    from_stake = min(a.staked, amount)
    a.staked -= from_stake
    amount = from_stake + chargeable(a.balance, amount - from_stake)
    a.balance -= amount - from_stake
    eng.agents[winner].balance += amount
    if amount:
        eng.event("slash", loser, -amount, ref)
        eng.event("slash_award", winner, amount, ref)
    return amount


def _own(c: Contract, agent_id: str, roles: tuple[str, ...]) -> str:
    role = c.role_of(agent_id)
    if role not in roles:
        raise Reject(f"{agent_id} is not the {' or '.join(roles)} of contract {c.contract_id}")
    return role


def _get(eng: Engine, cid: str) -> Contract:
    c = eng.contracts.get(cid)
    if c is None:
        raise Reject(f"unknown contract {cid!r}")
    return c


def confirm(eng: Engine, agent_id: str, cid: str) -> Contract:
    c = _get(eng, cid)
    role = _own(c, agent_id, ("proposer", "counterparty"))
    if c.type not in ATTESTED_TYPES:
        raise Reject(f"{c.type} contracts settle automatically; nothing to confirm")
    if c.status != "active":
        raise Reject(f"contract {cid} is {c.status}, not active")
    if role in c.confirmations:
        raise Reject(f"{role} already confirmed contract {cid}")
    c.confirmations.append(role)
    eng.dirty_contracts.add(cid)
    if len(c.confirmations) == 2:
        _pay(eng, c, "proposer", c.counterparty, c.escrow["proposer"], "settlement")
        _release_arbitrator(eng, c)
        _close(eng, c, "settled", "delivered")
    return c


def dispute(eng: Engine, agent_id: str, cid: str, reason: str) -> Contract:
    c = _get(eng, cid)
    role = _own(c, agent_id, ("proposer", "counterparty"))
    if c.type not in ATTESTED_TYPES:
        raise Reject(f"{c.type} contracts settle automatically and cannot be disputed")
    if c.status != "active":
        raise Reject(f"contract {cid} is {c.status}, not active")
    c.status = "disputed"
    c.dispute = {"by": role, "reason": reason, "turn": eng.turn}
    eng.dirty_contracts.add(cid)
    return c


def rule(eng: Engine, agent_id: str, p: RulingParams) -> Contract:
    c = _get(eng, p.contract_id)
    if c.arbitrator != agent_id:
        raise Reject(f"{agent_id} is not the arbitrator of contract {c.contract_id}")
    if c.status != "disputed":
        raise Reject(f"contract {c.contract_id} is {c.status}, not disputed")
    winner_role = p.in_favor_of
    loser_role = "counterparty" if winner_role == "proposer" else "proposer"
    winner, loser = c.party(winner_role), c.party(loser_role)
    _pay(eng, c, "proposer", winner, c.escrow["proposer"], "ruling_award")
    _release_arbitrator(eng, c)
    _slash(eng, loser, winner, eng.cfg.slash_amount, c.contract_id)
    eng.agents[loser].rulings_lost += 1
    c.ruling = winner_role
    _close(eng, c, "ruled", f"ruled for {winner_role}")
    return c


def _settle_automatic(eng: Engine, c: Contract) -> None:
    ag = eng.agents
    status, outcome = "settled", "matured"
    if c.type == "forward":
        _pay(eng, c, "proposer", c.counterparty, c.escrow["proposer"], "settlement")
        _pay(eng, c, "counterparty", c.proposer, c.escrow["counterparty"], "settlement")
    elif c.type == "loan":
        due = c.terms["repay"]
        b = ag[c.counterparty]
        from_bal = min(due, max(b.balance, 0))
        b.balance -= from_bal
        remaining = due - from_bal
        from_stake = min(b.staked, remaining)
        b.staked -= from_stake
        remaining -= from_stake
        ag[c.proposer].balance += due - remaining
        eng.event("loan_repaid", c.proposer, due - remaining, c.contract_id)
        if from_stake:
            eng.event("slash", c.counterparty, -from_stake, c.contract_id)
        if remaining:
            status, outcome = "defaulted", f"borrower short by {remaining}"
            b.rulings_lost += 1
    elif c.type == "insurance":
        no_block = ag[c.proposer].blocks_won == c.blocks_at_activation
        to = c.proposer if no_block else c.counterparty
        why = "insurance_payout" if no_block else "settlement"
        _pay(eng, c, "counterparty", to, c.escrow["counterparty"], why)
        outcome = "claim paid" if no_block else "no claim"
    _release_arbitrator(eng, c)
    _close(eng, c, status, outcome)


def maintain(eng: Engine) -> None:
    """End-of-turn contract upkeep: expiry, automatic settlement, silent attestation, arbitrator default."""
    cfg, turn = eng.cfg, eng.turn
    for cid in list(eng.open_contracts()):
        c = eng.contracts[cid]
        if c.status == "proposed":
            if turn >= c.created_turn + cfg.proposal_ttl:
                _close(eng, c, "expired", "not signed in time")
        elif c.status == "active" and c.type in AUTOMATIC_TYPES:
            if turn >= (c.maturity_turn or 0):
                _settle_automatic(eng, c)
        elif c.status == "active":
            if turn >= (c.maturity_turn or 0) + cfg.dispute_window:
                if c.confirmations:  # one side attested and the other stayed silent: delivery accepted
                    _pay(eng, c, "proposer", c.counterparty, c.escrow["proposer"], "settlement")
                    _release_arbitrator(eng, c)
                    _close(eng, c, "settled", f"{c.confirmations[0]} attested, other side silent")
                else:
                    _pay(eng, c, "proposer", c.proposer, c.escrow["proposer"], "refund")
                    _release_arbitrator(eng, c, fee_to=c.proposer)
                    _close(eng, c, "expired", "nobody attested delivery")
        elif c.status == "disputed":
            if turn >= c.dispute["turn"] + cfg.ruling_deadline:  # type: ignore[index]
                _pay(eng, c, "proposer", c.proposer, c.escrow["proposer"], "refund")
                _pay(eng, c, "fee", c.proposer, c.escrow["fee"], "refund")
                half = c.escrow["arbitrator"] // 2
                _pay(eng, c, "arbitrator", c.counterparty, half, "collateral_slashed")
                _pay(eng, c, "arbitrator", c.proposer, c.escrow["arbitrator"], "collateral_slashed")
                eng.agents[c.arbitrator].rulings_lost += 1
                _close(eng, c, "arbitrator_defaulted", "no ruling before the deadline")


def pool_shares(eng: Engine, winner: str, reward: int, ref: str) -> int:
    """Pay pool partners their share of a block reward; returns what the winner keeps."""
    keep = reward
    for cid in eng.active_pools.get(winner, ()):
        c = eng.contracts[cid]
        partner = c.counterparty if c.proposer == winner else c.proposer
        share = min(keep, reward * c.terms["share_bps"] // 10_000)
        if share > 0:
            keep -= share
            eng.agents[partner].balance += share
            eng.event("pool_share", partner, share, cid)
    return keep
