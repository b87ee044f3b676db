"""The interaction schema is the one declaration: every other place derives its columns from it."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from distsafe.eventlog.common import canonical
from distsafe.eventlog.interactions import (
    DATA_COLUMNS,
    FLOAT_COLUMNS,
    batch_from_records,
    interaction_from_event,
    interaction_line_parts,
)
from distsafe.models.columns import COLUMNS, METADATA_COLUMNS, InteractionBatch, InteractionBuffer
from distsafe.models.events import Event, EventType
from distsafe.models.interaction import InteractionType, SoftInteraction
from distsafe.models.schema import INTERACTION_SCHEMA, InteractionColumns, spec_of

NAMES = [s.name for s in INTERACTION_SCHEMA]
ROW_ONLY_FIELDS = {"interaction_id", "timestamp", "metadata"}


def random_batch(n: int, seed: int = 0) -> InteractionBatch:
    """Every column filled with values that differ from its default (so a codec that drops one shows)."""
    rng = np.random.default_rng(seed)
    cols = {}
    for s in INTERACTION_SCHEMA:
        if s.codec == "agent":
            cols[s.name] = rng.integers(0, 7, n)
        elif s.codec == "interaction_type":
            cols[s.name] = rng.integers(0, len(InteractionType), n)
        elif s.codec == "outcome":
            cols[s.name] = rng.choice([-1, 1], n)
        elif s.dtype.kind == "b":
            cols[s.name] = rng.random(n) < 0.5
        elif s.dtype.kind == "f":
            cols[s.name] = rng.random(n) if s.name != "v_hat" else rng.uniform(-1, 1, n)
        else:
            cols[s.name] = rng.integers(0, 50, n)
    return InteractionBatch.from_columns(**cols)


def test_every_place_takes_its_columns_from_the_schema():
    assert list(COLUMNS) == NAMES
    assert [f.name for f in dataclasses.fields(InteractionBatch)] == NAMES
    assert list(InteractionBatch.empty(3).columns()) == NAMES
    buf = InteractionBuffer()
    buf.append(random_batch(4))
    assert list(buf.batch().columns()) == NAMES
    assert DATA_COLUMNS == tuple(s.name for s in INTERACTION_SCHEMA if s.key is not None)
    assert set(DATA_COLUMNS) == set(NAMES) - {"epoch", "step"}
    assert FLOAT_COLUMNS == tuple(s.name for s in INTERACTION_SCHEMA if s.dtype.kind == "f")
    # SoftInteraction: one field per column with a row field, the rest travel in metadata
    row_fields = {s.row for s in INTERACTION_SCHEMA if s.row is not None}
    assert set(SoftInteraction.model_fields) == row_fields | ROW_ONLY_FIELDS
    assert METADATA_COLUMNS == tuple(s.name for s in INTERACTION_SCHEMA if s.row is None)
    assert METADATA_COLUMNS == ("payoff_a", "payoff_b", "reject_reason")


def test_dtypes_come_from_the_annotations():
    assert {name: np.dtype(dt) for name, dt in COLUMNS.items()} == {
        s.name: s.dtype for s in INTERACTION_SCHEMA
    }
    assert spec_of("p").dtype == np.float64 and spec_of("itype").dtype == np.int8
    assert spec_of("accepted").dtype == np.bool_ and spec_of("rework_count").dtype == np.int16
    for s in INTERACTION_SCHEMA:
        assert type(s.default) is type(s.dtype.type(0).item()), s.name  # default typed like the column
        assert s.doc, s.name


def test_soft_interaction_defaults_and_docs_come_from_the_schema():
    fields = SoftInteraction.model_fields
    blank = SoftInteraction()
    for s in INTERACTION_SCHEMA:
        if s.row is None:
            assert s.name not in fields
            continue
        assert fields[s.row].description == s.doc, s.name
        assert getattr(blank, s.row) == s.row_default, s.name
    assert blank.p == 0.5 and blank.ground_truth is None and blank.interaction_type is InteractionType.REPLY
    assert blank.initiator == "" and blank.metadata == {}


def test_constraints_still_validate():
    with pytest.raises(ValueError):
        SoftInteraction(p=1.5)
    with pytest.raises(ValueError):
        SoftInteraction(rework_count=-1)
    with pytest.raises(ValueError):
        SoftInteraction(ground_truth=0)


def test_rows_round_trip_every_column():
    batch = random_batch(50, seed=1)
    agent_ids = [f"ag{i}" for i in range(7)]
    rows = batch.to_interactions(agent_ids)
    assert [r.interaction_id for r in rows[:2]] == ["i0", "i1"]
    assert rows[0].metadata == {
        "payoff_a": float(batch.payoff_a[0]),
        "payoff_b": float(batch.payoff_b[0]),
        "reject_reason": int(batch.reject_reason[0]),
    }
    back, names = InteractionBatch.from_interactions(
        rows, agent_index={n: i for i, n in enumerate(agent_ids)}
    )
    assert names == agent_ids
    for name, col in batch.columns().items():
        np.testing.assert_array_equal(getattr(back, name), col, err_msg=name)
        assert getattr(back, name).dtype == col.dtype, name


def test_records_round_trip_every_column():
    batch = random_batch(40, seed=2)
    agent_ids = [f"ag{i}" for i in range(7)]
    t = np.arange(40, dtype=np.float64)
    before, after = interaction_line_parts(batch, agent_ids, t, 0, 40, seq0=5)
    records = [json.loads(b + "x" + a) for b, a in zip(before, after)]
    index: dict[str, int] = {}
    names: list[str] = []
    back = batch_from_records(
        [r["epoch"] for r in records],
        [r["step"] for r in records],
        [r["data"] for r in records],
        index,
        names,
    )
    remap = np.array([agent_ids.index(n) for n in names])
    for name, col in batch.columns().items():
        got = getattr(back, name)
        if spec_of(name).codec == "agent":
            got = remap[got]
        np.testing.assert_array_equal(got, col, err_msg=name)
    # the event's SoftInteraction equals the row codec's, column for column
    rows = batch.to_interactions(agent_ids)
    for r, row in zip(records[:5], rows):
        ev = Event.model_construct(
            seq=r["seq"],
            event_type=EventType.INTERACTION_COMPLETED,
            timestamp=r["t"],
            epoch=r["epoch"],
            step=r["step"],
            agent_id=None,
            payload=r["data"],
        )
        x = interaction_from_event(ev)
        assert x.model_dump(exclude={"interaction_id", "timestamp"}) == row.model_dump(
            exclude={"interaction_id", "timestamp"}
        )


def test_line_parts_are_canonical_records_with_every_data_key():
    batch = random_batch(3, seed=3)
    before, after = interaction_line_parts(batch, [f"ag{i}" for i in range(7)], np.zeros(3), 0, 3, seq0=0)
    line = before[0] + "p" + after[0]
    rec = json.loads(line)
    assert canonical(rec) == line
    assert set(rec["data"]) == {s.key for s in INTERACTION_SCHEMA if s.key is not None}
    assert rec["data"]["type"] == InteractionType.from_code(int(batch.itype[0])).value


def test_missing_record_keys_read_as_schema_defaults():
    index: dict[str, int] = {}
    names: list[str] = []
    b = batch_from_records([0], [0], [{}], index, names)
    for s in INTERACTION_SCHEMA:
        if s.codec != "agent":
            assert getattr(b, s.name).tolist() == [s.default], s.name
    ev = Event.model_construct(
        seq=9,
        event_type=EventType.INTERACTION_COMPLETED,
        timestamp=3.0,
        epoch=1,
        step=2,
        agent_id=None,
        payload={},
    )
    x = interaction_from_event(ev)
    assert x.model_dump(
        exclude={"interaction_id", "timestamp", "epoch", "step", "metadata"}
    ) == SoftInteraction().model_dump(exclude={"interaction_id", "timestamp", "epoch", "step", "metadata"})
    assert (x.interaction_id, x.timestamp, x.epoch, x.step) == ("i9", 3.0, 1, 2)
    assert x.metadata == {"payoff_a": 0.0, "payoff_b": 0.0, "reject_reason": 0}


def test_interaction_batch_is_the_schema_class():
    assert issubclass(InteractionBatch, InteractionColumns)
    with pytest.raises(TypeError):  # every column is required: a batch never silently lacks one
        InteractionBatch(**{name: np.zeros(1) for name in NAMES[1:]})
