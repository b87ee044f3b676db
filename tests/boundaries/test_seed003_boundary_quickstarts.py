"""Seed 003's Quick Starts of "Permeability Model" and "Identity and Trust Infrastructure", and the Sybil
lever's GovernanceConfig block, extracted from the seed's text and run as written (only `src.` ->
`distsafe.`). The seed's sections are kept verbatim beside this file (the seeds folder is not in the
repository); when the seeds folder is present, the copy is checked against it."""

from __future__ import annotations

import glob
import re
from pathlib import Path

import numpy as np
import pytest

from distsafe.models.interaction import SoftInteraction

HERE = Path(__file__).resolve().parent
COPY = HERE / "seed003_permeability_identity.txt"
SEED = glob.glob("/work/shared/seeds/003_*.txt")


def _blocks(section: str) -> list[str]:
    text = COPY.read_text()
    start = text.index(f"## {section}")
    nxt = text.find("\n## ", start + 3)
    part = text[start : nxt if nxt > 0 else None]
    return [b.replace("from src.", "from distsafe.") for b in re.findall(r"```python\n(.*?)```", part, re.S)]


@pytest.mark.skipif(not SEED, reason="the seeds folder is not on this machine")
def test_the_copy_is_the_seed_text() -> None:
    seed = Path(SEED[0]).read_text()
    copy = COPY.read_text()
    assert copy in seed


def test_permeability_quick_start_runs(capsys: pytest.CaptureFixture[str]) -> None:
    (code,) = _blocks("Permeability Model")
    rng = np.random.default_rng(3)
    interactions = [SoftInteraction(p=float(p), accepted=True) for p in rng.uniform(0.05, 0.95, 400)]
    exec(compile(code, "seed003-permeability", "exec"), {"interactions": interactions})  # noqa: S102
    out = capsys.readouterr().out
    # base 0.5 * (1 - 0.3) * (0.5 + 0.5 * 0.8) = 0.315
    assert "Effective permeability: 0.315" in out
    assert re.search(r"Spillovers: \d+, blocked: \d+", out)
    assert "Containment rate:" in out and "Optimal permeability:" in out


def test_identity_quick_start_runs(capsys: pytest.CaptureFixture[str]) -> None:
    code, lever = _blocks("Identity and Trust Infrastructure")
    exec(compile(code, "seed003-identity", "exec"), {})  # noqa: S102
    out = capsys.readouterr().out.splitlines()
    assert out == ["Trust score: 0.50", "Updated trust: 0.60", "Sybil clusters found: 1"]
    ns: dict[str, object] = {}
    exec(compile(lever, "seed003-sybil-lever", "exec"), ns)  # noqa: S102
    cfg = ns["gov_config"]
    assert cfg.sybil_detection_enabled is True and cfg.sybil_max_cluster_size == 3
