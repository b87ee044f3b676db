"""Interaction rows <-> event records: fast canonical serialisation, columns from records, SoftInteraction.

`interaction_line_parts` writes, column-wise, exactly the bytes `canonical()` would write for each
interaction event (a test checks it); `batch_from_records` goes the other way.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

import numpy as np

from distsafe.eventlog.common import EventLogError
from distsafe.models.columns import COLUMNS, InteractionBatch
from distsafe.models.events import Event
from distsafe.models.interaction import InteractionType, SoftInteraction

# Columns of `InteractionBatch` that go into an interaction event's `data` (epoch and step are the
# event's own fields); `itype` is written as `type` (the InteractionType value string).
DATA_COLUMNS: tuple[str, ...] = tuple(c for c in COLUMNS if c not in ("epoch", "step"))
FLOAT_COLUMNS: tuple[str, ...] = tuple(c for c, dt in COLUMNS.items() if np.dtype(dt).kind == "f")
_DATA_KEY = {c: ("type" if c == "itype" else c) for c in DATA_COLUMNS}
_TYPE_VALUES = [t.value for t in InteractionType]
_TYPE_CODES = {t.value: t.code for t in InteractionType}


def _repr_floats_python(values: list[float]) -> list[str]:
    return list(map(float.__repr__, values))


def _orjson_float_texts() -> Any:
    """A faster exact replacement for `map(float.__repr__, ...)` built on orjson, or None.

    orjson prints the same shortest round-trip digits as repr(); only the exponent style differs, and
    only for 0 < |x| < 1e-4 or |x| >= 1e16, which are formatted with repr(). A self-check against repr()
    at import disables it if an orjson version ever formats differently.
    """
    try:
        import orjson
    except ImportError:
        return None

    def texts(arr: np.ndarray) -> list[str]:
        out = orjson.dumps(arr.tolist())[1:-1].decode("ascii").split(",") if len(arr) else []
        a = np.abs(arr)
        special = np.flatnonzero(((a < 1e-4) & (a != 0)) | (a >= 1e16))
        for i in special.tolist():
            out[i] = float.__repr__(float(arr[i]))
        return out

    probe = np.array([0.0, -0.0, 1.0, 0.1, 1 / 3, -2.5, 1e-4, 9.99e-5, 1e15, 9.999999999999998e15, 1e16,
                      123456789012345.6, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 12345678.0,
                      0.30000000000000004, 1e-7, 100.0, 6.02214076e23])
    probe = np.concatenate([probe, -probe, np.random.default_rng(12345).normal(size=2000)])
    return texts if texts(probe) == _repr_floats_python(probe.tolist()) else None


_FAST_FLOATS = _orjson_float_texts()


def float_texts(arr: np.ndarray) -> list[str]:
    """repr() of each value, as json.dumps writes floats (orjson-accelerated when installed)."""
    arr = np.asarray(arr, dtype=np.float64)
    if _FAST_FLOATS is not None:
        return _FAST_FLOATS(arr)
    return _repr_floats_python(arr.tolist())


def _float_texts(arr: np.ndarray, name: str) -> list[str]:
    if not np.all(np.isfinite(arr)):
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise EventLogError(f"interaction column {name!r} row {bad} is not finite ({arr[bad]!r}); "
                            "the log stores finite floats only")
    return float_texts(arr)


def interaction_line_parts(batch: InteractionBatch, agent_ids: Sequence[str], t: np.ndarray,
                           lo: int, hi: int, seq0: int) -> tuple[list[str], list[str]]:
    """For rows lo..hi-1: the canonical body split around the `prev` value (before, after).

    The body is exactly `canonical(record)` of the interaction event: keys sorted, floats as repr.
    """
    # Encode only the names this chunk uses (10^6 agents, 32k rows a chunk: most are not in it).
    ini, cpt = batch.initiator[lo:hi], batch.counterparty[lo:hi]
    used = np.unique(np.concatenate([ini, cpt]))
    encoded = np.array([json.dumps(str(agent_ids[i])) for i in used.tolist()] or [""], dtype=object)
    names = {"initiator": encoded[np.searchsorted(used, ini)].tolist() if hi > lo else [],
             "counterparty": encoded[np.searchsorted(used, cpt)].tolist() if hi > lo else []}
    cols: dict[str, list[Any]] = {}
    for c in DATA_COLUMNS:
        arr = getattr(batch, c)[lo:hi]
        if c in FLOAT_COLUMNS:
            cols[c] = _float_texts(np.asarray(arr, dtype=np.float64), c)
        elif c == "accepted":
            cols[c] = ["true" if x else "false" for x in arr.tolist()]
        elif c in ("initiator", "counterparty"):
            cols[c] = names[c]
        elif c == "itype":
            cols[c] = [f'"{_TYPE_VALUES[i]}"' for i in arr.tolist()]
        else:
            cols[c] = arr.tolist()  # Python ints: "%s" writes them as json.dumps does
    keys = sorted(DATA_COLUMNS, key=lambda c: _DATA_KEY[c])
    lists = [cols[c] for c in keys]
    lists.append(batch.epoch[lo:hi].tolist())
    fmt = '{"data":{' + ",".join(f'"{_DATA_KEY[c]}":%s' for c in keys) + '},"epoch":%s,"prev":"'
    before = [fmt % vals for vals in zip(*lists)]
    ts = _float_texts(np.asarray(t[lo:hi], dtype=np.float64), "timestamp")
    fmt_after = '","seq":%s,"step":%s,"t":%s,"type":"interaction_completed"}'
    after = [fmt_after % vals for vals in zip(range(seq0, seq0 + hi - lo), batch.step[lo:hi].tolist(), ts)]
    return before, after


def batch_from_events(events: Sequence[Event], index: dict[str, int], names: list[str]) -> InteractionBatch:
    """Columns of interaction events; agent names are mapped through (and added to) index/names."""
    return batch_from_records([ev.epoch for ev in events], [ev.step for ev in events],
                              [ev.payload for ev in events], index, names)


def batch_from_records(epochs: list[int], steps: list[int], datas: list[dict[str, Any]],
                       index: dict[str, int], names: list[str]) -> InteractionBatch:
    """Columns from interaction `data` dicts (column by column; missing keys read as the defaults)."""

    def idx(name: str) -> int:
        k = index.get(name)
        if k is None:
            k = index[name] = len(names)
            names.append(name)
        return k

    out: dict[str, np.ndarray] = {
        "epoch": np.asarray(epochs, dtype=COLUMNS["epoch"]),
        "step": np.asarray(steps, dtype=COLUMNS["step"]),
    }
    for c in DATA_COLUMNS:
        key = _DATA_KEY[c]
        if c in ("initiator", "counterparty"):
            values: list[Any] = [idx(str(d.get(key, ""))) for d in datas]
        elif c == "itype":
            values = [_TYPE_CODES[d.get("type", "reply")] for d in datas]
        elif c == "p":
            values = [d.get("p", 0.5) for d in datas]
        else:
            values = [d.get(key, 0) for d in datas]
        out[c] = np.asarray(values, dtype=COLUMNS[c]) if datas else np.zeros(0, dtype=COLUMNS[c])
    return InteractionBatch(**out)


def interaction_from_event(ev: Event) -> SoftInteraction:
    d = ev.payload
    v = int(d.get("v", 0))
    return SoftInteraction.model_construct(
        interaction_id=f"i{ev.seq}",
        timestamp=ev.timestamp,
        epoch=ev.epoch,
        step=ev.step,
        initiator=d.get("initiator", ""),
        counterparty=d.get("counterparty", ""),
        interaction_type=InteractionType(d.get("type", "reply")),
        accepted=bool(d.get("accepted", False)),
        task_progress_delta=d.get("task_progress_delta", 0.0),
        rework_count=d.get("rework_count", 0),
        verifier_rejections=d.get("verifier_rejections", 0),
        tool_misuse_flags=d.get("tool_misuse_flags", 0),
        counterparty_engagement_delta=d.get("counterparty_engagement_delta", 0.0),
        v_hat=d.get("v_hat", 0.0),
        p=d.get("p", 0.5),
        tau=d.get("tau", 0.0),
        c_a=d.get("c_a", 0.0),
        c_b=d.get("c_b", 0.0),
        r_a=d.get("r_a", 0.0),
        r_b=d.get("r_b", 0.0),
        ground_truth=(v if v != 0 else None),
        metadata={"payoff_a": d.get("payoff_a", 0.0), "payoff_b": d.get("payoff_b", 0.0)},
    )


def merge_agent_lists(parts: Sequence[tuple[InteractionBatch, Sequence[str]]]) -> tuple[InteractionBatch, list[str]]:
    """Concatenate batches whose indices refer to different agent lists, remapping to their union."""
    first = parts[0][1]
    if all(ids is first for _, ids in parts[1:]):
        # One shared list (the Parquet writer passes the same names for every step): no copy, no compare.
        return InteractionBatch.concat([b for b, _ in parts]), (first if isinstance(first, list) else list(first))
    first_ids = list(first)
    if all(list(ids) == first_ids for _, ids in parts[1:]):
        return InteractionBatch.concat([b for b, _ in parts]), first_ids
    index: dict[str, int] = {}
    names: list[str] = []
    remapped = []
    for b, ids in parts:
        lut = np.empty(len(ids), dtype=np.int32)
        for k, name in enumerate(ids):
            if name not in index:
                index[name] = len(names)
                names.append(name)
            lut[k] = index[name]
        cols = b.columns()
        cols["initiator"] = lut[b.initiator] if len(b) else b.initiator
        cols["counterparty"] = lut[b.counterparty] if len(b) else b.counterparty
        remapped.append(InteractionBatch(**cols))
    return InteractionBatch.concat(remapped), names
