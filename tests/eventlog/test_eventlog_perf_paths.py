"""The fast paths of the event log give the same bytes and the same answers as the plain ones.

* Parquet `append_interactions` keeps the agent names of the last `agent_ids` object: files are the
  same whether the caller passes one object every step or a fresh list each time.
* JSONL `interaction_line_parts` encodes only the names a chunk uses: lines are the canonical records.
* `compare_logs` on two Parquet logs compares batches column-wise; the LogDiff it returns is the one the
  event-by-event comparison of the replays returns.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pyarrow.parquet as pq
import pytest

from distsafe.eventlog import (
    EventLog,
    compare_event_streams,
    compare_logs,
    log_info,
    open_event_log,
    read_log,
)
from distsafe.eventlog.common import canonical
from distsafe.eventlog.interactions import interaction_line_parts
from distsafe.models.agent_table import AgentIds
from distsafe.models.columns import COLUMNS, InteractionBatch
from eventlog_batches import random_batch
from distsafe.models.events import Event, EventType


def make_batch(n: int, epoch: int, n_agents: int, seed: int = 0, step: int = 0) -> InteractionBatch:
    return random_batch(n, epoch, seed, n_agents=n_agents, step=step)


def population(n: int) -> AgentIds:
    ids = AgentIds()
    ids.add_named("boss")
    ids.add_population("worker", n - 1)
    return ids


def write_steps(path, ids_for_step, n_agents_for_step, *, epochs=3, steps=4, rows=40, tweak=None, **opts):
    """A run of `epochs` x `steps` append_interactions calls with votes between them.

    `ids_for_step(e, s)` gives the agent_ids passed at that step; `tweak(e, s, batch)` may change a batch.
    """
    with open_event_log(path, "w", header={"scenario": "perf", "seed": 11}, **opts) as log:
        log.append(Event(event_type=EventType.SIMULATION_STARTED))
        for e in range(epochs):
            log.append(Event(event_type=EventType.EPOCH_STARTED, epoch=e))
            for s in range(steps):
                b = make_batch(rows, e, n_agents_for_step(e, s), seed=100 * e + s, step=s)
                if tweak is not None:
                    b = tweak(e, s, b)
                log.append_interactions(b, ids_for_step(e, s), timestamp=float(e * steps + s))
                log.append(Event(event_type=EventType.VOTE_CAST, epoch=e, step=s, agent_id="boss",
                                 payload={"w": 0.1 * s, "k": [e, s]}))
            log.append(Event(event_type=EventType.EPOCH_COMPLETED, epoch=e))
        log.append(Event(event_type=EventType.SIMULATION_ENDED))


def dir_bytes(path) -> dict[str, bytes]:
    """Every file of a Parquet log directory; batch files by their column data (the writer library's
    footer is not ours), the chain byte for byte."""
    out = {}
    d = str(path) + ".d" if str(path).endswith(".parquet") else str(path)
    for name in sorted(os.listdir(d)):
        full = os.path.join(d, name)
        if name.endswith(".parquet"):
            table = pq.read_table(full)
            out[name] = b"".join(np.asarray(table.column(c).to_numpy()).tobytes() for c in table.column_names)
            out[name + ":raw"] = open(full, "rb").read()
        else:
            out[name] = open(full, "rb").read()
    return out


# ---- Parquet writer: names taken once ---------------------------------------------------------------
def test_parquet_same_bytes_for_one_agent_ids_object_or_fresh_lists(tmp_path):
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


def test_parquet_agents_added_between_steps_are_recorded(tmp_path):
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
    write_steps(tmp_path / "fresh.parquet.d", lambda e, s: list(names_at[(e, s)]), lambda e, s: len(names_at[(e, s)]))
    a, b = dir_bytes(tmp_path / "same.parquet.d"), dir_bytes(tmp_path / "fresh.parquet.d")
    assert a == b
    res = read_log(tmp_path / "same.parquet.d")
    assert {ev.payload["initiator"] for ev in res.events if ev.event_type == EventType.INTERACTION_COMPLETED} \
        <= set(names_at[(2, 3)])

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


# ---- JSONL: only the names a chunk uses are encoded ----------------------------------------------------
def test_jsonl_interaction_lines_are_the_canonical_records(tmp_path):
    ids = population(5000)
    names = [str(a) for a in ids]
    b = make_batch(300, 4, 5000, seed=9, step=2)
    b.initiator[:3] = [0, 4999, 17]
    t = np.linspace(0.0, 3.0, 300)
    before, after = interaction_line_parts(b, ids, t, 50, 250, 1000)
    assert len(before) == len(after) == 200
    for k, (pre, post) in enumerate(zip(before, after)):
        row = 50 + k
        rec = {"seq": 1000 + k, "type": "interaction_completed", "t": float(t[row]), "epoch": 4, "step": 2,
               "prev": "P" * 64, "data": read_row(b, row, names)}
        assert pre + "P" * 64 + post == canonical(rec)
    # the whole file is the same whether written column-wise or event by event
    with open_event_log(tmp_path / "cols.jsonl", "w", header={"scenario": "perf", "seed": 1}) as log:
        log.append_interactions(b, ids, timestamp=t)
    events = read_log(tmp_path / "cols.jsonl").events
    with open_event_log(tmp_path / "evs.jsonl", "w", header={"scenario": "perf", "seed": 1}) as log:
        for ev in events:
            log.append(ev)
    assert (tmp_path / "cols.jsonl").read_bytes() == (tmp_path / "evs.jsonl").read_bytes()
    assert [ev.payload["initiator"] for ev in events[:3]] == ["boss", "worker_4999", "worker_17"]


def read_row(b: InteractionBatch, row: int, names: list[str]) -> dict:
    from distsafe.models.interaction import InteractionType

    types = [t.value for t in InteractionType]
    out = {}
    for c in COLUMNS:
        if c in ("epoch", "step"):
            continue
        v = getattr(b, c)[row].item()
        if c in ("initiator", "counterparty"):
            v = names[v]
        elif c == "itype":
            c, v = "type", types[v]
        out[c] = v
    return out


# ---- compare_logs on Parquet logs ------------------------------------------------------------------------
IDS = population(60)


def write_pair(tmp_path, tweak_b=None, opts_b=None):
    write_steps(tmp_path / "a.parquet.d", lambda e, s: IDS, lambda e, s: 60)
    write_steps(tmp_path / "b.parquet.d", lambda e, s: IDS, lambda e, s: 60, tweak=tweak_b, **(opts_b or {}))
    return tmp_path / "a.parquet.d", tmp_path / "b.parquet.d"


def slow_diff(a, b):
    return compare_event_streams(EventLog(a, "r").replay(), EventLog(b, "r").replay())


def assert_same_answer(a, b):
    fast, slow = compare_logs(a, b), slow_diff(a, b)
    assert (fast is None) == (slow is None)
    if fast is not None:
        assert (fast.seq, fast.event_type, fast.field, fast.message) == (slow.seq, slow.event_type, slow.field,
                                                                           slow.message)
        assert repr(fast.a) == repr(slow.a) and repr(fast.b) == repr(slow.b)
    return fast


def test_compare_equal_parquet_logs(tmp_path):
    a, b = write_pair(tmp_path)
    assert assert_same_answer(a, b) is None
    # cut into other batches (other chain lines) the events are still the same
    _, c = write_pair(tmp_path / "x", opts_b={"max_batch_rows": 37})
    assert assert_same_answer(a, c) is None


def _col_tweak(epoch, step, col, row, value):
    def tweak(e, s, b):
        if (e, s) == (epoch, step):
            cols = b.columns()
            cols[col] = cols[col].copy()
            cols[col][row] = value
            return InteractionBatch(**cols)
        return b

    return tweak


@pytest.mark.parametrize("col,value,field", [
    ("p", 0.123456789, "data.p"),
    ("payoff_b", -0.0, "data.payoff_b"),
    ("initiator", 59, "data.initiator"),
    ("itype", 3, "data.type"),
    ("accepted", True, "data.accepted"),
    ("rework_count", 5, "data.rework_count"),
])
def test_compare_names_first_difference_in_one_interaction_column(tmp_path, col, value, field):
    base = make_batch(40, 1, 60, seed=100 * 1 + 2, step=2)
    if col != "payoff_b" and value == getattr(base, col)[7].item():
        value = 58 if col == "initiator" else (not value) if col == "accepted" else 4
    a, b = write_pair(tmp_path, tweak_b=_col_tweak(1, 2, col, 7, value))
    if col == "payoff_b":  # make the first log hold +0.0 there, so only the sign bit differs
        a = tmp_path / "a0.parquet.d"
        write_steps(a, lambda e, s: IDS, lambda e, s: 60, tweak=_col_tweak(1, 2, col, 7, 0.0))
    diff = assert_same_answer(a, b)
    assert diff is not None and diff.field == field and diff.event_type == "interaction_completed"
    if col == "payoff_b":
        assert (repr(diff.a), repr(diff.b)) == ("0.0", "-0.0")
    seqs = [ev.seq for ev in read_log(b).events
            if ev.event_type == EventType.INTERACTION_COMPLETED and ev.epoch == 1 and ev.step == 2]
    assert diff.seq == seqs[7]


def test_compare_first_difference_in_seq_order_not_chain_order(tmp_path):
    """A vote held back behind its batch line differs before a later row of the same batch does."""
    a = tmp_path / "a.parquet.d"
    write_steps(a, lambda e, s: IDS, lambda e, s: 60)
    write_steps(tmp_path / "c.parquet.d", lambda e, s: IDS, lambda e, s: 60, tweak=_col_tweak(0, 3, "tau", 2, 99.0))
    c = tmp_path / "c.parquet.d"
    assert assert_same_answer(a, c).field == "data.tau"
    d = tmp_path / "d.parquet.d"
    write_steps_with_vote(d, tweak=_col_tweak(0, 3, "tau", 2, 99.0), vote_w=7.5)
    diff = assert_same_answer(a, d)
    assert diff.event_type == "vote_cast" and diff.field == "data.w"


def write_steps_with_vote(path, tweak, vote_w):
    """Like write_steps, but the vote after epoch 0 step 1 carries another weight."""
    with open_event_log(path, "w", header={"scenario": "perf", "seed": 11}) as log:
        log.append(Event(event_type=EventType.SIMULATION_STARTED))
        for e in range(3):
            log.append(Event(event_type=EventType.EPOCH_STARTED, epoch=e))
            for s in range(4):
                b = tweak(e, s, make_batch(40, e, 60, seed=100 * e + s, step=s))
                log.append_interactions(b, IDS, timestamp=float(e * 4 + s))
                w = vote_w if (e, s) == (0, 1) else 0.1 * s
                log.append(Event(event_type=EventType.VOTE_CAST, epoch=e, step=s, agent_id="boss",
                                 payload={"w": w, "k": [e, s]}))
            log.append(Event(event_type=EventType.EPOCH_COMPLETED, epoch=e))
        log.append(Event(event_type=EventType.SIMULATION_ENDED))


def test_compare_other_agent_lists_and_missing_tail(tmp_path):
    # same names, listed in another order: indices differ, events do not
    order = list(reversed([str(x) for x in IDS]))
    pos = {n: k for k, n in enumerate(order)}
    lut = np.array([pos[str(x)] for x in IDS], dtype=np.int32)

    def reindex(e, s, b):
        cols = b.columns()
        cols["initiator"], cols["counterparty"] = lut[b.initiator], lut[b.counterparty]
        return InteractionBatch(**cols)

    a = tmp_path / "a.parquet.d"
    write_steps(a, lambda e, s: IDS, lambda e, s: 60)
    r = tmp_path / "r.parquet.d"
    write_steps(r, lambda e, s: order, lambda e, s: 60, tweak=reindex)
    assert assert_same_answer(a, r) is None
    # one log ends early: the missing event is named
    short = tmp_path / "short.parquet.d"
    write_steps(short, lambda e, s: IDS, lambda e, s: 60)
    chain = short / "chain.jsonl"
    lines = chain.read_bytes().splitlines(keepends=True)
    chain.write_bytes(b"".join(lines[:-1]))  # drop simulation_ended: a shorter, still valid chain
    diff = assert_same_answer(a, short)
    assert diff.field == "<missing>" and diff.event_type == "simulation_ended"
    assert "second log ends before" in diff.message
    diff = assert_same_answer(short, a)
    assert "first log ends before" in diff.message


def test_log_info_matches_read_log(tmp_path):
    a = tmp_path / "a.parquet.d"
    write_steps(a, lambda e, s: IDS, lambda e, s: 60)
    info, res = log_info(a), read_log(a)
    assert (info.header, info.n_events, info.complete, info.message) == (res.header, len(res.events), res.complete,
                                                                          res.message)
    j = tmp_path / "a.jsonl"
    write_steps(j, lambda e, s: IDS, lambda e, s: 60)
    info, res = log_info(j), read_log(j)
    assert (info.n_events, info.complete) == (len(res.events), res.complete)


def test_equal_segments_are_skipped_without_building_events(tmp_path):
    from distsafe.eventlog.parquet import compare_parquet_events

    a, b = write_pair(tmp_path, tweak_b=_col_tweak(2, 1, "v_hat", 3, 42.0))
    calls = []

    def spy(it_a, it_b):
        ea = list(it_a)
        calls.append(ea[0].seq)
        return compare_event_streams(iter(ea), it_b)

    assert compare_parquet_events(EventLog(a, "r"), EventLog(a, "r"), spy) is None
    assert calls == []
    diff = compare_parquet_events(EventLog(a, "r"), EventLog(b, "r"), spy)
    assert diff.field == "data.v_hat"
    # events were built from the differing epoch's batch on, not from the start of the log
    assert len(calls) == 1 and calls[0] > 0 and calls[0] <= diff.seq
    first_of_epoch2 = min(ev.seq for ev in read_log(a).events
                          if ev.event_type == EventType.INTERACTION_COMPLETED and ev.epoch == 2)
    assert calls[0] >= first_of_epoch2
