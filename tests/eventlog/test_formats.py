"""What every storage must do (run once per format, see the `fmt` fixture): header and events, the hash
chain checked by hand, tamper and truncation detection, replay, interaction rebuilding, bad input."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

import distsafe
from distsafe.eventlog import (
    EventLogError,
    batches_by_epoch,
    canonical,
    log_info,
    open_event_log,
    read_log,
    verify_chain,
)
from distsafe.models.columns import COLUMNS, InteractionBatch
from distsafe.models.events import Event, EventType

N_EVENTS = (
    1 + 3 * (1 + 20 + 2) + 1
)  # the standard run: start, 3 x (epoch_started, 20 rows, vote, completed), end


def test_header_events_and_seq(log_path, fmt, write_run, names):
    write_run(log_path, fmt)
    res = read_log(log_path)
    assert res.header["format"] == "distsafe-eventlog"
    assert res.header["storage"] == fmt
    assert res.header["version"] == distsafe.__version__
    assert res.header["scenario"] == "baseline" and res.header["seed"] == 7
    assert res.header["agent_ids"] == names
    assert len(res.events) == N_EVENTS
    assert [e.seq for e in res.events] == list(range(len(res.events)))
    assert res.complete is True
    assert res.message == f"log complete: {len(res.events)} events"
    assert res.events[0].payload == {"n_agents": 5}
    assert res.events[-1].event_type == EventType.SIMULATION_ENDED
    vote = [e for e in res.events if e.event_type == EventType.VOTE_CAST][0]
    assert vote.agent_id == "bob" and vote.payload == {"post": 3, "up": True}


def test_lines_verify_by_hand(log_path, fmt, write_run, chain_file):
    write_run(log_path, fmt)
    lines = chain_file(log_path).read_text(encoding="ascii").split("\n")
    assert lines[-1] == ""
    prev = "0" * 64
    for line in lines[:-1]:
        rec = json.loads(line)
        body = line[:-72] + "}"
        assert hashlib.sha256(body.encode()).hexdigest() == rec["h"]
        assert rec["prev"] == prev
        rec.pop("h")
        assert canonical(rec) == body  # every line, fast paths included, is canonical JSON
        prev = hashlib.sha256(body.encode()).hexdigest()
    assert json.loads(lines[0])["prev"] == "0" * 64


def test_interaction_event_data_columns(log_path, fmt, write_run, names):
    batches = write_run(log_path, fmt, n_epochs=1, rows=4)
    ev = [e for e in open_event_log(log_path).replay() if e.event_type == EventType.INTERACTION_COMPLETED][0]
    b = batches[0]
    assert ev.epoch == 0 and ev.step == int(b.step[0]) and ev.timestamp == 1.0
    assert ev.payload["initiator"] == names[b.initiator[0]]
    assert ev.payload["counterparty"] == names[b.counterparty[0]]
    assert ev.payload["type"] == ["reply", "vote", "trade", "collaboration"][b.itype[0]]
    assert ev.payload["v"] == int(b.v[0]) and ev.payload["p"] == float(b.p[0])
    assert ev.payload["payoff_b"] == float(b.payoff_b[0])
    assert set(ev.payload) == {"type" if c == "itype" else c for c in COLUMNS if c not in ("epoch", "step")}


def test_deterministic_bytes(tmp_path, fmt, write_run, dir_bytes):
    name = "run.jsonl" if fmt == "jsonl" else "run.parquet.d"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_run(tmp_path / "a" / name, fmt)
    write_run(tmp_path / "b" / name, fmt)
    files = dir_bytes(tmp_path / "a" / name)
    assert files == dir_bytes(tmp_path / "b" / name)
    assert len(files) == (1 if fmt == "jsonl" else 1 + 3 * 2)  # Parquet: chain + 3 batch files (data, raw)


def test_cut_last_line_reads_valid_prefix(log_path, fmt, write_run, chain_file):
    write_run(log_path, fmt)
    chain = chain_file(log_path)
    data = chain.read_bytes()
    n_lines = data.count(b"\n")
    last_start = data.rindex(b"\n", 0, len(data) - 1) + 1
    chain.write_bytes(data[: last_start + (len(data) - last_start) // 2])  # half of simulation_ended's line
    res = read_log(log_path)
    assert len(res.events) == N_EVENTS - 1 and res.complete is False
    assert res.message == (
        f"log truncated after event seq {N_EVENTS - 2} (line {n_lines} incomplete); "
        f"reading {N_EVENTS - 1} events"
    )
    st = verify_chain(log_path)
    assert st.n_events == N_EVENTS - 1 and st.truncated_line == n_lines


def test_unfinished_run_is_reported(log_path, fmt, write_run):
    write_run(log_path, fmt, finish=False)
    res = read_log(log_path)
    assert res.complete is False
    assert "no simulation_ended" in res.message and f"reading {len(res.events)} events" in res.message


def test_tampered_line_names_line_and_seq(log_path, fmt, write_run, chain_file):
    write_run(log_path, fmt)
    chain = chain_file(log_path)
    lines = chain.read_text().split("\n")
    k = next(i for i, line in enumerate(lines) if '"type":"vote_cast"' in line)
    seq = json.loads(lines[k])["seq"]
    lines[k] = lines[k].replace('"post":3', '"post":4', 1)
    chain.write_text("\n".join(lines))
    with pytest.raises(EventLogError) as err:
        verify_chain(log_path)
    assert err.value.line == k + 1 and err.value.seq == seq
    assert f"line {k + 1} (seq {seq})" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(EventLogError):
        list(open_event_log(log_path).replay())


def test_removed_line_breaks_the_chain(log_path, fmt, write_run, chain_file):
    write_run(log_path, fmt)
    chain = chain_file(log_path)
    lines = chain.read_text().split("\n")
    seq_after = json.loads(lines[6]).get("seq")
    del lines[5]
    chain.write_text("\n".join(lines))
    with pytest.raises(EventLogError, match="line 6 .*prev does not match") as err:
        verify_chain(log_path)
    assert err.value.seq == seq_after and seq_after is not None


def test_missing_or_headless_log(tmp_path, fmt):
    path = tmp_path / ("empty.jsonl" if fmt == "jsonl" else "empty.parquet.d")
    chain = path if fmt == "jsonl" else path / "chain.jsonl"
    chain.parent.mkdir(exist_ok=True)
    chain.write_bytes(b'{"format":"distsafe-eventlog"')
    with pytest.raises(EventLogError, match="no complete header"):
        read_log(path)
    missing = {"jsonl": "no such", "parquet": "no chain.jsonl"}[fmt]
    with pytest.raises(EventLogError, match=missing):
        read_log(tmp_path / ("nope.jsonl" if fmt == "jsonl" else "nope.parquet.d"))


def test_to_interactions_and_batches(log_path, fmt, write_run, names):
    batches = write_run(log_path, fmt, rows=15)
    its = open_event_log(log_path).to_interactions()
    expected = [it for b in batches for it in b.to_interactions(names)]
    assert len(its) == len(expected) == 45
    fields = (
        "epoch",
        "step",
        "initiator",
        "counterparty",
        "interaction_type",
        "accepted",
        "p",
        "v_hat",
        "tau",
    )
    fields += ("c_a", "c_b", "r_a", "r_b", "rework_count", "ground_truth", "metadata")
    for got, exp in zip(its, expected):
        for f in fields:
            assert getattr(got, f) == getattr(exp, f), f
    assert its[0].interaction_id == "i2" and its[0].timestamp == 1.0
    seen = list(open_event_log(log_path).interaction_batches())
    assert len(seen) == 3
    for (got, ids), b in zip(seen, batches):
        assert ids == names  # JSONL: the header's agent_ids are the base of the index; Parquet: the batch's
        for c in COLUMNS:
            np.testing.assert_array_equal(getattr(got, c), getattr(b, c))
            assert getattr(got, c).dtype == COLUMNS[c]


def test_batches_by_epoch_includes_empty_epochs(log_path, fmt, random_batch, names):
    with open_event_log(log_path, "w", fmt=fmt) as log:
        log.append(Event(event_type=EventType.EPOCH_STARTED, epoch=0))
        log.append_interactions(random_batch(3, 0, uniform_p=True), names)
        log.append(Event(event_type=EventType.EPOCH_STARTED, epoch=1))
        log.append(Event(event_type=EventType.EPOCH_STARTED, epoch=2))
        log.append_interactions(random_batch(4, 2, seed=1, uniform_p=True), names)
    out = batches_by_epoch(log_path)
    assert sorted(out) == [0, 1, 2]
    assert [len(out[e][0]) for e in (0, 1, 2)] == [3, 0, 4]


def test_non_finite_values_rejected_and_log_untouched(
    tmp_path, log_path, fmt, random_batch, names, chain_file
):
    b = random_batch(3, 0, uniform_p=True)
    b.tau[2] = np.nan
    with open_event_log(log_path, "w", fmt=fmt) as log:
        tau_error = {"jsonl": "'tau' row 2 is not finite", "parquet": "'tau' has non-finite values"}[fmt]
        with pytest.raises(EventLogError, match=tau_error):
            log.append_interactions(b, names)
        with pytest.raises(EventLogError, match="not canonical JSON"):
            log.append(Event(event_type=EventType.AUDIT, payload={"x": float("inf")}))
        assert log.next_seq == 0
    assert len(chain_file(log_path).read_text().splitlines()) == 1
    with pytest.raises(EventLogError, match="outside agent_ids"):
        open_event_log(tmp_path / "y", "w", fmt=fmt).append_interactions(random_batch(3, 0), names[:1])
    with pytest.raises(EventLogError, match="reserved"):
        open_event_log(tmp_path / "z", "w", fmt=fmt, header={"h": 1})


def test_per_row_timestamps_and_fsync(log_path, fmt, random_batch, names):
    b = random_batch(4, 1, uniform_p=True)
    with open_event_log(log_path, "w", fmt=fmt, fsync=True) as log:
        assert log.append_interactions(b, names, timestamp=np.array([1.0, 2.0, 3.0, 4.5])) == range(0, 4)
        with pytest.raises(EventLogError, match="one value per row"):
            log.append_interactions(b, names, timestamp=np.array([1.0, 2.0]))
        assert log.append_interactions(InteractionBatch.empty(0), names) == range(4, 4)
    assert [e.timestamp for e in open_event_log(log_path).replay()] == [1.0, 2.0, 3.0, 4.5]
    assert [it.timestamp for it in open_event_log(log_path).to_interactions()] == [1.0, 2.0, 3.0, 4.5]


def test_read_only_log_refuses_appends(log_path, fmt, write_run):
    write_run(log_path, fmt, n_epochs=1)
    r = open_event_log(log_path)
    assert r.fmt == fmt and r.mode == "r"
    with pytest.raises(EventLogError, match="open for reading"):
        r.append(Event(event_type=EventType.AUDIT))


def test_log_info_matches_read_log(tmp_path, fmt, write_steps, population):
    ids = population(60)
    path = tmp_path / ("a.jsonl" if fmt == "jsonl" else "a.parquet.d")
    write_steps(path, lambda e, s: ids, lambda e, s: 60)
    info, res = log_info(path), read_log(path)
    assert (info.header, info.n_events, info.complete, info.message) == (
        res.header,
        len(res.events),
        res.complete,
        res.message,
    )
    assert info.complete and info.n_events == 1 + 3 * (1 + 4 * 41 + 1) + 1
