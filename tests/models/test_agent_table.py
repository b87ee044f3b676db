"""The agent table: declared columns, populations without per-agent objects, growth that keeps values."""

from __future__ import annotations

import numpy as np
import pytest

from distsafe.models.agent import AgentType
from distsafe.models.agent_table import AgentIds, AgentTable

INT32 = (
    "group",
    "n_initiated",
    "n_received",
    "posts",
    "votes_cast",
    "frozen_until",
    "epoch_posts",
    "epoch_votes",
    "epoch_interactions",
    "epoch_actions",
)


def test_columns_are_declared_with_dtypes_and_defaults():
    cols = AgentTable.declared_columns()
    assert cols["type_code"].dtype == np.int8
    assert all(cols[name].dtype == np.int32 for name in INT32)
    assert (
        cols["resources"].default == 100.0
        and cols["group"].default == -1
        and cols["frozen_until"].default == -1
    )
    assert all(c.doc for c in cols.values())


def test_population_and_named_agents_get_defaults_and_their_values():
    t = AgentTable()
    rows = t.add(AgentType.HONEST, 2, prefix="h", count=3, resources=50.0, reputation=0.5)
    assert rows.tolist() == [0, 1, 2] and len(t) == t.n == 3
    assert t.add(AgentType.DECEPTIVE, 0, name="eve").tolist() == [3]
    assert t.type_code.tolist() == [AgentType.HONEST.code] * 3 + [AgentType.DECEPTIVE.code]
    assert t.group.tolist() == [2, 2, 2, 0]
    assert t.resources.tolist() == [50.0, 50.0, 50.0, 100.0]
    assert t.reputation.tolist() == [0.5, 0.5, 0.5, 0.0]
    assert t.frozen_until.tolist() == [-1] * 4 and t.total_payoff.tolist() == [0.0] * 4
    assert [t.ids[i] for i in range(4)] == ["h_1", "h_2", "h_3", "eve"]
    with pytest.raises(ValueError):
        t.add(AgentType.HONEST, 0, prefix="x", count=0)


def test_named_batch():
    t = AgentTable()
    t.add(AgentType.HONEST, 0, prefix="h", count=2)
    rows = t.add_named_batch(
        ["a", "b"], AgentType.LLM, np.array([4, 5]), np.array([0.1, 0.2]), np.array([7.0, 8.0])
    )
    assert rows.tolist() == [2, 3]
    assert t.group.tolist() == [0, 0, 4, 5] and t.reputation.tolist() == [0.0, 0.0, 0.1, 0.2]
    assert t.resources.tolist() == [100.0, 100.0, 7.0, 8.0] and t.ids.index_of("b") == 3
    with pytest.raises(ValueError, match="duplicate"):
        t.add_named_batch(["a"], AgentType.LLM, np.zeros(1), np.zeros(1), np.zeros(1))


def test_adding_agents_keeps_the_values_of_earlier_rows():
    t = AgentTable()
    t.add(AgentType.HONEST, 0, prefix="h", count=5)
    t.reputation[:] = np.arange(5.0)
    t.total_payoff[2] = 3.25
    for k in range(40):  # many small additions: several growths
        t.add(AgentType.ADVERSARIAL, 1, name=f"x{k}")
    assert t.reputation[:5].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0] and t.total_payoff[2] == 3.25
    assert len(t) == 45 and t.capacity >= 45 and t.reputation.shape == (45,)


def test_epoch_counters_frozen_mask_and_state_of():
    t = AgentTable()
    t.add(AgentType.OPPORTUNISTIC, 0, prefix="o", count=2)
    t.epoch_posts += 3
    t.epoch_spend[1] = 2.5
    t.reset_epoch_counters()
    assert t.epoch_posts.tolist() == [0, 0] and t.epoch_spend.tolist() == [0.0, 0.0]
    t.frozen_until[1] = 4
    assert t.frozen_mask(3).tolist() == [False, True] and t.frozen_mask(4).tolist() == [False, False]
    t.n_initiated[1] = 6
    s = t.state_of(1, epoch=3)
    assert (s.agent_id, s.agent_type, s.interactions_initiated, s.is_frozen) == (
        "o_2",
        AgentType.OPPORTUNISTIC,
        6,
        True,
    )


def test_memory_bytes_is_fixed_width_per_agent():
    t = AgentTable()
    for count in (400, 200, 200, 200):
        t.add(AgentType.HONEST, 0, prefix=f"p{count}_{len(t)}", count=count)
    width = sum(c.dtype.itemsize for c in AgentTable.declared_columns().values())
    assert width == 77 and t.memory_bytes() == 1000 * width
    assert t.capacity_nbytes() >= t.memory_bytes()


def test_agent_ids_segments():
    ids = AgentIds()
    ids.add_population("w", 3)
    ids.add_named("boss")
    assert list(ids) == ["w_1", "w_2", "w_3", "boss"] and ids.index_of("w_3") == 2 and "boss" in ids
    assert ids.index_of("w_4") is None and ids.index_of("w_01") is None
    with pytest.raises(ValueError):
        ids.add_named("w_2")
