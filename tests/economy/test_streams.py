"""Random streams: numpy SeedSequence children per purpose, turn and agent; stateless across a reload."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

import distsafe.economy
from distsafe.economy.config import WorldConfig
from distsafe.economy.store import Store
from distsafe.economy.streams import Purpose, agent_key, seed_sequence, stream


def test_a_stream_is_the_spawned_child_of_the_root() -> None:
    root = np.random.SeedSequence(11)
    lottery = root.spawn(len(Purpose))[Purpose.BLOCK_LOTTERY]
    turn_4 = lottery.spawn(5)[4]
    assert (seed_sequence(11, Purpose.BLOCK_LOTTERY, 4).generate_state(8) == turn_4.generate_state(8)).all()
    a, b = stream(11, Purpose.BLOCK_LOTTERY, 4).random(3), np.random.default_rng(turn_4).random(3)
    assert a.tolist() == b.tolist()


def test_purposes_turns_and_agents_draw_apart() -> None:
    draws = {(p, t): int(stream(5, p, t).integers(0, 2**62)) for p in Purpose for t in (1, 2)}
    assert len(set(draws.values())) == len(draws) == 6
    a1 = stream(5, Purpose.STRATEGY_DECISIONS, agent_key("agent_1"), 3).random()
    a2 = stream(5, Purpose.STRATEGY_DECISIONS, agent_key("agent_2"), 3).random()
    assert a1 != a2
    assert stream(5, Purpose.ACTION_ORDER, 1).random() == stream(5, Purpose.ACTION_ORDER, 1).random()


def test_agent_key_is_stable_and_fits_a_spawn_key() -> None:
    assert agent_key("a0") == agent_key("a0") != agent_key("a1")
    assert 0 <= agent_key("a0") < 2**64


def test_engine_draws_the_same_after_a_reload(make_world, tmp_path) -> None:
    """The engine's streams depend only on (seed, purpose, turn), so a reloaded engine goes on identically."""

    def play(w, store=None):
        for _ in range(3):
            r = w.turn(*[w.act(a, "mine") for a in w.ids], w.act("a1", "stake", amount=5))
            if store is not None:
                store.save_turn(w.eng, r, f"h{r.turn}", "{}")
        return r

    plain = make_world(6, seed=9)
    play(plain)
    saved = make_world(6, seed=9)
    store = Store(tmp_path / "s.db")
    store.init_world(saved.eng)
    play(saved, store)
    saved.eng = store.load()
    a = plain.turn(*[plain.act(x, "mine") for x in plain.ids])
    b = saved.turn(*[saved.act(x, "mine") for x in saved.ids])
    assert [blk.hash for blk in a.blocks] == [blk.hash for blk in b.blocks]
    assert [r.to_dict() for r in a.results] == [r.to_dict() for r in b.results]


def test_seed_must_be_non_negative() -> None:
    with pytest.raises(ValidationError, match="seed"):
        WorldConfig(seed=-1)


def test_no_stdlib_random_in_the_economy() -> None:
    for path in Path(distsafe.economy.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                assert all(n.name != "random" for n in node.names), path.name
            if isinstance(node, ast.ImportFrom):
                assert node.module != "random", path.name
