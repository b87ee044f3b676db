"""Fixtures of the experiment layer's tests (helpers in sweep_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sweep_helpers import TINY_GRID


@pytest.fixture(scope="session")
def tiny_grid() -> str:
    return TINY_GRID


@pytest.fixture
def write_spec(tmp_path: Path):
    def write(text: str = TINY_GRID, name: str = "spec.yaml") -> Path:
        p = tmp_path / name
        p.write_text(text)
        return p

    return write
