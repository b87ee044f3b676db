"""Property tests: exact round trips with extreme floats, tamper detection, truncation at any byte."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distsafe.eventlog import EventLogError, open_event_log, read_log, verify_chain
from distsafe.eventlog.interactions import float_texts
from distsafe.models.columns import COLUMNS, InteractionBatch
from distsafe.models.events import Event, EventType

IDS = ["a", "b\u00e9", 'q"uote', "d"]
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

finite = st.floats(allow_nan=False, allow_infinity=False)
extreme = st.sampled_from(
    [
        0.0,
        -0.0,
        5e-324,
        -5e-324,
        2.2250738585072014e-308,
        1.7976931348623157e308,
        -1.7976931348623157e308,
        1e-4,
        9.999999999999999e-05,
        1e16,
        9999999999999998.0,
        0.1,
        1 / 3,
        1e-300,
        1e300,
    ]
)
floats = st.one_of(finite, extreme)


@st.composite
def batches(draw, max_rows=12):
    n = draw(st.integers(1, max_rows))
    cols = {}
    for c, dt in COLUMNS.items():
        kind = np.dtype(dt).kind
        if kind == "f":
            cols[c] = draw(st.lists(floats, min_size=n, max_size=n))
        elif c in ("initiator", "counterparty"):
            cols[c] = draw(st.lists(st.integers(0, len(IDS) - 1), min_size=n, max_size=n))
        elif c == "itype":
            cols[c] = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
        elif c == "accepted":
            cols[c] = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        elif c == "v":
            cols[c] = draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=n, max_size=n))
        elif c == "epoch":
            cols[c] = sorted(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
        elif c == "step":  # simulation steps count from 0 (a log refuses negative ones)
            cols[c] = draw(st.lists(st.integers(0, int(np.iinfo(dt).max)), min_size=n, max_size=n))
        else:
            info = np.iinfo(dt)
            cols[c] = draw(st.lists(st.integers(int(info.min), int(info.max)), min_size=n, max_size=n))
    return InteractionBatch.from_columns(**cols)


def _bits(a: np.ndarray) -> np.ndarray:
    return a.view(np.int64) if a.dtype == np.float64 else a


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
@SETTINGS
@given(b=batches(), t=floats)
def test_round_trip_is_bit_exact(tmp_path, fmt, b, t):
    path = tmp_path / f"rt.{fmt}"
    with open_event_log(path, "w", fmt=fmt, header={"agent_ids": IDS}) as log:
        log.append_interactions(b, IDS, timestamp=t)
    got_batches = list(open_event_log(path, fmt=fmt).interaction_batches())
    got = InteractionBatch.concat([g for g, _ in got_batches])
    assert all(ids[: len(IDS)] == IDS for _, ids in got_batches)
    for c in COLUMNS:
        assert getattr(got, c).dtype == getattr(b, c).dtype
        np.testing.assert_array_equal(_bits(getattr(got, c)), _bits(getattr(b, c)), err_msg=c)
    events = list(open_event_log(path, fmt=fmt).replay())
    assert all(np.float64(e.timestamp).view(np.int64) == np.float64(t).view(np.int64) for e in events)
    assert [e.seq for e in events] == list(range(len(b)))


@SETTINGS
@given(xs=st.lists(floats, max_size=50))
def test_float_texts_equal_repr(xs):
    assert float_texts(np.array(xs, dtype=np.float64)) == [repr(float(x)) for x in xs]


def _small_log(path, b):
    with open_event_log(path, "w", header={"scenario": "p"}) as log:
        log.append(Event(event_type=EventType.SIMULATION_STARTED, payload={"x": [1, 2.5, "s"]}))
        log.append_interactions(b, IDS, timestamp=1.0)
        log.append(Event(event_type=EventType.SIMULATION_ENDED, timestamp=2.0))
    return path.read_bytes()


@SETTINGS
@given(b=batches(max_rows=4), where=st.floats(0, 1, exclude_max=True), byte=st.integers(0, 255))
def test_any_single_byte_tamper_is_detected(tmp_path, b, where, byte):
    path = tmp_path / "t.jsonl"
    data = _small_log(path, b)
    n_events = len(b) + 2
    first_event = data.index(b"\n") + 1  # tamper any byte of any event line (header: tested below)
    pos = first_event + int(where * (len(data) - first_event))
    if data[pos] == byte:
        byte = (byte + 1) % 256
    path.write_bytes(data[:pos] + bytes([byte]) + data[pos + 1 :])
    try:
        status = verify_chain(path)
    except EventLogError as exc:
        assert exc.line is not None and exc.line >= 2
    else:  # only the final newline can be hit without an error: the last event is then dropped
        assert pos == len(data) - 1
        assert status.n_events == n_events - 1 and not status.complete


@SETTINGS
@given(b=batches(max_rows=4), pos=st.integers(0, 10**6), byte=st.integers(0, 255))
def test_header_tamper_is_detected(tmp_path, b, pos, byte):
    path = tmp_path / "h.jsonl"
    data = _small_log(path, b)
    pos = pos % data.index(b"\n")
    if data[pos] == byte:
        byte = (byte + 1) % 256
    path.write_bytes(data[:pos] + bytes([byte]) + data[pos + 1 :])
    with pytest.raises(EventLogError):
        verify_chain(path)


@SETTINGS
@given(b=batches(max_rows=5), where=st.floats(0, 1))
def test_truncation_reads_longest_valid_prefix(tmp_path, b, where):
    path = tmp_path / "c.jsonl"
    data = _small_log(path, b)
    full = list(open_event_log(path).replay())
    header_end = data.index(b"\n") + 1
    cut = header_end + int(where * (len(data) - header_end))
    path.write_bytes(data[:cut])
    prefix = data[:cut]
    whole = prefix.count(b"\n") - 1  # event lines that kept their newline
    expected = whole + (
        1 if cut < len(data) and data[cut : cut + 1] == b"\n" else 0
    )  # newline-less but whole
    res = read_log(path)
    assert len(res.events) == expected
    assert [e.model_dump() for e in res.events] == [e.model_dump() for e in full[:expected]]
    assert res.complete == (expected == len(full))
    if expected < len(full):
        assert f"reading {expected} events" in res.message
