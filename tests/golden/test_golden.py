"""Golden logs: every shipped scenario (at small sizes), the seeds' quick start and a short economy run, at
fixed seeds, hash to the values checked in beside this file (`goldens.json`).

Any change of behaviour shows up here. A change that moves a golden updates `goldens.json` in the same commit,
with the reason in the commit message:

    DISTSAFE_UPDATE_GOLDENS=1 python -m pytest tests/golden -q

What is hashed: the event log (for Parquet logs, `chain.jsonl`, whose batch lines carry a sha256 of the
batch's raw column values, so the hash does not depend on the Parquet writer's version), `metrics.csv` and
`metrics.json`. The manifest (versions, paths) and the plot are left out.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from distsafe.scenarios import list_scenarios, load_scenario
from distsafe.scenarios.runner import run_scenario

GOLDEN_FILE = Path(__file__).with_name("goldens.json")
UPDATE = os.environ.get("DISTSAFE_UPDATE_GOLDENS") == "1"

#: shipped scenario -> overrides that make it small enough for the test suite
SMALL = {
    "baseline": ["simulation.n_epochs=6"],
    "status_game": ["simulation.n_epochs=6"],
    "strict_governance": ["simulation.n_epochs=6"],
    "llm_agents": ["simulation.n_epochs=3"],
    "llm_local": [],
    "large_population": [
        "agents.0.count=400",
        "agents.1.count=200",
        "agents.2.count=200",
        "agents.3.count=200",
        "simulation.n_epochs=3",
        "simulation.steps_per_epoch=5",
        "success_criteria.min_interactions=1",
    ],
    "security_evaluation": ["simulation.n_epochs=4"],
    "adversarial_redteam": ["simulation.n_epochs=4"],
    # seed 001's social structure (network, collusion detection, composite tasks)
    "network_effects": ["simulation.n_epochs=4"],
    "collusion_detection": ["simulation.n_epochs=4"],
    "emergent_capabilities": ["simulation.n_epochs=4", "simulation.steps_per_epoch=8"],
    # seed 003's order book (env.hfn): two epochs hold the crash at tick 300 and the halt
    "hfn_flash_crash": ["simulation.n_epochs=2", "success_criteria.min_epochs=2"],
    # seed 003's Dworkin auction and mission economy (core.parts.auction, core.parts.mission)
    "dworkin_auction": ["simulation.n_epochs=3", "success_criteria.min_epochs=3"],
    "mission_economy": ["simulation.n_epochs=4", "success_criteria.min_epochs=4"],
    # seed 002's marketplace (core.parts.market)
    "marketplace": ["simulation.n_epochs=4"],
    # seed 002's Moltbook motifs (docs/motifs.md)
    "myth_making": ["simulation.n_epochs=4"],
    "meme_warfare": ["simulation.n_epochs=4"],
    "meta_discourse": ["simulation.n_epochs=4"],
    "norm_drafting": ["simulation.n_epochs=4"],
    "adversarial_attack": ["simulation.n_epochs=4"],
    # seed 003's identity and permeability
    "sybil_attack": ["simulation.n_epochs=3", "agents.0.count=30"],
    "permeability": ["simulation.n_epochs=3"],
}


#: shipped scenarios whose model is not in the test environment: replayed from a committed recording of a
#: real run (`distsafe run scenarios/llm_local.yaml --out DIR`, DIR/llm_recording.jsonl copied here).
REPLAY = {"llm_local": Path(__file__).with_name("llm_local_recording.jsonl")}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _load_goldens() -> dict[str, dict[str, str]]:
    if GOLDEN_FILE.exists():
        return dict(json.loads(GOLDEN_FILE.read_text()))
    return {}


def _check(name: str, got: dict[str, str]) -> None:
    goldens = _load_goldens()
    if UPDATE:
        goldens[name] = got
        GOLDEN_FILE.write_text(json.dumps(goldens, indent=2, sort_keys=True) + "\n")
        return
    assert name in goldens, (
        f"no golden for {name}; run with DISTSAFE_UPDATE_GOLDENS=1 and commit goldens.json"
    )
    assert got == goldens[name], f"{name}: behaviour changed (see tests/golden/test_golden.py)"


def _run_folder_hashes(out: Path) -> dict[str, str]:
    log = out / "events.jsonl"
    log_bytes = log.read_bytes() if log.exists() else (out / "events.parquet.d" / "chain.jsonl").read_bytes()
    return {
        "events": _sha(log_bytes),
        "metrics.csv": _sha((out / "metrics.csv").read_bytes()),
        "metrics.json": _sha((out / "metrics.json").read_bytes()),
    }


def test_every_shipped_scenario_has_a_small_size() -> None:
    assert set(list_scenarios()) == set(SMALL)


@pytest.mark.parametrize("log_format", ["jsonl", "parquet"])
@pytest.mark.parametrize("scenario", sorted(SMALL))
def test_shipped_scenario_golden(scenario: str, log_format: str, tmp_path: Path) -> None:
    if log_format == "parquet":
        pytest.importorskip("pyarrow")
    spec = load_scenario(scenario, SMALL[scenario])
    out = tmp_path / "run"
    run_scenario(spec, out_dir=out, log_format=log_format, llm_replay_from=REPLAY.get(scenario))
    _check(f"scenario:{scenario}:{log_format}", _run_folder_hashes(out))


def test_seed_quickstart_golden(tmp_path: Path) -> None:
    """The seeds' quick start (README), with an event log attached."""
    from distsafe.agents.deceptive import DeceptiveAgent
    from distsafe.agents.honest import HonestAgent
    from distsafe.agents.opportunistic import OpportunisticAgent
    from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig

    log = tmp_path / "events.jsonl"
    orch = Orchestrator(
        config=OrchestratorConfig(n_epochs=10, steps_per_epoch=10, seed=42, log_path=log, log_events=True)
    )
    orch.register_agent(HonestAgent(agent_id="honest_1"))
    orch.register_agent(HonestAgent(agent_id="honest_2"))
    orch.register_agent(OpportunisticAgent(agent_id="opp_1"))
    orch.register_agent(DeceptiveAgent(agent_id="dec_1"))
    metrics = orch.run()
    rows = json.dumps([m.to_json_dict() for m in metrics], sort_keys=True).encode()
    _check("quickstart", {"events": _sha(log.read_bytes()), "metrics": _sha(rows)})


def _ledger_dump(db: Path) -> bytes:
    """The ledger's tables in a canonical order, without signatures (keys are fresh per run)."""
    con = sqlite3.connect(db)
    try:
        out: dict[str, Any] = {}
        tables = [
            r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
        ]
        for t in tables:
            cur = con.execute(f'SELECT * FROM "{t}"')  # noqa: S608 - names come from sqlite_master
            cols = [d[0] for d in cur.description]
            keep = [i for i, c in enumerate(cols) if "sig" not in c and "pubkey" not in c and "key" != c[-3:]]
            rows = sorted(repr(tuple(r[i] for i in keep)) for r in cur.fetchall())
            out[t] = {"cols": [cols[i] for i in keep], "rows": rows}
        return json.dumps(out, sort_keys=True).encode()
    finally:
        con.close()


def test_economy_golden(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    from typer.testing import CliRunner

    from distsafe.economy.cli import app

    db, report = tmp_path / "sim.db", tmp_path / "report.json"
    res = CliRunner().invoke(
        app,
        [
            "run",
            "--agents",
            "8",
            "--turns",
            "15",
            "--seed",
            "3",
            "--db",
            str(db),
            "--report-json",
            str(report),
        ],
    )
    assert res.exit_code == 0, res.output
    _check("economy", {"report": _sha(report.read_bytes()), "ledger": _sha(_ledger_dump(db))})
