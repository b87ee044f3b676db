"""`python -m distsafe.runner.runner SCENARIO [options]`: the plan's runner path; `distsafe run` itself."""

from __future__ import annotations

import sys

from distsafe.cli import main as cli_main


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    return cli_main(["run", *args])


if __name__ == "__main__":
    sys.exit(main())
