"""Parquet storage only: directory layout, kill survival, batch-file tampering, batch splitting, agent
lists, rewriting, and the writer's reuse of the caller's agent names (same bytes either way)."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distsafe.eventlog import (
    EventLogError,
    ParquetEventLog,
    batches_by_epoch,
    open_event_log,
    read_log,
    verify_chain,
)
from distsafe.models.agent_table import AgentIds
from distsafe.models.columns import COLUMNS, InteractionBatch
from distsafe.models.events import Event, EventType


def test_layout_and_round_trip(tmp_path, write_interleaved_run, names):
    p = tmp_path / "run.parquet"
    batches = write_interleaved_run(p)
    d = tmp_path / "run.parquet.d"
    files = sorted(os.listdir(d))
    assert files == ["batch_000001.parquet", "batch_000002.parquet", "batch_000003.parquet", "chain.jsonl"]
    chain = [json.loads(x) for x in (d / "chain.jsonl").read_text().splitlines()]
    assert chain[0]["storage"] == "parquet" and chain[0]["format"] == "distsafe-eventlog"
    entry = chain[3]["batch"]  # header, simulation_started, epoch_started, batch
    assert entry["file"] == "batch_000001.parquet" and entry["rows"] == 42 and entry["agents"] == names
    assert (entry["seq_first"], entry["seq_last"]) == (2, 44)
    entries = [x["batch"] for x in chain if "batch" in x]
    assert len(entries) == 3 and all("agents" not in x for x in entries[1:])  # written only on change
    # events appended while a batch is open follow its batch line: vote, epoch_completed, epoch_started
    assert [x.get("type") for x in chain[4:7]] == ["vote_cast", "epoch_completed", "epoch_started"]
    table = pq.read_table(d / "batch_000001.parquet")
    assert table.schema.field("p").type == pa.float64() and table.schema.field("itype").type == pa.int8()
    res = read_log(d)
    assert res.complete and len(res.events) == 1 + 3 * (1 + 42 + 2) + 1
    assert [e.seq for e in res.events] == list(range(len(res.events)))
    votes = [e for e in res.events if e.event_type == EventType.VOTE_CAST]
    assert [v.seq for v in votes] == [32, 77, 122] and votes[0].payload == {"w": 0.25}
    got = list(open_event_log(p).interaction_batches())
    assert len(got) == 3
    for (b, ids), exp in zip(got, batches):
        assert ids == names
        for c in COLUMNS:
            np.testing.assert_array_equal(getattr(b, c), getattr(exp, c))
    assert {e: len(v[0]) for e, v in batches_by_epoch(p).items()} == {0: 42, 1: 42, 2: 42}


def test_killed_run_reads_committed_batches(tmp_path, random_batch, names):
    d = tmp_path / "run.d"
    log = ParquetEventLog(d, "w")
    log.append(Event(event_type=EventType.SIMULATION_STARTED))
    log.append_interactions(random_batch(10, 0), names)
    log.append_interactions(random_batch(10, 1), names)  # epoch change commits epoch 0
    log.append(Event(event_type=EventType.EPOCH_COMPLETED, epoch=1))  # held back behind the open batch
    # the process dies here: nothing after the epoch-0 commit reached the disk
    st = verify_chain(d)
    assert st.n_events == 11 and not st.complete
    assert "no simulation_ended" in st.message
    # a half-written chain line and an orphan batch file, as a kill during a commit would leave them
    shutil.copy(d / "batch_000001.parquet", d / "batch_000009.parquet")
    with open(d / "chain.jsonl", "a") as fh:
        fh.write('{"batch":{"digest":"ab')
    res = read_log(d)
    assert len(res.events) == 11 and not res.complete
    assert res.message.startswith("log truncated after event seq 10 (line 4 incomplete); reading 11 events")
    assert "1 uncommitted batch file(s) ignored" in res.message


def test_tampered_batch_file_detected(tmp_path, write_interleaved_run):
    d = tmp_path / "run.d"
    write_interleaved_run(d)
    f = d / "batch_000002.parquet"
    table = pq.read_table(f)
    p = table.column("p").to_numpy().copy()
    p[3] += 1e-12
    pq.write_table(table.set_column(table.schema.get_field_index("p"), "p", pa.array(p)), f)
    with pytest.raises(EventLogError, match="does not match its digest") as err:
        verify_chain(d)
    assert err.value.line == 8 and err.value.seq == 47
    os.remove(f)
    with pytest.raises(EventLogError, match="batch_000002.parquet is missing"):
        list(open_event_log(d).replay())


def test_tampered_batch_line_detected(tmp_path, write_interleaved_run):
    d = tmp_path / "run.d"
    write_interleaved_run(d)
    lines = (d / "chain.jsonl").read_text().split("\n")
    lines[3] = lines[3].replace('"rows":42', '"rows":41')
    (d / "chain.jsonl").write_text("\n".join(lines))
    with pytest.raises(EventLogError, match="line 4: hash mismatch"):
        verify_chain(d)


def test_max_batch_rows_and_generic_interaction_events(tmp_path, random_batch, names):
    d = tmp_path / "run.d"
    with open_event_log(d, "w", fmt="parquet", max_batch_rows=8) as log:
        log.append_interactions(random_batch(20, 0), names)
        ev = Event(
            event_type=EventType.INTERACTION_COMPLETED,
            epoch=0,
            step=5,
            timestamp=2.0,
            payload={"initiator": "zed", "counterparty": "alice", "p": 0.75, "type": "trade", "v": 1},
        )
        log.append(ev)
        with pytest.raises(EventLogError, match="unsupported fields"):
            log.append(ev.model_copy(update={"payload": {"note": "x"}}))
        with pytest.raises(EventLogError, match="does not fit"):
            log.append(ev.model_copy(update={"payload": {"type": "hug"}}))
        with pytest.raises(EventLogError, match="does not fit"):
            log.append(ev.model_copy(update={"payload": {"p": "high"}}))
        assert log.next_seq == 21
    assert len([f for f in os.listdir(d) if f.endswith(".parquet")]) == 3  # 8 + 8 + 5 rows
    ((b, ids),) = list(open_event_log(d).interaction_batches())
    assert len(b) == 21
    assert ids == names + ["zed"]
    assert ids[b.initiator[20]] == "zed" and ids[b.counterparty[20]] == "alice"
    assert b.p[20] == 0.75 and b.itype[20] == 2 and b.v[20] == 1 and b.step[20] == 5
    last = list(open_event_log(d).replay())[-1]
    assert last.seq == 20 and last.payload["initiator"] == "zed" and last.timestamp == 2.0


def test_agent_lists_merged_within_epoch(tmp_path, random_batch, names):
    d = tmp_path / "run.d"
    other = ["zoe", "alice"]
    b2 = InteractionBatch.from_columns(epoch=[0, 0], initiator=[0, 1], counterparty=[1, 0], p=[0.1, 0.2])
    with open_event_log(d, "w", fmt="parquet") as log:
        log.append_interactions(random_batch(3, 0), names)
        log.append_interactions(b2, other)
    ((b, ids),) = list(open_event_log(d).interaction_batches())
    assert ids == names + ["zoe"]
    assert [ids[i] for i in b.initiator[3:]] == ["zoe", "alice"]
    assert [e.payload["initiator"] for e in open_event_log(d).replay()][3:] == ["zoe", "alice"]


def test_rewrite_replaces_old_files(tmp_path, write_interleaved_run):
    d = tmp_path / "run.parquet.d"
    write_interleaved_run(d, n_epochs=3)
    write_interleaved_run(d, n_epochs=1)
    assert sorted(os.listdir(d)) == ["batch_000001.parquet", "chain.jsonl"]
    assert len(read_log(d).events) == 1 + (1 + 42 + 2) + 1


# ---- the writer takes the caller's agent names once ----------------------------------------------------
def test_same_bytes_for_one_agent_ids_object_or_fresh_lists(tmp_path, write_steps, population, dir_bytes):
    ids = population(500)
    write_steps(tmp_path / "same.parquet.d", lambda e, s: ids, lambda e, s: 500)
    write_steps(tmp_path / "fresh.parquet.d", lambda e, s: [str(a) for a in ids], lambda e, s: 500)
    a, b = dir_bytes(tmp_path / "same.parquet.d"), dir_bytes(tmp_path / "fresh.parquet.d")
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name
    chain = [json.loads(line) for line in a["chain.jsonl"].decode().splitlines()]
    with_agents = [r["batch"] for r in chain if "batch" in r and "agents" in r["batch"]]
    assert len(with_agents) == 1 and with_agents[0]["agents"] == list(ids)


def test_agents_added_between_steps_are_recorded(tmp_path, write_steps, dir_bytes):
    """The same AgentIds object growing (or a list changed in place) is read again, not served stale."""
    ids = AgentIds()
    ids.add_population("w", 50)
    grow = {(1, 0): 20, (2, 2): 5}
    sizes: dict[tuple[int, int], int] = {}

    def same(e, s):
        if (e, s) in grow and len(ids) == sizes.get((e, s - 1), sizes.get((e - 1, 3), 50)):
            ids.add_named_many([f"new{e}_{k}" for k in range(grow[(e, s)])])
        sizes[(e, s)] = len(ids)
        return ids

    names_at = {}

    def n_agents(e, s):
        return len(same(e, s))

    def snapshot(e, s):
        names_at[(e, s)] = [str(a) for a in ids]
        return ids

    write_steps(tmp_path / "same.parquet.d", snapshot, n_agents)
    write_steps(
        tmp_path / "fresh.parquet.d", lambda e, s: list(names_at[(e, s)]), lambda e, s: len(names_at[(e, s)])
    )
    a, b = dir_bytes(tmp_path / "same.parquet.d"), dir_bytes(tmp_path / "fresh.parquet.d")
    assert a == b
    res = read_log(tmp_path / "same.parquet.d")
    initiators = {
        ev.payload["initiator"] for ev in res.events if ev.event_type == EventType.INTERACTION_COMPLETED
    }
    assert initiators <= set(names_at[(2, 3)])

    # a plain list renamed in place (same object, same length) is noticed too
    names = [f"a{k}" for k in range(30)]
    lists = {}

    def renamed(e, s):
        if (e, s) == (1, 2):
            names[:] = [f"b{k}" for k in range(30)]
        lists[(e, s)] = list(names)
        return names

    write_steps(tmp_path / "inplace.parquet.d", renamed, lambda e, s: 30)
    write_steps(tmp_path / "copies.parquet.d", lambda e, s: lists[(e, s)], lambda e, s: 30)
    assert dir_bytes(tmp_path / "inplace.parquet.d") == dir_bytes(tmp_path / "copies.parquet.d")
