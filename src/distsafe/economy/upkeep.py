"""End of a turn, after the actions: inference billing, the core auction, blocks, dividends and interest.

The engine calls these in this order (`Engine.apply_turn`); contract upkeep is `contracts.maintain`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from distsafe.economy import contracts
from distsafe.economy.blockchain import Block, burn_weight, make_block, mine_weight, run_lottery, stake_weight
from distsafe.economy.limits import chargeable, saturating_add
from distsafe.economy.streams import Purpose

if TYPE_CHECKING:
    from distsafe.economy.engine import Engine


def bill_inference(eng: Engine, usage: dict[str, int]) -> None:
    """Metered LLM output tokens above the commons threshold cost tokens, paid into the fee pool."""
    cfg = eng.cfg
    for aid in sorted(usage):
        tokens = usage[aid]
        a = eng.agents[aid]
        a.output_tokens = saturating_add(a.output_tokens, tokens)
        billable = max(0, tokens - cfg.commons_threshold)
        fee = chargeable(a.balance, -(-billable * cfg.inference_price_per_1k // 1000))  # ceil, exact
        if fee:
            a.balance -= fee  # inference already happened: the bill may push the balance negative
            a.inference_paid = saturating_add(a.inference_paid, fee)
            eng.fee_pool += fee
            eng.event("inference_fee", aid, -fee)


def resolve_auction(eng: Engine) -> None:
    """The `num_cores` highest bids (ties by agent id) win a core each; their bids are destroyed."""
    bids = sorted(eng.bids, key=lambda b: (-b[0], b[1]))
    for rank, (amount, aid) in enumerate(bids):
        a = eng.agents[aid]
        a.locked_bid = 0
        if rank < eng.cfg.num_cores:
            a.cores += 1
            eng.burn(amount, "core_auction")
            eng.event("core_won", aid, -amount)
        else:
            a.balance += amount
            eng.event("bid_refund", aid, amount)


def _award(eng: Engine, winner: str, amount: int, ref: str) -> None:
    keep = contracts.pool_shares(eng, winner, amount, ref)
    eng.agents[winner].balance += keep
    eng.agents[winner].blocks_won += 1
    eng.event("block_reward", winner, keep, ref)


def produce_blocks(eng: Engine) -> list[Block]:
    """One mine block among this turn's miners, then (Slimcoin rule) one stake/burn block."""
    cfg = eng.cfg
    if not eng.miners:
        return []
    rng = eng.rng(Purpose.BLOCK_LOTTERY)
    out: list[Block] = []
    miners = sorted(eng.miners)
    cands = [(m, "mine", mine_weight(eng.agents[m].study_level, cfg)) for m in miners]
    win = run_lottery(cands, rng)
    if win is None:
        return []
    fees, eng.pending_fees = eng.pending_fees, 0
    reward = eng.mint(cfg.mine_block_reward)
    tip = eng.chain[-1]
    blk = make_block(tip.height + 1, eng.turn, "mine", win[0], win[2], reward, fees, tip.hash)
    eng.chain.append(blk)
    out.append(blk)
    _award(eng, win[0], reward + fees, f"block:{blk.height}")
    # Slimcoin rule: the tip is now a mine block, so one stake/burn block may follow it.
    pos: list[tuple[str, str, float]] = []
    for aid in sorted(eng.agents):
        a = eng.agents[aid]
        if a.staked > 0:
            pos.append((aid, "stake", stake_weight(a.staked, cfg)))
        if a.burn_score > 0:
            pos.append((aid, "burn", burn_weight(a.burn_score, cfg)))
    win = run_lottery(pos, rng)
    if win is not None:
        reward = eng.mint(cfg.stake_block_reward)
        tip = eng.chain[-1]
        blk = make_block(tip.height + 1, eng.turn, win[1], win[0], win[2], reward, 0, tip.hash)
        eng.chain.append(blk)
        out.append(blk)
        _award(eng, win[0], reward, f"block:{blk.height}")
    return out


def pay_dividends(eng: Engine) -> None:
    """The fee pool goes to core owners per core; the remainder waits for the next turn."""
    owners = sorted((aid, a.cores) for aid, a in eng.agents.items() if a.cores)
    total = sum(c for _, c in owners)
    if not total or eng.fee_pool < total:
        return
    per_core = eng.fee_pool // total
    for aid, cores in owners:
        amount = per_core * cores
        eng.agents[aid].balance += amount
        eng.agents[aid].dividends = saturating_add(eng.agents[aid].dividends, amount)
        eng.event("dividend", aid, amount)
    eng.fee_pool -= per_core * total


def charge_interest(eng: Engine) -> None:
    """Interest on a negative balance, rounded up, is destroyed (deflationary)."""
    rate = eng.cfg.negative_interest_rate
    if rate <= 0:
        return
    for a in eng.agents.values():
        if a.balance < 0:
            interest = chargeable(a.balance, math.ceil(-a.balance * rate))
            a.balance -= interest
            eng.destroyed_interest += interest
            eng.event("interest_destroyed", a.agent_id, -interest)
