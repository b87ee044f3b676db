"""`python -m distsafe.runner.replay LOG [--verify]`: the plan's replay path; `distsafe replay` itself.

The plan names the run's output (`--output run_001.jsonl`) and replays that name; here `--output` is a
run folder, so a folder holding a run's log is accepted and its log replayed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from distsafe.cli import main as cli_main

#: a run folder's event log, in the order looked for
LOG_NAMES = ("events.jsonl", "events.parquet.d")


def log_of(path: str) -> str:
    """`path` itself, or the event log inside it if it is a run folder."""
    p = Path(path)
    if p.is_dir() and not p.name.endswith(".parquet.d"):
        for name in LOG_NAMES:
            if (p / name).exists():
                return str(p / name)
    return path


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    first = next((i for i, a in enumerate(args) if not a.startswith("-")), None)
    if first is not None:
        args[first] = log_of(args[first])
    return cli_main(["replay", *args])


if __name__ == "__main__":
    sys.exit(main())
