"""The one way to open an event log: `open_event_log(path, mode, fmt=..., header=...)`.

It picks the storage (JSONL file or Parquet directory) from `fmt` or from the path, and returns an
`EventLogBase` (base.py). `EventLog(...)` is the same call under the name older code uses.
"""

from __future__ import annotations

import os
from typing import Any

from distsafe.eventlog.base import EventLogBase
from distsafe.eventlog.common import EventLogError

FORMATS = ("jsonl", "parquet")


def infer_format(path: str | os.PathLike[str], mode: str = "r") -> str:
    """ "parquet" for an existing directory or a path ending in `.parquet` or `.d`, else "jsonl"."""
    p = str(path).rstrip("/")
    if os.path.isdir(p) or p.endswith(".d") or p.endswith(".parquet"):
        return "parquet"
    return "jsonl"


def log_class(fmt: str) -> type[EventLogBase]:
    """The class that implements a storage; Parquet is imported only when asked for (it needs pyarrow)."""
    if fmt == "jsonl":
        from distsafe.eventlog.jsonl import JsonlEventLog

        return JsonlEventLog
    if fmt == "parquet":
        try:
            from distsafe.eventlog.parquet import ParquetEventLog
        except ImportError:
            raise EventLogError("Parquet event logs need pyarrow: pip install 'distsafe[parquet]'") from None
        return ParquetEventLog
    raise EventLogError(f"unknown event log format {fmt!r}; use 'jsonl' or 'parquet'")


def open_event_log(
    path: str | os.PathLike[str],
    mode: str = "r",
    fmt: str | None = None,
    header: dict[str, Any] | None = None,
    **options: Any,
) -> EventLogBase:
    """Open a log for writing ("w") or reading ("r"); `fmt=None` infers it from the path.

    Opening for writing replaces an existing log at that path. `header` keys are copied into the header
    line (`scenario` and `seed` always appear). Options: `flush_every`, `fsync`, `scenario`, `seed`;
    Parquet also `max_batch_rows`, `compression`.
    """
    cls = log_class(fmt or infer_format(path, mode))
    return cls(path, mode, header, **options)


def EventLog(  # a function under the name older code calls, not a class
    path: str | os.PathLike[str],
    mode: str = "r",
    fmt: str | None = None,
    header: dict[str, Any] | None = None,
    **options: Any,
) -> EventLogBase:
    """Alias of `open_event_log` (same arguments, same result), kept for code written against it."""
    return open_event_log(path, mode, fmt, header, **options)
