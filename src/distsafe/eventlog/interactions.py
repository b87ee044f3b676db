"""Interaction rows <-> event records: fast canonical serialisation, columns from records, SoftInteraction.

`interaction_line_parts` writes, column-wise, exactly the bytes `canonical()` would write for each
interaction event (a test checks it); `batch_from_records` goes the other way. Which columns an event's
`data` holds, under which keys, and what a missing key reads as all come from the interaction schema
(`distsafe.models.schema`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from distsafe.eventlog.common import EventLogError
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import Event
from distsafe.models.interaction import InteractionType, SoftInteraction
from distsafe.models.schema import INTERACTION_SCHEMA, ColumnSpec

# Columns of `InteractionBatch` that go into an interaction event's `data` (epoch and step are the
# event's own fields), and their keys there (`itype` is written as `type`, the InteractionType value).
DATA_COLUMNS: tuple[str, ...] = tuple(s.name for s in INTERACTION_SCHEMA if s.key is not None)
FLOAT_COLUMNS: tuple[str, ...] = tuple(s.name for s in INTERACTION_SCHEMA if s.dtype.kind == "f")
_SPECS: dict[str, ColumnSpec] = {s.name: s for s in INTERACTION_SCHEMA}
_DATA_KEY: dict[str, str] = {s.name: s.key for s in INTERACTION_SCHEMA if s.key is not None}
_AGENT_COLUMNS: tuple[str, ...] = tuple(s.name for s in INTERACTION_SCHEMA if s.codec == "agent")
_TYPE_VALUES = [t.value for t in InteractionType]
_TYPE_CODES = {t.value: t.code for t in InteractionType}


def _record_default(spec: ColumnSpec) -> Any:
    """What a missing `data` key reads as."""
    if spec.codec == "agent":
        return ""
    if spec.codec == "interaction_type":
        return _TYPE_VALUES[int(spec.default)]
    return spec.default


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

    probe = np.array(
        [
            0.0,
            -0.0,
            1.0,
            0.1,
            1 / 3,
            -2.5,
            1e-4,
            9.99e-5,
            1e15,
            9.999999999999998e15,
            1e16,
            123456789012345.6,
            5e-324,
            2.2250738585072014e-308,
            1.7976931348623157e308,
            12345678.0,
            0.30000000000000004,
            1e-7,
            100.0,
            6.02214076e23,
        ]
    )
    probe = np.concatenate([probe, -probe, np.random.default_rng(12345).normal(size=2000)])
    return texts if texts(probe) == _repr_floats_python(probe.tolist()) else None


_FAST_FLOATS = _orjson_float_texts()


def float_texts(arr: np.ndarray) -> list[str]:
    """repr() of each value, as json.dumps writes floats (orjson-accelerated when installed)."""
    arr = np.asarray(arr, dtype=np.float64)
    if _FAST_FLOATS is not None:
        texts: list[str] = _FAST_FLOATS(arr)
        return texts
    return _repr_floats_python(arr.tolist())


def _float_texts(arr: np.ndarray, name: str) -> list[str]:
    if not np.all(np.isfinite(arr)):
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise EventLogError(
            f"interaction column {name!r} row {bad} is not finite ({arr[bad]!r}); "
            "the log stores finite floats only"
        )
    return float_texts(arr)


def interaction_line_parts(
    batch: InteractionBatch, agent_ids: Sequence[str], t: np.ndarray, lo: int, hi: int, seq0: int
) -> tuple[list[str], list[str]]:
    """For rows lo..hi-1: the canonical body split around the `prev` value (before, after).

    The body is exactly `canonical(record)` of the interaction event: keys sorted, floats as repr.
    """
    # Encode only the names this chunk uses (10^6 agents, 32k rows a chunk: most are not in it).
    agent_cols = {c: getattr(batch, c)[lo:hi] for c in _AGENT_COLUMNS}
    used = np.unique(np.concatenate(list(agent_cols.values())))
    encoded = np.array([json.dumps(str(agent_ids[i])) for i in used.tolist()] or [""], dtype=object)
    names = {
        c: encoded[np.searchsorted(used, rows)].tolist() if hi > lo else [] for c, rows in agent_cols.items()
    }
    cols: dict[str, list[Any]] = {}
    for c in DATA_COLUMNS:
        spec = _SPECS[c]
        arr = getattr(batch, c)[lo:hi]
        if c in FLOAT_COLUMNS:
            cols[c] = _float_texts(np.asarray(arr, dtype=np.float64), c)
        elif spec.dtype.kind == "b":
            cols[c] = ["true" if x else "false" for x in arr.tolist()]
        elif spec.codec == "agent":
            cols[c] = names[c]
        elif spec.codec == "interaction_type":
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
    return batch_from_records(
        [ev.epoch for ev in events], [ev.step for ev in events], [ev.payload for ev in events], index, names
    )


def batch_from_records(
    epochs: list[int], steps: list[int], datas: list[dict[str, Any]], index: dict[str, int], names: list[str]
) -> InteractionBatch:
    """Columns from interaction `data` dicts (column by column; missing keys read as the defaults)."""

    def idx(name: str) -> int:
        k = index.get(name)
        if k is None:
            k = index[name] = len(names)
            names.append(name)
        return k

    out: dict[str, np.ndarray] = {}
    for spec in INTERACTION_SCHEMA:
        c, key = spec.name, spec.key
        if key is None:  # a field of the event itself
            out[c] = np.asarray(epochs if c == "epoch" else steps, dtype=spec.dtype)
            continue
        default = _record_default(spec)
        if spec.codec == "agent":
            values: list[Any] = [idx(str(d.get(key, default))) for d in datas]
        elif spec.codec == "interaction_type":
            values = [_TYPE_CODES[d.get(key, default)] for d in datas]
        else:
            values = [d.get(key, default) for d in datas]
        out[c] = np.asarray(values, dtype=spec.dtype) if datas else np.zeros(0, dtype=spec.dtype)
    return InteractionBatch(**out)


def interaction_from_event(ev: Event) -> SoftInteraction:
    """The `SoftInteraction` of an interaction event (id `i<seq>`; columns without a row field go into
    metadata)."""
    d = ev.payload
    fields: dict[str, Any] = {"interaction_id": f"i{ev.seq}", "timestamp": ev.timestamp}
    metadata: dict[str, Any] = {}
    for spec in INTERACTION_SCHEMA:
        if spec.key is None:
            value: Any = getattr(ev, spec.name)
        else:
            value = d.get(spec.key, _record_default(spec))
            if spec.codec == "interaction_type":
                value = InteractionType(value)
            elif spec.codec == "outcome":
                value = int(value) if int(value) != 0 else None
            elif spec.dtype.kind == "b":
                value = bool(value)
        if spec.row is None:
            metadata[spec.name] = value
        else:
            fields[spec.row] = value
    return SoftInteraction.model_construct(**fields, metadata=metadata)


def merge_agent_lists(
    parts: Sequence[tuple[InteractionBatch, Sequence[str]]],
) -> tuple[InteractionBatch, list[str]]:
    """Concatenate batches whose indices refer to different agent lists, remapping to their union."""
    first = parts[0][1]
    if all(ids is first for _, ids in parts[1:]):
        # One shared list (the Parquet writer passes the same names for every step): no copy, no compare.
        return InteractionBatch.concat([b for b, _ in parts]), (
            first if isinstance(first, list) else list(first)
        )
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
