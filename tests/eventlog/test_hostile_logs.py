"""Chain-valid forged logs (issue 9, finding 10): someone edits a real log and reseals the hash chain (it is
unkeyed). Reading, replay, comparison and `replay --verify` must then fail with one `EventLogError` line
naming the line, seq and field, never a traceback; a hypothesis test mutates a real log's records at random
and reseals them."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from distsafe.eventlog import (
    EventLogError,
    batches_by_epoch,
    compare_logs,
    log_info,
    open_event_log,
    read_log,
    verify_chain,
)
from distsafe.eventlog.common import ZERO_HASH, seal

ReadOp = Callable[[Path, Path], Any]

#: Everything that reads a log, each given (forged log, original log).
READERS: dict[str, ReadOp] = {
    "read_log": lambda p, _: read_log(p),
    "verify_chain": lambda p, _: verify_chain(p),
    "log_info": lambda p, _: log_info(p),
    "replay": lambda p, _: list(open_event_log(p).replay()),
    "batches_by_epoch": lambda p, _: batches_by_epoch(p),
    "to_interactions": lambda p, _: open_event_log(p).to_interactions(),
    "compare_logs": lambda p, orig: compare_logs(orig, p),
}


@pytest.fixture(scope="module")
def real_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The event log of a real (small) run of the baseline scenario."""
    from distsafe.scenarios import load_scenario
    from distsafe.scenarios.runner import run_scenario

    out = tmp_path_factory.mktemp("real") / "run"
    spec = load_scenario("baseline", ["simulation.n_epochs=2", "simulation.steps_per_epoch=3"])
    run_scenario(spec, out_dir=out)
    return out / "events.jsonl"


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="ascii").splitlines()]


def reseal(recs: list[dict[str, Any]], path: Path) -> Path:
    """Write `recs` as a chain-valid log: every `prev`/`h` recomputed (NaN and infinities written as-is)."""
    prev = ZERO_HASH
    lines = []
    for rec in recs:
        rec = {k: v for k, v in rec.items() if k != "h"}
        rec["prev"] = prev
        body = json.dumps(rec, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=True)
        line, prev = seal(body)
        lines.append(line)
    path.write_text("".join(lines), encoding="ascii")
    return path


def first_index(recs: list[dict[str, Any]], etype: str) -> int:
    return next(i for i, r in enumerate(recs) if r.get("type") == etype)


def _set(
    i_of: Callable[[list[dict[str, Any]]], int], key: str, value: Any
) -> Callable[[list[dict[str, Any]]], None]:
    def edit(recs: list[dict[str, Any]]) -> None:
        rec = recs[i_of(recs)]
        if key.startswith("data."):
            rec["data"][key[5:]] = value
        else:
            rec[key] = value

    return edit


def _drop(i_of: Callable[[list[dict[str, Any]]], int], key: str) -> Callable[[list[dict[str, Any]]], None]:
    def edit(recs: list[dict[str, Any]]) -> None:
        del recs[i_of(recs)][key]

    return edit


def epoch_event(recs: list[dict[str, Any]]) -> int:
    return first_index(recs, "epoch_started")


def interaction(recs: list[dict[str, Any]]) -> int:
    return first_index(recs, "interaction_completed")


#: name -> (edit, what the one-line error must say)
FORGERIES: dict[str, tuple[Callable[[list[dict[str, Any]]], None], str]] = {
    "unknown event type": (_set(epoch_event, "type", "rm_rf"), "type: unknown event type 'rm_rf'"),
    "string epoch": (_set(epoch_event, "epoch", "3"), "epoch: must be an integer"),
    "negative epoch": (_set(epoch_event, "epoch", -1), "epoch: must be an integer"),
    "huge epoch": (_set(epoch_event, "epoch", 10**30), "epoch: must be an integer"),
    "float step": (_set(epoch_event, "step", 1.5), "step: must be an integer"),
    "string seq": (_set(epoch_event, "seq", "1"), "seq: must be an integer"),
    "bool seq": (_set(epoch_event, "seq", True), "seq: must be an integer"),
    "missing seq": (_drop(epoch_event, "seq"), "seq: missing"),
    "missing type": (_drop(epoch_event, "type"), "type: missing"),
    "unknown field": (_set(epoch_event, "exec", "os:system"), "'exec': unknown field"),
    "data not an object": (_set(epoch_event, "data", [1, 2]), "data: must be an object"),
    "agent not a string": (_set(epoch_event, "agent", 7), "agent: must be a string"),
    "string time": (_set(epoch_event, "t", "now"), "t: must be a number"),
    "NaN time": (_set(epoch_event, "t", float("nan")), "non-finite number NaN"),
    "infinite payoff": (_set(interaction, "data.payoff_a", float("inf")), "non-finite number Infinity"),
    "string payoff": (_set(interaction, "data.payoff_a", "1.0"), "data.payoff_a: must be a number"),
    "unknown interaction type": (
        _set(interaction, "data.type", "theft"),
        "data.type: unknown interaction type",
    ),
    "agent index as a number": (
        _set(interaction, "data.initiator", 10**6),
        "data.initiator: must be a string",
    ),
    "count beyond its column": (
        _set(interaction, "data.rework_count", 2**40),
        "data.rework_count: must be an",
    ),
    "accepted not a bool": (
        _set(interaction, "data.accepted", "yes"),
        "data.accepted: must be true or false",
    ),
}


def test_an_extra_interaction_data_key_is_read_and_compared_not_refused(real_log, tmp_path):
    """JSONL keeps data keys no column reads (as it always wrote them); a comparison names them."""
    recs = records(real_log)
    recs[interaction(recs)]["data"]["note"] = {"any": ["json", 1]}
    forged = reseal(recs, tmp_path / "forged.jsonl")
    assert read_log(forged).events
    diff = compare_logs(real_log, forged)
    assert diff is not None and diff.field == "data.note"


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_resealed_forgery_is_one_clear_error(real_log, tmp_path, forgery, reader):
    edit, message = FORGERIES[forgery]
    recs = records(real_log)
    edit(recs)
    forged = reseal(recs, tmp_path / "forged.jsonl")
    with pytest.raises(EventLogError) as info:
        READERS[reader](forged, real_log)
    text = str(info.value)
    assert message in text and "\n" not in text and len(text) < 400
    assert info.value.line is not None and f"line {info.value.line}" in text


def test_resealing_alone_changes_nothing(real_log, tmp_path):
    """The helper is sound: an unedited reseal is byte-identical, so the errors above are the edits'."""
    copy = reseal(records(real_log), tmp_path / "same.jsonl")
    assert copy.read_bytes() == real_log.read_bytes()


@pytest.mark.parametrize("forgery", ["unknown event type", "string epoch", "unknown interaction type"])
def test_replay_verify_of_a_forgery_is_one_line(real_log, tmp_path, capsys, forgery):
    from distsafe.cli import main

    recs = records(real_log)
    FORGERIES[forgery][0](recs)
    forged = reseal(recs, tmp_path / "events.jsonl")
    for args in (["replay", str(forged)], ["replay", str(forged), "--verify"]):
        assert main(args) == 2
        err = capsys.readouterr().err.strip()
        assert (
            err.startswith("error:")
            and "Traceback" not in err
            and FORGERIES[forgery][1] in err.replace("\n", " ")
        )


def test_parquet_agent_index_out_of_range_is_one_clear_error(real_log, tmp_path):
    """A batch whose agent indices point past its agent list (file and digest forged consistently)."""
    import numpy as np
    import pyarrow.parquet as pq

    from distsafe.eventlog.parquet_batches import ALL_COLUMNS, batch_digest

    src = open_event_log(real_log)
    pq_path = tmp_path / "run.parquet.d"
    with open_event_log(pq_path, "w", "parquet", header=src.header) as out:
        for ev in src.replay():
            out.append(ev)
    chain = pq_path / "chain.jsonl"
    recs = records(chain)
    i = next(k for k, r in enumerate(recs) if "batch" in r)
    entry = recs[i]["batch"]
    table = pq.read_table(pq_path / entry["file"])
    cols = {c: np.array(table.column(c).to_numpy(), dtype=dt) for c, dt in ALL_COLUMNS.items()}
    cols["initiator"][0] = 10_000
    os.remove(pq_path / entry["file"])
    import pyarrow as pa

    pq.write_table(pa.table(cols), pq_path / entry["file"])
    entry["digest"] = batch_digest(cols)
    reseal(recs, chain)
    for name, op in READERS.items():
        if name == "compare_logs":
            continue
        with pytest.raises(EventLogError, match="initiator: agent index out of range") as info:
            op(pq_path, real_log)
        assert "\n" not in str(info.value), name
    shutil.rmtree(pq_path)


# ---- random mutations -----------------------------------------------------------------------------------
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**63, float("nan"), float("inf"), -0.0, 1e308]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["interaction_completed", "epoch_started", "simulation_ended", "reply", "trade"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
KEYS = ["seq", "type", "t", "epoch", "step", "agent", "data", "x"]
DATA_KEYS = [
    "initiator",
    "counterparty",
    "type",
    "accepted",
    "v",
    "p",
    "tau",
    "rework_count",
    "payoff_a",
    "zz",
]


@st.composite
def mutations(draw: st.DrawFn) -> list[tuple[str, int, str, Any]]:
    """A few edits: (op, record position as a fraction index, key, value)."""
    n = draw(st.integers(1, 3))
    out = []
    for _ in range(n):
        op = draw(st.sampled_from(["set", "drop", "set_data", "drop_data", "swap", "delete"]))
        key = draw(st.sampled_from(DATA_KEYS if op.endswith("_data") else KEYS))
        out.append((op, draw(st.integers(1, 10_000)), key, draw(values)))
    return out


def apply(recs: list[dict[str, Any]], edits: list[tuple[str, int, str, Any]]) -> None:
    for op, pos, key, value in edits:
        i = 1 + pos % (len(recs) - 1)  # never the header
        rec = recs[i]
        data = rec.get("data")
        if op == "set":
            rec[key] = value
        elif op == "drop":
            rec.pop(key, None)
        elif op == "set_data" and isinstance(data, dict):
            data[key] = value
        elif op == "drop_data" and isinstance(data, dict):
            data.pop(key, None)
        elif op == "swap" and len(recs) > 2:
            j = 1 + (pos * 7) % (len(recs) - 1)
            recs[i], recs[j] = recs[j], recs[i]
        elif op == "delete" and len(recs) > 2:
            del recs[i]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=mutations())
@example(edits=[("set", 7, "data", None)])  # found by hypothesis: an interaction whose data is null
def test_random_resealed_mutations_raise_only_event_log_errors(real_log, tmp_path, edits):
    recs = records(real_log)
    apply(recs, edits)
    forged = reseal(recs, tmp_path / "m.jsonl")
    for name, op in READERS.items():
        try:
            op(forged, real_log)
        except EventLogError as exc:
            assert "\n" not in str(exc), name
