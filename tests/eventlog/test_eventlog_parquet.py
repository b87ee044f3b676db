"""Parquet-directory event log: layout, replay order, kill survival, tampering, cross-format equality."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distsafe.eventlog import (
    EventLog,
    EventLogError,
    ParquetEventLog,
    batches_by_epoch,
    compare_logs,
    open_event_log,
    read_log,
    verify_chain,
)
from distsafe.models.columns import COLUMNS, InteractionBatch
from eventlog_batches import random_batch
from distsafe.models.events import Event, EventType

IDS = ["alice", "bob", "carol", "dave", "eve"]


def make_batch(n: int, epoch: int, seed: int = 0) -> InteractionBatch:
    return random_batch(n, epoch, seed, n_agents=len(IDS))


def write_run(path, fmt=None, n_epochs=3, finish=True, **opts):
    """Per epoch: two interaction calls with a vote in between (interleaved seqs inside one batch)."""
    batches = []
    with open_event_log(path, "w", fmt=fmt, header={"scenario": "big", "seed": 3}, **opts) as log:
        log.append(Event(event_type=EventType.SIMULATION_STARTED))
        for e in range(n_epochs):
            log.append(Event(event_type=EventType.EPOCH_STARTED, epoch=e))
            b1, b2 = make_batch(30, e, seed=2 * e), make_batch(12, e, seed=2 * e + 1)
            log.append_interactions(b1, IDS, timestamp=float(e))
            log.append(Event(event_type=EventType.VOTE_CAST, epoch=e, agent_id="eve", payload={"w": 0.25}))
            log.append_interactions(b2, IDS, timestamp=float(e) + 0.5)
            log.append(Event(event_type=EventType.EPOCH_COMPLETED, epoch=e))
            batches.append(InteractionBatch.concat([b1, b2]))
        if finish:
            log.append(Event(event_type=EventType.SIMULATION_ENDED))
    return batches


def test_layout_and_round_trip(tmp_path):
    p = tmp_path / "run.parquet"
    batches = write_run(p)
    d = tmp_path / "run.parquet.d"
    files = sorted(os.listdir(d))
    assert files == ["batch_000001.parquet", "batch_000002.parquet", "batch_000003.parquet", "chain.jsonl"]
    chain = [json.loads(x) for x in (d / "chain.jsonl").read_text().splitlines()]
    assert chain[0]["storage"] == "parquet" and chain[0]["format"] == "distsafe-eventlog"
    entry = chain[3]["batch"]  # header, simulation_started, epoch_started, batch
    assert entry["file"] == "batch_000001.parquet" and entry["rows"] == 42 and entry["agents"] == IDS
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
    got = list(EventLog(p).interaction_batches())
    assert len(got) == 3
    for (b, ids), exp in zip(got, batches):
        assert ids == IDS
        for c in COLUMNS:
            np.testing.assert_array_equal(getattr(b, c), getattr(exp, c))
    assert {e: len(v[0]) for e, v in batches_by_epoch(p).items()} == {0: 42, 1: 42, 2: 42}


def test_same_run_in_both_formats_compares_equal(tmp_path):
    write_run(tmp_path / "a.jsonl")
    write_run(tmp_path / "b.parquet")
    assert compare_logs(tmp_path / "a.jsonl", tmp_path / "b.parquet") is None
    ia = EventLog(tmp_path / "a.jsonl").to_interactions()
    ib = EventLog(tmp_path / "b.parquet").to_interactions()
    assert [x.model_dump() for x in ia] == [x.model_dump() for x in ib]


def test_killed_run_reads_committed_batches(tmp_path):
    d = tmp_path / "run.d"
    log = ParquetEventLog(d, "w")
    log.append(Event(event_type=EventType.SIMULATION_STARTED))
    log.append_interactions(make_batch(10, 0), IDS)
    log.append_interactions(make_batch(10, 1), IDS)  # epoch change commits epoch 0
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


def test_tampered_batch_file_detected(tmp_path):
    d = tmp_path / "run.d"
    write_run(d)
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
        list(EventLog(d).replay())


def test_tampered_chain_line_detected(tmp_path):
    d = tmp_path / "run.d"
    write_run(d)
    lines = (d / "chain.jsonl").read_text().split("\n")
    lines[3] = lines[3].replace('"rows":42', '"rows":41')
    (d / "chain.jsonl").write_text("\n".join(lines))
    with pytest.raises(EventLogError, match="line 4: hash mismatch"):
        verify_chain(d)


def test_max_batch_rows_and_generic_interaction_events(tmp_path):
    d = tmp_path / "run.d"
    with open_event_log(d, "w", fmt="parquet", max_batch_rows=8) as log:
        log.append_interactions(make_batch(20, 0), IDS)
        ev = Event(event_type=EventType.INTERACTION_COMPLETED, epoch=0, step=5, timestamp=2.0,
                   payload={"initiator": "zed", "counterparty": "alice", "p": 0.75, "type": "trade", "v": 1})
        log.append(ev)
        with pytest.raises(EventLogError, match="unsupported fields"):
            log.append(ev.model_copy(update={"payload": {"note": "x"}}))
        with pytest.raises(EventLogError, match="does not fit"):
            log.append(ev.model_copy(update={"payload": {"type": "hug"}}))
        with pytest.raises(EventLogError, match="does not fit"):
            log.append(ev.model_copy(update={"payload": {"p": "high"}}))
        assert log.next_seq == 21
    assert len([f for f in os.listdir(d) if f.endswith(".parquet")]) == 3  # 8 + 8 + 5 rows
    ((b, ids),) = list(EventLog(d).interaction_batches())
    assert len(b) == 21
    assert ids == IDS + ["zed"]
    assert ids[b.initiator[20]] == "zed" and ids[b.counterparty[20]] == "alice"
    assert b.p[20] == 0.75 and b.itype[20] == 2 and b.v[20] == 1 and b.step[20] == 5
    last = list(EventLog(d).replay())[-1]
    assert last.seq == 20 and last.payload["initiator"] == "zed" and last.timestamp == 2.0


def test_agent_lists_merged_within_epoch(tmp_path):
    d = tmp_path / "run.d"
    other = ["zoe", "alice"]
    b2 = InteractionBatch.from_columns(epoch=[0, 0], initiator=[0, 1], counterparty=[1, 0], p=[0.1, 0.2])
    with open_event_log(d, "w", fmt="parquet") as log:
        log.append_interactions(make_batch(3, 0), IDS)
        log.append_interactions(b2, other)
    ((b, ids),) = list(EventLog(d).interaction_batches())
    assert ids == IDS + ["zoe"]
    assert [ids[i] for i in b.initiator[3:]] == ["zoe", "alice"]
    assert [e.payload["initiator"] for e in EventLog(d).replay()][3:] == ["zoe", "alice"]


def test_rewrite_replaces_old_files_and_format_inference(tmp_path):
    d = tmp_path / "run.parquet.d"
    write_run(d, n_epochs=3)
    write_run(d, n_epochs=1)
    assert sorted(os.listdir(d)) == ["batch_000001.parquet", "chain.jsonl"]
    assert isinstance(EventLog(d), ParquetEventLog)
    assert isinstance(EventLog(tmp_path / "run.parquet"), ParquetEventLog)
    with pytest.raises(EventLogError, match="no chain.jsonl"):
        EventLog(tmp_path / "nothing.d")
