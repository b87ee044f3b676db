"""What a record read from a log must be before anything uses it.

The hash chain is unkeyed: anyone can edit a log and reseal it, so a chain-valid line is not a trusted one.
Every record the chain scanner yields is checked here first (field names, JSON types, ranges that fit the
storage: seqs in int64, epochs and steps in int32, the interaction columns' dtypes, known event and
interaction types), so that reading, `replay` and `--verify` fail with one `EventLogError` naming the
line, seq and field instead of a traceback further on. Each check returns None or a short reason
(`"epoch: must be an integer in [0, 2147483647], got '3'"`); the scanner adds the location.

Non-finite numbers never get this far: the line parser here (`loads`) refuses NaN and infinities.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import orjson

from distsafe.models.columns import COLUMNS
from distsafe.models.events import EventType
from distsafe.models.interaction import InteractionType

SEQ_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1
EVENT_TYPES = frozenset(t.value for t in EventType)
INTERACTION_TYPES = frozenset(t.value for t in InteractionType)
EVENT_KEYS = frozenset({"seq", "type", "t", "epoch", "step", "agent", "data", "prev", "h"})
BATCH_KEYS = frozenset({"file", "rows", "epoch", "seq_first", "seq_last", "digest", "agents"})

# An interaction event's data key -> (kind, lo, hi): "int" with its column's range, "float", "str",
# "bool", or "itype" (an InteractionType value).
_INTERACTION_DATA: dict[str, tuple[str, int, int]] = {}
for _col, _dt in COLUMNS.items():
    if _col in ("epoch", "step"):
        continue
    if _col in ("initiator", "counterparty"):
        _INTERACTION_DATA[_col] = ("str", 0, 0)
    elif _col == "itype":
        _INTERACTION_DATA["type"] = ("itype", 0, 0)
    elif np.dtype(_dt).kind == "b":
        _INTERACTION_DATA[_col] = ("bool", 0, 0)
    elif np.dtype(_dt).kind == "f":
        _INTERACTION_DATA[_col] = ("float", 0, 0)
    else:
        _info = np.iinfo(_dt)
        _INTERACTION_DATA[_col] = ("int", int(_info.min), int(_info.max))


def brief(value: Any, limit: int = 40) -> str:
    """A short repr for a message (never fails on deep nesting or long integers)."""
    try:
        text = repr(value)
    except (RecursionError, ValueError):
        return f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def int_problem(value: Any, lo: int, hi: int) -> str | None:
    if type(value) is not int or not lo <= value <= hi:
        return f"must be an integer in [{lo}, {hi}], got {brief(value)}"
    return None


def _number_problem(value: Any) -> str | None:
    # Finite by construction: the parser refuses NaN and infinities.
    if type(value) is not float and type(value) is not int:
        return f"must be a number, got {brief(value)}"
    return None


def record_problem(rec: dict[str, Any]) -> str | None:
    """Why an event record (a chain line that is not a batch line) is invalid, or None."""
    seq, etype, epoch, step = rec.get("seq"), rec.get("type"), rec.get("epoch", 0), rec.get("step", 0)
    if (  # the fast path: a record as the writer writes it
        type(seq) is int
        and type(etype) is str
        and type(epoch) is int
        and type(step) is int
        and type(rec.get("t", 0.0)) is float
        and 0 <= seq <= SEQ_MAX
        and 0 <= epoch <= INT32_MAX
        and 0 <= step <= INT32_MAX
        and etype in EVENT_TYPES
        and rec.keys() <= EVENT_KEYS
    ):
        agent, data = rec.get("agent"), rec.get("data")
        if (agent is None or type(agent) is str) and (data is None or type(data) is dict):
            return interaction_data_problem(data or {}) if etype == "interaction_completed" else None
    extra = rec.keys() - EVENT_KEYS
    if extra:
        return f"{brief(sorted(extra)[0])}: unknown field"
    for key in ("seq", "type"):
        if key not in rec:
            return f"{key}: missing"
    why = int_problem(rec["seq"], 0, SEQ_MAX)
    if why:
        return f"seq: {why}"
    etype = rec["type"]
    if type(etype) is not str or etype not in EVENT_TYPES:
        return f"type: unknown event type {brief(etype)}"
    if "t" in rec:
        why = _number_problem(rec["t"])
        if why:
            return f"t: {why}"
    for key in ("epoch", "step"):
        if key in rec:
            why = int_problem(rec[key], 0, INT32_MAX)
            if why:
                return f"{key}: {why}"
    agent = rec.get("agent")
    if agent is not None and type(agent) is not str:
        return f"agent: must be a string, got {brief(agent)}"
    data = rec.get("data")
    if data is not None and type(data) is not dict:
        return f"data: must be an object, got {brief(data)}"
    if etype == "interaction_completed":
        return interaction_data_problem(data or {})
    return None


# The fast path of `interaction_data_problem`: the Python type each key has in what the writer writes.
_EXACT_TYPE = {
    key: {"float": float, "int": int, "str": str, "bool": bool, "itype": str}[kind]
    for key, (kind, _, _) in _INTERACTION_DATA.items()
}
_INT_KEYS = tuple((key, lo, hi) for key, (kind, lo, hi) in _INTERACTION_DATA.items() if kind == "int")
# What the writer writes: every key, in sorted order (canonical JSON), each value of its exact type.
_WRITTEN_KEYS = tuple(sorted(_EXACT_TYPE))
_WRITTEN_TYPES = tuple(_EXACT_TYPE[k] for k in _WRITTEN_KEYS)


def interaction_data_problem(data: dict[str, Any]) -> str | None:
    """Why an interaction event's data does not fit the interaction columns, or None."""
    get = _EXACT_TYPE.get
    if (tuple(data) == _WRITTEN_KEYS and tuple(map(type, data.values())) == _WRITTEN_TYPES) or all(
        type(value) is get(key) for key, value in data.items()
    ):  # as written: only ranges to check
        for key, lo, hi in _INT_KEYS:
            value = data.get(key, 0)
            if not lo <= value <= hi:
                return f"data.{key}: must be an integer in [{lo}, {hi}], got {brief(value)}"
        itype = data.get("type", "reply")
        if itype in INTERACTION_TYPES:
            return None
    return _interaction_data_problem(data)


def _interaction_data_problem(data: dict[str, Any]) -> str | None:
    for key, value in data.items():
        spec = _INTERACTION_DATA.get(key)
        if spec is None:  # a key no column reads (JSONL keeps it; nothing uses it): any JSON value
            continue
        kind, lo, hi = spec
        if kind == "float":
            why = _number_problem(value)
        elif kind == "int":
            why = int_problem(value, lo, hi)
        elif kind == "str":
            why = None if type(value) is str else f"must be a string, got {brief(value)}"
        elif kind == "bool":
            why = None if type(value) is bool else f"must be true or false, got {brief(value)}"
        else:
            ok = type(value) is str and value in INTERACTION_TYPES
            why = None if ok else f"unknown interaction type {brief(value)}"
        if why:
            return f"data.{key}: {why}"
    return None


def batch_entry_problem(rec: dict[str, Any]) -> str | None:
    """Why a Parquet batch line (`{"batch": {...}, "prev", "h"}`) is invalid, or None."""
    extra = rec.keys() - {"batch", "prev", "h"}
    if extra:
        return f"{brief(sorted(extra)[0])}: unknown field of a batch line"
    entry = rec["batch"]
    if type(entry) is not dict:
        return f"batch: must be an object, got {brief(entry)}"
    extra = entry.keys() - BATCH_KEYS
    if extra:
        return f"batch.{brief(sorted(extra)[0])}: unknown field"
    for key in ("file", "rows", "epoch", "seq_first", "seq_last", "digest"):
        if key not in entry:
            return f"batch.{key}: missing"
    for key in ("file", "digest"):
        if type(entry[key]) is not str:
            return f"batch.{key}: must be a string, got {brief(entry[key])}"
    for key, hi in (("rows", SEQ_MAX), ("epoch", INT32_MAX), ("seq_first", SEQ_MAX), ("seq_last", SEQ_MAX)):
        why = int_problem(entry[key], 0, hi)
        if why:
            return f"batch.{key}: {why}"
    agents = entry.get("agents")
    if "agents" in entry and (type(agents) is not list or not all(type(a) is str for a in agents)):
        return "batch.agents: must be a list of strings"
    return None


def columns_problem(cols: dict[str, np.ndarray], entry: dict[str, Any]) -> str | None:
    """Why a batch file's (digest-checked) columns hold values no writer writes, or None."""
    n = len(cols["seq"])
    if n == 0:
        return None
    for name, arr in cols.items():
        if name.startswith("__"):
            continue
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            return f"column {name}: non-finite value"
    for name in ("epoch", "step"):
        if int(cols[name].min()) < 0:
            return f"column {name}: negative value"
    if int(cols["itype"].min()) < 0 or int(cols["itype"].max()) >= len(InteractionType):
        return "column itype: unknown interaction type code"
    seq = cols["seq"]
    if int(seq[0]) != entry["seq_first"] or int(seq[-1]) != entry["seq_last"]:
        return "column seq: does not match seq_first/seq_last"
    if n > 1 and not bool(np.all(np.diff(seq) > 0)):
        return "column seq: not increasing"
    return None


def agent_index_problem(cols: dict[str, np.ndarray], n_agents: int) -> str | None:
    """Why a batch's agent indices do not all name an agent of its list (of `n_agents`), or None."""
    for name in ("initiator", "counterparty"):
        arr = cols[name]
        if len(arr) and (int(arr.min()) < 0 or int(arr.max()) >= n_agents):
            return f"column {name}: agent index out of range (the agent list has {n_agents})"
    return None


# ---- the line parser -----------------------------------------------------------------------------
def _no_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name} (a log holds finite numbers only)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"non-finite number {text[:40]} (a log holds finite numbers only)")
    return value


def loads(text: str) -> Any:
    """A line's record: orjson (exact float parsing, ~5x faster than json on the replay path), falling
    back to json.loads for what orjson refuses, e.g. integers beyond 64 bits. Non-finite numbers (NaN,
    Infinity, 1e999), which no writer writes, are refused by both (ValueError), as is bad JSON."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
