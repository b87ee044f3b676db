"""compare_logs: the first difference between two logs, for either format and across formats; on two
Parquet logs the column-wise fast path names the same difference as the event-by-event comparison."""

from __future__ import annotations

import numpy as np
import pytest

from distsafe.eventlog import compare_event_streams, compare_logs, open_event_log, read_log
from distsafe.eventlog.compare import compare_parquet_events
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import Event, EventType


def test_compare_logs(tmp_path, fmt, write_run, random_batch, names):
    ext = "jsonl" if fmt == "jsonl" else "parquet.d"
    a, b = tmp_path / f"a.{ext}", tmp_path / f"b.{ext}"
    write_run(a, fmt)
    write_run(b, fmt)
    assert compare_logs(a, b) is None
    batches = []
    with open_event_log(
        b, "w", fmt=fmt, header={"scenario": "baseline", "seed": 7, "agent_ids": names}
    ) as log:
        log.append(Event(event_type=EventType.SIMULATION_STARTED, payload={"n_agents": len(names)}))
        for e in range(3):
            log.append(Event(event_type=EventType.EPOCH_STARTED, epoch=e, timestamp=e * 10))
            bt = random_batch(20, e, seed=e, uniform_p=True)
            if e == 1:
                bt.p[4] = np.nextafter(bt.p[4], 2.0)
            batches.append(bt)
            log.append_interactions(bt, names, timestamp=float(e * 10 + 1))
            log.append(
                Event(
                    event_type=EventType.VOTE_CAST, epoch=e, agent_id="bob", payload={"post": 3, "up": True}
                )
            )
            log.append(Event(event_type=EventType.EPOCH_COMPLETED, epoch=e, timestamp=e * 10 + 9))
        log.append(Event(event_type=EventType.SIMULATION_ENDED, timestamp=99))
    diff = compare_logs(a, b)
    assert diff is not None
    assert (diff.seq, diff.event_type, diff.field) == (1 + 23 + 1 + 4, "interaction_completed", "data.p")
    assert diff.b == float(batches[1].p[4]) and diff.a != diff.b
    c = tmp_path / f"c.{ext}"
    with open_event_log(c, "w", fmt=fmt, header={"scenario": "baseline", "seed": 8, "agent_ids": names}):
        pass
    d = compare_logs(a, c)
    assert d.field == "header.seed" and (d.a, d.b) == (7, 8)
    d = compare_logs(a, c, ignore_header_keys={"seed"})
    assert d.field == "<missing>" and d.seq == 0


def test_same_run_in_both_formats_compares_equal(tmp_path, write_interleaved_run):
    write_interleaved_run(tmp_path / "a.jsonl")
    write_interleaved_run(tmp_path / "b.parquet")
    assert compare_logs(tmp_path / "a.jsonl", tmp_path / "b.parquet") is None
    ia = open_event_log(tmp_path / "a.jsonl").to_interactions()
    ib = open_event_log(tmp_path / "b.parquet").to_interactions()
    assert [x.model_dump() for x in ia] == [x.model_dump() for x in ib]


# ---- two Parquet logs: the fast path gives the event-by-event answer --------------------------------------
@pytest.fixture
def ids(population):
    return population(60)


@pytest.fixture
def write_pq(write_steps, ids):
    """`write_pq(path, tweak=None, ids_for_step=None, **opts)`: the 60-agent multi-step run as Parquet."""

    def write(path, tweak=None, ids_for_step=None, **opts):
        write_steps(path, ids_for_step or (lambda e, s: ids), lambda e, s: 60, tweak=tweak, **opts)
        return path

    return write


def slow_diff(a, b):
    return compare_event_streams(open_event_log(a, "r").replay(), open_event_log(b, "r").replay())


def assert_same_answer(a, b):
    fast, slow = compare_logs(a, b), slow_diff(a, b)
    assert (fast is None) == (slow is None)
    if fast is not None:
        assert (fast.seq, fast.event_type, fast.field, fast.message) == (
            slow.seq,
            slow.event_type,
            slow.field,
            slow.message,
        )
        assert repr(fast.a) == repr(slow.a) and repr(fast.b) == repr(slow.b)
    return fast


def col_tweak(epoch, step, col, row, value):
    def tweak(e, s, b):
        if (e, s) == (epoch, step):
            cols = b.columns()
            cols[col] = cols[col].copy()
            cols[col][row] = value
            return InteractionBatch(**cols)
        return b

    return tweak


def test_compare_equal_parquet_logs(tmp_path, write_pq):
    a, b = write_pq(tmp_path / "a.parquet.d"), write_pq(tmp_path / "b.parquet.d")
    assert assert_same_answer(a, b) is None
    # cut into other batches (other chain lines) the events are still the same
    c = write_pq(tmp_path / "c.parquet.d", max_batch_rows=37)
    assert assert_same_answer(a, c) is None


@pytest.mark.parametrize(
    "col,value,field",
    [
        ("p", 0.123456789, "data.p"),
        ("payoff_b", -0.0, "data.payoff_b"),
        ("initiator", 59, "data.initiator"),
        ("itype", 3, "data.type"),
        ("accepted", True, "data.accepted"),
        ("rework_count", 5, "data.rework_count"),
    ],
)
def test_compare_names_first_difference_in_one_interaction_column(
    tmp_path, write_pq, random_batch, col, value, field
):
    base = random_batch(40, 1, 100 * 1 + 2, n_agents=60, step=2)
    if col != "payoff_b" and value == getattr(base, col)[7].item():
        value = 58 if col == "initiator" else (not value) if col == "accepted" else 4
    a = write_pq(tmp_path / "a.parquet.d")
    b = write_pq(tmp_path / "b.parquet.d", tweak=col_tweak(1, 2, col, 7, value))
    if col == "payoff_b":  # make the first log hold +0.0 there, so only the sign bit differs
        a = write_pq(tmp_path / "a0.parquet.d", tweak=col_tweak(1, 2, col, 7, 0.0))
    diff = assert_same_answer(a, b)
    assert diff is not None and diff.field == field and diff.event_type == "interaction_completed"
    if col == "payoff_b":
        assert (repr(diff.a), repr(diff.b)) == ("0.0", "-0.0")
    seqs = [
        ev.seq
        for ev in read_log(b).events
        if ev.event_type == EventType.INTERACTION_COMPLETED and ev.epoch == 1 and ev.step == 2
    ]
    assert diff.seq == seqs[7]


def test_compare_first_difference_in_seq_order_not_chain_order(tmp_path, write_pq):
    """A vote held back behind its batch line differs before a later row of the same batch does."""
    a = write_pq(tmp_path / "a.parquet.d")
    c = write_pq(tmp_path / "c.parquet.d", tweak=col_tweak(0, 3, "tau", 2, 99.0))
    assert assert_same_answer(a, c).field == "data.tau"

    def vote_w(e, s):
        return 7.5 if (e, s) == (0, 1) else 0.1 * s

    d = write_pq(tmp_path / "d.parquet.d", tweak=col_tweak(0, 3, "tau", 2, 99.0), vote_w=vote_w)
    diff = assert_same_answer(a, d)
    assert diff.event_type == "vote_cast" and diff.field == "data.w"


def test_compare_other_agent_lists_and_missing_tail(tmp_path, write_pq, ids):
    # same names, listed in another order: indices differ, events do not
    order = list(reversed([str(x) for x in ids]))
    pos = {n: k for k, n in enumerate(order)}
    lut = np.array([pos[str(x)] for x in ids], dtype=np.int32)

    def reindex(e, s, b):
        cols = b.columns()
        cols["initiator"], cols["counterparty"] = lut[b.initiator], lut[b.counterparty]
        return InteractionBatch(**cols)

    a = write_pq(tmp_path / "a.parquet.d")
    r = write_pq(tmp_path / "r.parquet.d", tweak=reindex, ids_for_step=lambda e, s: order)
    assert assert_same_answer(a, r) is None
    # one log ends early: the missing event is named
    short = write_pq(tmp_path / "short.parquet.d")
    chain = short / "chain.jsonl"
    lines = chain.read_bytes().splitlines(keepends=True)
    chain.write_bytes(b"".join(lines[:-1]))  # drop simulation_ended: a shorter, still valid chain
    diff = assert_same_answer(a, short)
    assert diff.field == "<missing>" and diff.event_type == "simulation_ended"
    assert "second log ends before" in diff.message
    diff = assert_same_answer(short, a)
    assert "first log ends before" in diff.message


def test_equal_segments_are_skipped_without_building_events(tmp_path, write_pq):
    a = write_pq(tmp_path / "a.parquet.d")
    b = write_pq(tmp_path / "b.parquet.d", tweak=col_tweak(2, 1, "v_hat", 3, 42.0))
    calls = []

    def spy(it_a, it_b):
        ea = list(it_a)
        calls.append(ea[0].seq)
        return compare_event_streams(iter(ea), it_b)

    assert compare_parquet_events(open_event_log(a), open_event_log(a), spy) is None
    assert calls == []
    diff = compare_parquet_events(open_event_log(a), open_event_log(b), spy)
    assert diff.field == "data.v_hat"
    # events were built from the differing epoch's batch on, not from the start of the log
    assert len(calls) == 1 and calls[0] > 0 and calls[0] <= diff.seq
    first_of_epoch2 = min(
        ev.seq
        for ev in read_log(a).events
        if ev.event_type == EventType.INTERACTION_COMPLETED and ev.epoch == 2
    )
    assert calls[0] >= first_of_epoch2
