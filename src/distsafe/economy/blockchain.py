"""Blocks, validation weight, the block lottery, the Slimcoin rule and fork resolution.

Mine is the clock: each turn in which at least one agent mines produces a mine block, won by one miner
(winner takes all) with probability proportional to mining weight. A stake or burn block may only
follow a mine block (Slimcoin rule), so after the mine block one stake/burn block is drawn among all
agents with stake or burn score, weighted by their stake and burn weights.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from distsafe.economy.config import WorldConfig
from distsafe.economy.crypto import digest

GENESIS_PARENT = "0" * 64


@dataclass(frozen=True)
class Block:
    height: int
    turn: int
    kind: str  # genesis | mine | stake | burn
    validator: str
    weight: float
    reward: int
    fees: int
    parent_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_block(
    height: int, turn: int, kind: str, validator: str, weight: float, reward: int, fees: int, parent_hash: str
) -> Block:
    h = digest(
        {
            "height": height,
            "turn": turn,
            "kind": kind,
            "validator": validator,
            "weight": round(weight, 9),
            "reward": reward,
            "fees": fees,
            "parent": parent_hash,
        }
    )
    return Block(height, turn, kind, validator, weight, reward, fees, parent_hash, h)


def genesis_block(seed: int) -> Block:
    return make_block(0, 0, "genesis", f"seed:{seed}", 0.0, 0, 0, GENESIS_PARENT)


def mine_weight(study_level: int, cfg: WorldConfig) -> float:
    return cfg.mine_weight * (1.0 + cfg.study_bonus * study_level)


def stake_weight(staked: int, cfg: WorldConfig) -> float:
    return staked * cfg.stake_weight


def burn_weight(burn_score: float, cfg: WorldConfig) -> float:
    return burn_score * cfg.burn_weight


def decay_burn(burn_score: float, cfg: WorldConfig) -> float:
    v = burn_score * (1.0 - cfg.burn_decay)
    return v if v > 1e-9 else 0.0


def can_follow(parent_kind: str, kind: str) -> bool:
    """Slimcoin rule: stake and burn blocks only follow a mine block; mine blocks follow anything."""
    if kind == "mine":
        return parent_kind in ("genesis", "mine", "stake", "burn")
    if kind in ("stake", "burn"):
        return parent_kind == "mine"
    return False


def run_lottery(
    candidates: Sequence[tuple[str, str, float]], rng: np.random.Generator
) -> tuple[str, str, float] | None:
    """Winner-takes-all draw among (agent_id, kind, weight), probability proportional to weight.

    Candidates must be in a deterministic order; zero-weight candidates never win."""
    live = [c for c in candidates if c[2] > 0]
    if not live:
        return None
    total = sum(c[2] for c in live)
    x = rng.random() * total
    acc = 0.0
    for c in live:
        acc += c[2]
        if x < acc:
            return c
    return live[-1]


def chain_errors(chain: Sequence[Block]) -> list[str]:
    """Why a chain is invalid (empty list when valid): linkage, heights, hashes and the Slimcoin rule."""
    errors: list[str] = []
    if not chain or chain[0].kind != "genesis":
        return ["chain must start with a genesis block"]
    for prev, blk in zip(chain, chain[1:]):
        if blk.parent_hash != prev.hash:
            errors.append(f"block {blk.height}: parent hash does not match block {prev.height}")
        if blk.height != prev.height + 1:
            errors.append(f"block {blk.height}: height does not follow {prev.height}")
        if not can_follow(prev.kind, blk.kind):
            errors.append(f"block {blk.height}: {blk.kind} block cannot follow a {prev.kind} block")
        expect = make_block(
            blk.height, blk.turn, blk.kind, blk.validator, blk.weight, blk.reward, blk.fees, blk.parent_hash
        ).hash
        if expect != blk.hash:
            errors.append(f"block {blk.height}: hash mismatch")
    return errors


def cumulative_weight(chain: Iterable[Block]) -> float:
    return sum(b.weight for b in chain)


def resolve_fork(chains: Sequence[Sequence[Block]]) -> Sequence[Block]:
    """Fork choice: among valid chains, the one with the most mine blocks (mine is the clock), then the
    greatest cumulative validation weight, then the lowest tip hash. Raises if no chain is valid."""
    valid = [c for c in chains if not chain_errors(c)]
    if not valid:
        raise ValueError("no valid chain among the forks")

    def key(c: Sequence[Block]) -> tuple[int, float, str]:
        mines = sum(1 for b in c if b.kind == "mine")
        return (-mines, -round(cumulative_weight(c), 9), c[-1].hash)

    return min(valid, key=key)
