"""JSONL event log: format, hash chain, buffering, truncation, tampering, replay and comparison."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

import distsafe
from distsafe.eventlog import (
    EventLog,
    EventLogError,
    JsonlEventLog,
    batches_by_epoch,
    canonical,
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
    return random_batch(n, epoch, seed, n_agents=len(IDS), uniform_p=True)


def write_run(path, n_epochs=3, rows=20, finish=True, **opts):
    batches = []
    with open_event_log(path, "w", header={"scenario": "baseline", "seed": 7, "agent_ids": IDS}, **opts) as log:
        log.append(Event(event_type=EventType.SIMULATION_STARTED, payload={"n_agents": len(IDS)}))
        for e in range(n_epochs):
            log.append(Event(event_type=EventType.EPOCH_STARTED, epoch=e, timestamp=e * 10))
            b = make_batch(rows, e, seed=e)
            batches.append(b)
            log.append_interactions(b, IDS, timestamp=float(e * 10 + 1))
            log.append(Event(event_type=EventType.VOTE_CAST, epoch=e, agent_id="bob", payload={"post": 3, "up": True}))
            log.append(Event(event_type=EventType.EPOCH_COMPLETED, epoch=e, timestamp=e * 10 + 9))
        if finish:
            log.append(Event(event_type=EventType.SIMULATION_ENDED, timestamp=99))
    return batches


def test_header_events_and_seq(tmp_path):
    p = tmp_path / "run.jsonl"
    write_run(p)
    res = read_log(p)
    assert res.header["format"] == "distsafe-eventlog"
    assert res.header["version"] == distsafe.__version__
    assert res.header["scenario"] == "baseline" and res.header["seed"] == 7
    assert res.header["agent_ids"] == IDS
    assert len(res.events) == 1 + 3 * (1 + 20 + 2) + 1
    assert [e.seq for e in res.events] == list(range(len(res.events)))
    assert res.complete is True
    assert res.message == f"log complete: {len(res.events)} events"
    assert res.events[0].payload == {"n_agents": 5}
    assert res.events[-1].event_type == EventType.SIMULATION_ENDED
    vote = [e for e in res.events if e.event_type == EventType.VOTE_CAST][0]
    assert vote.agent_id == "bob" and vote.payload == {"post": 3, "up": True}


def test_lines_verify_by_hand(tmp_path):
    p = tmp_path / "run.jsonl"
    write_run(p)
    lines = p.read_text(encoding="ascii").split("\n")
    assert lines[-1] == ""
    prev = "0" * 64
    for line in lines[:-1]:
        rec = json.loads(line)
        body = line[:-72] + "}"
        assert hashlib.sha256(body.encode()).hexdigest() == rec["h"]
        assert rec["prev"] == prev
        rec.pop("h")
        assert canonical(rec) == body  # every line, fast path included, is canonical JSON
        prev = hashlib.sha256(body.encode()).hexdigest()
    assert json.loads(lines[0])["prev"] == "0" * 64


def test_interaction_event_data_columns(tmp_path):
    p = tmp_path / "run.jsonl"
    batches = write_run(p, n_epochs=1, rows=4)
    ev = [e for e in EventLog(p).replay() if e.event_type == EventType.INTERACTION_COMPLETED][0]
    b = batches[0]
    assert ev.epoch == 0 and ev.step == int(b.step[0]) and ev.timestamp == 1.0
    assert ev.payload["initiator"] == IDS[b.initiator[0]]
    assert ev.payload["counterparty"] == IDS[b.counterparty[0]]
    assert ev.payload["type"] == ["reply", "vote", "trade", "collaboration"][b.itype[0]]
    assert ev.payload["v"] == int(b.v[0]) and ev.payload["p"] == float(b.p[0])
    assert ev.payload["payoff_b"] == float(b.payoff_b[0])
    assert set(ev.payload) == {"type" if c == "itype" else c for c in COLUMNS if c not in ("epoch", "step")}


def test_fast_path_matches_generic_append(tmp_path):
    b = make_batch(5, 2, seed=4)
    a_path, g_path = tmp_path / "a.jsonl", tmp_path / "g.jsonl"
    with open_event_log(a_path, "w") as log:
        log.append_interactions(b, IDS, timestamp=3.5)
    events = list(EventLog(a_path).replay())
    with open_event_log(g_path, "w") as log:
        for ev in events:
            log.append(ev)
    assert a_path.read_bytes() == g_path.read_bytes()


def test_deterministic_bytes(tmp_path):
    write_run(tmp_path / "a.jsonl")
    write_run(tmp_path / "b.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_buffered_writes(tmp_path):
    p = tmp_path / "buf.jsonl"
    log = open_event_log(p, "w", flush_every=3)
    assert isinstance(log, JsonlEventLog)
    assert len(p.read_text().splitlines()) == 1  # header written at once
    log.append(Event(event_type=EventType.POST_CREATED))
    log.append(Event(event_type=EventType.POST_CREATED))
    assert len(p.read_text().splitlines()) == 1
    log.append(Event(event_type=EventType.POST_CREATED))
    assert len(p.read_text().splitlines()) == 4
    log.append(Event(event_type=EventType.POST_CREATED))
    log.flush()
    assert len(p.read_text().splitlines()) == 5
    assert [e.seq for e in log.replay()] == [0, 1, 2, 3]  # replay while open flushes first
    log.close()
    with pytest.raises(EventLogError, match="closed"):
        log.append(Event(event_type=EventType.POST_CREATED))
    with pytest.raises(EventLogError, match="flush_every"):
        open_event_log(tmp_path / "x.jsonl", "w", flush_every=0)


def test_truncated_log_reads_valid_prefix(tmp_path):
    p = tmp_path / "run.jsonl"
    write_run(p)
    data = p.read_bytes()
    lines = data.split(b"\n")
    cut = len(b"\n".join(lines[:40])) + 1 + len(lines[40]) // 2  # half of line 41
    p.write_bytes(data[:cut])
    res = read_log(p)
    assert len(res.events) == 39  # lines 2..40
    assert res.complete is False
    assert res.message == "log truncated after event seq 38 (line 41 incomplete); reading 39 events"
    st = verify_chain(p)
    assert st.n_events == 39 and st.truncated_line == 41


def test_unfinished_run_is_reported(tmp_path):
    p = tmp_path / "run.jsonl"
    write_run(p, finish=False)
    res = read_log(p)
    assert res.complete is False
    assert "no simulation_ended" in res.message and f"reading {len(res.events)} events" in res.message


def test_tampered_line_names_line_and_seq(tmp_path):
    p = tmp_path / "run.jsonl"
    write_run(p)
    lines = p.read_text().split("\n")
    rec = json.loads(lines[10])
    lines[10] = lines[10].replace('"seq":9,', '"seq":9,', 1).replace('"epoch":0', '"epoch":1', 1)
    assert rec["seq"] == 9
    p.write_text("\n".join(lines))
    with pytest.raises(EventLogError) as err:
        verify_chain(p)
    assert err.value.line == 11 and err.value.seq == 9
    assert "line 11 (seq 9)" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(EventLogError):
        list(EventLog(p).replay())


def test_removed_line_breaks_the_chain(tmp_path):
    p = tmp_path / "run.jsonl"
    write_run(p)
    lines = p.read_text().split("\n")
    del lines[5]
    p.write_text("\n".join(lines))
    with pytest.raises(EventLogError, match="line 6 .*prev does not match") as err:
        verify_chain(p)
    assert err.value.seq == 5


def test_missing_header(tmp_path):
    p = tmp_path / "empty.jsonl"
    p.write_bytes(b'{"format":"distsafe-eventlog"')
    with pytest.raises(EventLogError, match="no complete header"):
        read_log(p)
    with pytest.raises(EventLogError, match="no such"):
        read_log(tmp_path / "nope.jsonl")


def test_to_interactions_and_batches(tmp_path):
    p = tmp_path / "run.jsonl"
    batches = write_run(p, rows=15)
    its = EventLog(p).to_interactions()
    expected = [it for b in batches for it in b.to_interactions(IDS)]
    assert len(its) == len(expected) == 45
    for got, exp in zip(its, expected):
        for f in ("epoch", "step", "initiator", "counterparty", "interaction_type", "accepted", "p", "v_hat", "tau",
                  "c_a", "c_b", "r_a", "r_b", "rework_count", "ground_truth", "metadata"):
            assert getattr(got, f) == getattr(exp, f), f
    assert its[0].interaction_id == "i2" and its[0].timestamp == 1.0
    seen = list(EventLog(p).interaction_batches())
    assert len(seen) == 3
    for (got, ids), b in zip(seen, batches):
        assert ids == IDS  # header agent_ids are the base of the index
        for c in COLUMNS:
            np.testing.assert_array_equal(getattr(got, c), getattr(b, c))
            assert getattr(got, c).dtype == COLUMNS[c]


def test_batches_by_epoch_includes_empty_epochs(tmp_path):
    p = tmp_path / "run.jsonl"
    with open_event_log(p, "w") as log:
        log.append(Event(event_type=EventType.EPOCH_STARTED, epoch=0))
        log.append_interactions(make_batch(3, 0), IDS)
        log.append(Event(event_type=EventType.EPOCH_STARTED, epoch=1))
        log.append(Event(event_type=EventType.EPOCH_STARTED, epoch=2))
        log.append_interactions(make_batch(4, 2, seed=1), IDS)
    out = batches_by_epoch(p)
    assert sorted(out) == [0, 1, 2]
    assert [len(out[e][0]) for e in (0, 1, 2)] == [3, 0, 4]


def test_non_finite_values_rejected_and_log_untouched(tmp_path):
    p = tmp_path / "run.jsonl"
    b = make_batch(3, 0)
    b.tau[2] = np.nan
    with open_event_log(p, "w") as log:
        with pytest.raises(EventLogError, match="'tau' row 2 is not finite"):
            log.append_interactions(b, IDS)
        with pytest.raises(EventLogError, match="not canonical JSON"):
            log.append(Event(event_type=EventType.AUDIT, payload={"x": float("inf")}))
        assert log.next_seq == 0
    assert len(p.read_text().splitlines()) == 1
    with pytest.raises(EventLogError, match="outside agent_ids"):
        open_event_log(tmp_path / "y.jsonl", "w").append_interactions(make_batch(3, 0), IDS[:1])
    with pytest.raises(EventLogError, match="reserved"):
        open_event_log(tmp_path / "z.jsonl", "w", header={"h": 1})


def test_compare_logs(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_run(a)
    write_run(b)
    assert compare_logs(a, b) is None
    batches = []
    with open_event_log(b, "w", header={"scenario": "baseline", "seed": 7, "agent_ids": IDS}) as log:
        log.append(Event(event_type=EventType.SIMULATION_STARTED, payload={"n_agents": len(IDS)}))
        for e in range(3):
            log.append(Event(event_type=EventType.EPOCH_STARTED, epoch=e, timestamp=e * 10))
            bt = make_batch(20, e, seed=e)
            if e == 1:
                bt.p[4] = np.nextafter(bt.p[4], 2.0)
            batches.append(bt)
            log.append_interactions(bt, IDS, timestamp=float(e * 10 + 1))
            log.append(Event(event_type=EventType.VOTE_CAST, epoch=e, agent_id="bob", payload={"post": 3, "up": True}))
            log.append(Event(event_type=EventType.EPOCH_COMPLETED, epoch=e, timestamp=e * 10 + 9))
        log.append(Event(event_type=EventType.SIMULATION_ENDED, timestamp=99))
    diff = compare_logs(a, b)
    assert diff is not None
    assert (diff.seq, diff.event_type, diff.field) == (1 + 23 + 1 + 4, "interaction_completed", "data.p")
    assert diff.b == float(batches[1].p[4]) and diff.a != diff.b
    c = tmp_path / "c.jsonl"
    with open_event_log(c, "w", header={"scenario": "baseline", "seed": 8, "agent_ids": IDS}) as log:
        pass
    d = compare_logs(a, c)
    assert d.field == "header.seed" and (d.a, d.b) == (7, 8)
    d = compare_logs(a, c, ignore_header_keys={"seed"})
    assert d.field == "<missing>" and d.seq == 0


def test_eventlog_factory_dispatch(tmp_path):
    log = EventLog(tmp_path / "x.jsonl", "w")
    assert isinstance(log, JsonlEventLog) and isinstance(log, EventLog)
    log.close()
    with pytest.raises(EventLogError, match="mode"):
        EventLog(tmp_path / "x.jsonl", "a")
    with pytest.raises(EventLogError, match="unknown event log format"):
        EventLog(tmp_path / "x.jsonl", "r", fmt="csv")
    r = EventLog(tmp_path / "x.jsonl")
    with pytest.raises(EventLogError, match="open for reading"):
        r.append(Event(event_type=EventType.AUDIT))


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_per_row_timestamps_and_fsync(tmp_path, fmt):
    p = tmp_path / f"ts.{fmt}"
    b = make_batch(4, 1)
    with open_event_log(p, "w", fmt=fmt, fsync=True) as log:
        assert log.append_interactions(b, IDS, timestamp=np.array([1.0, 2.0, 3.0, 4.5])) == range(0, 4)
        with pytest.raises(EventLogError, match="one value per row"):
            log.append_interactions(b, IDS, timestamp=np.array([1.0, 2.0]))
        assert log.append_interactions(InteractionBatch.empty(0), IDS) == range(4, 4)
    assert [e.timestamp for e in EventLog(p).replay()] == [1.0, 2.0, 3.0, 4.5]
    assert [it.timestamp for it in EventLog(p).to_interactions()] == [1.0, 2.0, 3.0, 4.5]
