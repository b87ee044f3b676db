"""The typed column store: declared columns, one growth policy, appends equal one concatenation."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.models.column_store import MIN_ROWS, Column, ColumnStore, grown_capacity


class Ledger(ColumnStore):
    amount: Column[np.float64] = Column(np.float64, 1.5, "money")
    owner: Column[np.int32] = Column(np.int32, -1, "agent row")
    flag: Column[np.bool_] = Column(np.bool_, False, "a flag")


class Wide(Ledger):
    slots: Column[np.int16] = Column(np.int16, -1, "a matrix column")

    def __init__(self, width: int) -> None:
        super().__init__(row_shapes={"slots": (width,)})


def test_declared_columns_in_order_with_dtypes_defaults_and_docs():
    cols = Wide.declared_columns()
    assert list(cols) == ["amount", "owner", "flag", "slots"]  # base class columns first
    assert (
        cols["owner"].dtype == np.int32 and cols["owner"].default == -1 and cols["owner"].doc == "agent row"
    )
    assert isinstance(Ledger.amount, Column)  # on the class, the descriptor; on an instance, the array


def test_new_store_is_empty_and_typed():
    s = Ledger()
    assert len(s) == 0 and s.capacity == 0
    assert s.amount.dtype == np.float64 and s.owner.dtype == np.int32 and s.flag.shape == (0,)


def test_append_fills_defaults_and_returns_first_row():
    s = Ledger()
    assert s.append(3, amount=[1.0, 2.0, 3.0]) == 0
    assert s.append(2, owner=7) == 3
    assert s.amount.tolist() == [1.0, 2.0, 3.0, 1.5, 1.5]
    assert s.owner.tolist() == [-1, -1, -1, 7, 7]
    assert s.flag.tolist() == [False] * 5
    with pytest.raises(ValueError, match="unknown columns"):
        s.append(1, nope=1)


def test_matrix_columns_take_their_width_per_instance():
    w = Wide(3)
    w.append(2)
    assert w.slots.shape == (2, 3) and (w.slots == -1).all()
    w.slots[1, 2] = 5
    w.append(40)
    assert w.slots.shape == (42, 3) and w.slots[1].tolist() == [-1, -1, 5]
    assert Wide(0).slots.shape == (0, 0)


def test_assignment_writes_into_the_live_rows():
    s = Ledger()
    s.append(4, amount=[1.0, 2.0, 3.0, 4.0])
    view = s.amount
    s.amount *= 2.0  # in place: the same view comes back
    assert view.tolist() == [2.0, 4.0, 6.0, 8.0] and s.amount is view
    s.amount = np.zeros(4)
    assert view.tolist() == [0.0] * 4  # written into the buffer, not replacing it
    with pytest.raises(ValueError):
        s.amount = np.zeros(5)


def test_views_share_the_buffers_until_growth():
    s = Ledger()
    s.append(MIN_ROWS)
    before = s.amount
    s.amount[0] = 9.0
    assert s.amount[0] == 9.0
    s.append(1)  # grows: the new view holds the old values
    assert s.amount[0] == 9.0 and s.capacity == grown_capacity(MIN_ROWS, MIN_ROWS + 1)
    assert before[0] == 9.0


def test_growth_policy():
    assert grown_capacity(0, 1) == MIN_ROWS
    assert grown_capacity(0, 10**6) == 10**6  # one bulk add allocates what it needs
    assert grown_capacity(100, 101) == 150
    assert grown_capacity(100, 400) == 400
    # n appends of one row copy O(n) rows in all
    s = Ledger()
    copies, cap = 0, 0
    for _ in range(5000):
        s.append(1)
        if s.capacity != cap:
            copies += len(s) - 1
            cap = s.capacity
    assert copies < 3 * 5000


def test_drop_front_keep_clear_release():
    s = Ledger()
    s.append(6, amount=np.arange(6.0), owner=np.arange(6))
    s.drop_front(2)
    assert s.amount.tolist() == [2.0, 3.0, 4.0, 5.0] and len(s) == 4
    s.keep(np.array([True, False, True, True]))
    assert s.owner.tolist() == [2, 4, 5]
    s.drop_front(10)
    assert len(s) == 0
    s.append(2, owner=[8, 9])
    assert s.owner.tolist() == [8, 9]
    cap = s.capacity
    s.clear()
    assert len(s) == 0 and s.capacity == cap
    kept = s.owner
    s.append(1, owner=1)
    s.release()
    assert len(s) == 0 and s.capacity == 0 and kept.shape == (0,)


def test_nbytes_counts_live_rows_and_capacity_the_buffers():
    s = Ledger()
    s.append(10)
    assert s.nbytes() == 10 * (8 + 4 + 1)
    assert s.capacity_nbytes() == s.capacity * (8 + 4 + 1) >= s.nbytes()


def test_pickle_keeps_views_attached_to_buffers():
    s = Ledger()
    s.append(5, amount=np.arange(5.0))
    s.drop_front(1)
    t = pickle.loads(pickle.dumps(s))
    assert t.amount.tolist() == [1.0, 2.0, 3.0, 4.0]
    t.append(1)
    t.amount[0] = -1.0
    assert t.amount.tolist() == [-1.0, 2.0, 3.0, 4.0, 1.5]


def test_row_shapes_must_name_columns():
    with pytest.raises(ValueError, match="unknown columns"):
        Ledger(row_shapes={"nope": (2,)})


def test_schema_columns_by_class_keyword():
    class Rows(
        ColumnStore, columns=[Column(np.int8, 3, "x", name="x"), Column(np.float32, 0.5, "y", name="y")]
    ):
        pass

    r = Rows()
    r.append(2)
    assert r.columns()["x"].tolist() == [3, 3] and r.columns()["y"].dtype == np.float32
    with pytest.raises(ValueError, match="name"):
        type("Bad", (ColumnStore,), {}, columns=[Column(np.int8)])


chunks = st.lists(st.integers(min_value=0, max_value=70), max_size=25)


@settings(max_examples=60, deadline=None)
@given(sizes=chunks, seed=st.integers(0, 2**32 - 1))
def test_appending_in_chunks_equals_one_concatenation(sizes, seed):
    rng = np.random.default_rng(seed)
    parts = [(rng.random(k), rng.integers(-5, 5, k), rng.random(k) < 0.5) for k in sizes]
    s = Ledger()
    for amount, owner, flag in parts:
        s.append(len(amount), amount=amount, owner=owner, flag=flag)
    want = [np.concatenate([p[i] for p in parts]) if parts else np.zeros(0) for i in range(3)]
    for got, exp in zip((s.amount, s.owner, s.flag), want):
        np.testing.assert_array_equal(got, exp)
    assert s.amount.dtype == np.float64 and s.owner.dtype == np.int32 and s.flag.dtype == np.bool_
    assert s.capacity >= len(s) == sum(sizes)


@settings(max_examples=60, deadline=None)
@given(
    ops=st.lists(
        st.tuples(st.sampled_from(["append", "drop", "keep", "reserve"]), st.integers(0, 40)), max_size=40
    )
)
def test_growth_and_compaction_keep_values_and_order(ops):
    """Whatever mix of appends, front drops, masks and reservations: the store equals a plain list."""
    s = Ledger()
    model: list[float] = []
    counter = 0.0
    for op, k in ops:
        if op == "append":
            vals = [counter + i for i in range(k)]
            counter += k
            s.append(k, amount=vals)
            model += vals
        elif op == "drop":
            s.drop_front(k)
            model = model[k:]
        elif op == "keep":
            mask = np.array([(i + k) % 3 != 0 for i in range(len(model))], dtype=bool)
            s.keep(mask)
            model = [v for v, m in zip(model, mask) if m]
        else:
            s.reserve(k)
            assert s.capacity >= len(s) + k
        assert s.amount.tolist() == model
        assert len(s) == len(model)
