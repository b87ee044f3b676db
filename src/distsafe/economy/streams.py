"""Random streams of the economy: numpy `SeedSequence` children of one root per world seed.

Each purpose has its own child of the root, and each turn (and agent) its own child of that:
`stream(seed, Purpose.BLOCK_LOTTERY, turn)` draws from
`SeedSequence(seed).spawn(n)[BLOCK_LOTTERY].spawn(m)[turn]` (a `SeedSequence` with that `spawn_key` is
exactly that child). So a purpose's draws never shift when another
purpose draws more or less, and they depend only on (seed, purpose, turn, agent): the engine, rebuilt from its
SQLite file after a crash, draws what it would have drawn without the crash.
"""

from __future__ import annotations

import hashlib
from enum import IntEnum

import numpy as np


class Purpose(IntEnum):
    """Index of each purpose's child of the root `SeedSequence(seed)`; never renumber (moves every draw)."""

    ACTION_ORDER = 0  # the engine's order of agents within a turn
    BLOCK_LOTTERY = 1  # the engine's mine and stake/burn block draws
    STRATEGY_DECISIONS = 2  # scripted strategies' choices, per agent per turn


def seed_sequence(seed: int, purpose: Purpose, *keys: int) -> np.random.SeedSequence:
    """The child of `SeedSequence(seed)` for `purpose`, then for each of `keys` (non-negative ints)."""
    return np.random.SeedSequence(seed, spawn_key=(int(purpose), *keys))


def stream(seed: int, purpose: Purpose, *keys: int) -> np.random.Generator:
    """A generator on `seed_sequence(seed, purpose, *keys)`."""
    return np.random.default_rng(seed_sequence(seed, purpose, *keys))


def agent_key(agent_id: str) -> int:
    """A stable integer for an agent id (Python's `hash` of a str changes between processes)."""
    return int.from_bytes(hashlib.sha256(agent_id.encode()).digest()[:8], "big")
