"""Blocks, the Slimcoin rule and fork choice."""

from __future__ import annotations

import pytest

from distsafe.economy.blockchain import chain_errors, genesis_block, make_block, resolve_fork


def test_fork_resolution_and_slimcoin_rule() -> None:
    g = genesis_block(0)
    m1 = make_block(1, 1, "mine", "a", 1.0, 20, 0, g.hash)
    s2 = make_block(2, 1, "stake", "b", 4.0, 8, 0, m1.hash)
    m2 = make_block(2, 2, "mine", "c", 1.2, 20, 0, m1.hash)
    bad = make_block(3, 2, "burn", "d", 9.0, 8, 0, s2.hash)  # burn after stake: breaks the Slimcoin rule
    assert chain_errors([g, m1, s2, bad]) == ["block 3: burn block cannot follow a stake block"]
    assert chain_errors([g, make_block(1, 1, "stake", "b", 1.0, 8, 0, g.hash)])  # stake right after genesis
    tampered = make_block(2, 1, "stake", "b", 4.0, 8, 0, m1.hash).__class__(**{**s2.to_dict(), "reward": 999})
    assert chain_errors([g, m1, tampered]) == ["block 2: hash mismatch"]
    # more mine blocks (the clock) beat a heavier stake block; invalid chains never win
    assert resolve_fork([[g, m1, s2], [g, m1, m2]])[-1] is m2
    assert resolve_fork([[g, m1, s2, bad], [g, m1, s2]])[-1] is s2
    heavier = make_block(2, 2, "mine", "e", 3.0, 20, 0, m1.hash)
    assert resolve_fork([[g, m1, m2], [g, m1, heavier]])[-1] is heavier
    with pytest.raises(ValueError, match="no valid chain"):
        resolve_fork([[g, m1, s2, bad]])
