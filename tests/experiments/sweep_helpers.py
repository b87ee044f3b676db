"""Helpers of the experiment layer's tests (a unique module name: tests/ has no packages): a tiny sweep
(the shipped baseline at 2 epochs of 3 steps) and children that import this checkout's distsafe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import distsafe

SRC = str(Path(distsafe.__file__).resolve().parents[1])

TINY_GRID = """\
name: tiny
base: baseline
overrides: [simulation.n_epochs=2, simulation.steps_per_epoch=3]
design: grid
seeds: 2
seed_base: 5
parameters:
  - name: governance.transaction_tax_rate
    values: [0.0, 0.2]
  - name: governance.circuit_breaker_enabled
    values: [false, true]
"""


def child_env() -> dict[str, str]:
    """The environment of a child process that must import this checkout's distsafe."""
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def cli(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "distsafe.cli", *args],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=timeout,
    )
