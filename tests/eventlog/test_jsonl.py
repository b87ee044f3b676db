"""JSONL storage only: the column-wise fast path writes the canonical lines, buffering, a cut mid-file."""

from __future__ import annotations

import numpy as np
import pytest

from distsafe.eventlog import EventLogError, JsonlEventLog, canonical, open_event_log, read_log, verify_chain
from distsafe.eventlog.interactions import interaction_line_parts
from distsafe.models.columns import COLUMNS, InteractionBatch
from distsafe.models.events import Event, EventType
from distsafe.models.interaction import InteractionType


def test_fast_path_matches_generic_append(tmp_path, random_batch, names):
    b = random_batch(5, 2, seed=4, uniform_p=True)
    a_path, g_path = tmp_path / "a.jsonl", tmp_path / "g.jsonl"
    with open_event_log(a_path, "w") as log:
        log.append_interactions(b, names, timestamp=3.5)
    events = list(open_event_log(a_path).replay())
    with open_event_log(g_path, "w") as log:
        for ev in events:
            log.append(ev)
    assert a_path.read_bytes() == g_path.read_bytes()


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


def test_truncated_log_reads_valid_prefix(tmp_path, write_run):
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


def test_interaction_lines_are_the_canonical_records(tmp_path, random_batch, population):
    """`interaction_line_parts` encodes only the names a chunk uses; the lines are the canonical records."""
    ids = population(5000)
    names = [str(a) for a in ids]
    b = random_batch(300, 4, 9, n_agents=5000, step=2)
    b.initiator[:3] = [0, 4999, 17]
    t = np.linspace(0.0, 3.0, 300)
    before, after = interaction_line_parts(b, ids, t, 50, 250, 1000)
    assert len(before) == len(after) == 200
    for k, (pre, post) in enumerate(zip(before, after)):
        row = 50 + k
        rec = {
            "seq": 1000 + k,
            "type": "interaction_completed",
            "t": float(t[row]),
            "epoch": 4,
            "step": 2,
            "prev": "P" * 64,
            "data": _row_data(b, row, names),
        }
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


def _row_data(b: InteractionBatch, row: int, names: list[str]) -> dict:
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
