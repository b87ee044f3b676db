"""The rule of each action kind: check against the world state, then change it, or raise `Reject`.

Every rule checks before it mutates, so a rejected action leaves the world unchanged. `ACTION_RULES` maps an
action kind to its rule; the engine charges the action budget around the call.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from distsafe.economy import contracts
from distsafe.economy.records import Account, Listing, Reject

if TYPE_CHECKING:
    from distsafe.economy.engine import Engine

# (engine, acting account, parsed params, nonce) -> the reference the action created, if any
ActionRule = Callable[["Engine", Account, Any, int], "str | None"]


def _need(account: Account, amount: int, what: str) -> None:
    if amount > account.balance:
        raise Reject(f"insufficient balance for {what}: needs {amount}, has {account.balance}")


def mine(eng: Engine, a: Account, p: Any, nonce: int) -> None:
    if a.agent_id in eng.miners:
        raise Reject("already mined this turn")
    eng.miners.add(a.agent_id)


def stake(eng: Engine, a: Account, p: Any, nonce: int) -> None:
    _need(a, p.amount, "stake")
    a.balance -= p.amount
    a.staked += p.amount
    a.stake_locked_until = eng.turn + eng.cfg.stake_lock_turns


def unstake(eng: Engine, a: Account, p: Any, nonce: int) -> None:
    if p.amount > a.staked:
        raise Reject(f"cannot unstake {p.amount}: only {a.staked} staked")
    if eng.turn < a.stake_locked_until:
        raise Reject(f"stake locked until turn {a.stake_locked_until}")
    a.staked -= p.amount
    a.balance += p.amount


def burn(eng: Engine, a: Account, p: Any, nonce: int) -> None:
    _need(a, p.amount, "burn")
    a.balance -= p.amount
    a.burn_score += p.amount
    eng.burn(p.amount, "burn")


def study(eng: Engine, a: Account, p: Any, nonce: int) -> None:
    cfg = eng.cfg
    if a.study_level >= cfg.max_study_level:
        raise Reject(f"already at max study level {cfg.max_study_level}")
    _need(a, cfg.study_cost, "study")
    a.balance -= cfg.study_cost
    a.study_level += 1
    eng.burn(cfg.study_cost, "study")


def job(eng: Engine, a: Account, p: Any, nonce: int) -> None:
    wage = eng.mint(int(eng.cfg.job_wage * (1.0 + eng.cfg.study_bonus * a.study_level)))
    a.balance += wage
    eng.event("wage", a.agent_id, wage)


def transfer(eng: Engine, a: Account, p: Any, nonce: int) -> None:
    to = eng.agents.get(p.to)
    if to is None:
        raise Reject(f"unknown recipient {p.to!r}")
    if to is a:
        raise Reject("cannot transfer to yourself")
    _need(a, p.amount + p.fee, "transfer")
    a.balance -= p.amount + p.fee
    to.balance += p.amount
    eng.pending_fees += p.fee
    eng.event("transfer_in", to.agent_id, p.amount, a.agent_id)


def propose_contract(eng: Engine, a: Account, p: Any, nonce: int) -> str:
    return contracts.propose(eng, a.agent_id, nonce, p).contract_id


def sign_contract(eng: Engine, a: Account, p: Any, nonce: int) -> str:
    return contracts.sign(eng, a.agent_id, p).contract_id


def confirm_delivery(eng: Engine, a: Account, p: Any, nonce: int) -> str:
    return contracts.confirm(eng, a.agent_id, p.contract_id).contract_id


def dispute_delivery(eng: Engine, a: Account, p: Any, nonce: int) -> str:
    return contracts.dispute(eng, a.agent_id, p.contract_id, p.reason).contract_id


def arbitrator_ruling(eng: Engine, a: Account, p: Any, nonce: int) -> str:
    return contracts.rule(eng, a.agent_id, p).contract_id


def sell_information(eng: Engine, a: Account, p: Any, nonce: int) -> str:
    if len(p.content) > eng.cfg.max_info_chars:
        raise Reject(f"information longer than {eng.cfg.max_info_chars} characters")
    lid = f"L{len(eng.listings) + 1}"
    h = hashlib.sha256(p.content.encode()).hexdigest()
    eng.listings[lid] = Listing(lid, a.agent_id, p.topic, p.price, p.content, h, eng.turn)
    eng.dirty_listings.add(lid)
    return lid


def bid_core(eng: Engine, a: Account, p: Any, nonce: int) -> None:
    if eng.turn != eng.cfg.core_auction_turn:
        raise Reject(f"cores are auctioned on turn {eng.cfg.core_auction_turn} only")
    if a.locked_bid:
        raise Reject("already bid in this auction")
    _need(a, p.amount, "core bid")
    a.balance -= p.amount
    a.locked_bid = p.amount
    eng.bids.append((p.amount, a.agent_id))


def speak(eng: Engine, a: Account, p: Any, nonce: int) -> None:
    if len(p.message) > eng.cfg.max_speech_chars:
        raise Reject(f"message longer than {eng.cfg.max_speech_chars} characters")
    row = (eng.turn, a.agent_id, p.message)
    eng.speech.append(row)
    eng.new_speech.append(row)


ACTION_RULES: dict[str, ActionRule] = {
    "mine": mine,
    "stake": stake,
    "unstake": unstake,
    "burn": burn,
    "study": study,
    "job": job,
    "transfer": transfer,
    "propose_contract": propose_contract,
    "sign_contract": sign_contract,
    "confirm_delivery": confirm_delivery,
    "dispute_delivery": dispute_delivery,
    "arbitrator_ruling": arbitrator_ruling,
    "sell_information": sell_information,
    "bid_core": bid_core,
    "speak": speak,
}
