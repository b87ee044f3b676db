"""Large-population semantics: determinism at N=10^4, the Parquet run folder through the CLI (with
`replay --verify`), memory-lean agent columns and epoch-by-epoch interaction streaming."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.governance import GovernanceConfig
from distsafe.models.agent import AgentType
from distsafe.models.agent_table import _COLUMNS, AgentTable
from distsafe.models.columns import InteractionBatch, InteractionBuffer

ALL_LEVERS = GovernanceConfig(
    transaction_tax_rate=0.05,
    reputation_decay_rate=0.95,
    vote_normalization_enabled=True,
    bandwidth_cap=8,
    staking_enabled=True,
    min_stake_to_participate=50.0,
    circuit_breaker_enabled=True,
    audit_enabled=True,
)


def _population(seed: int, n: int = 10_000, gov: GovernanceConfig | None = None, **cfg) -> Orchestrator:
    o = Orchestrator(
        OrchestratorConfig(n_epochs=3, steps_per_epoch=3, seed=seed, governance_config=gov, **cfg)
    )
    for kind, share in (("honest", 0.4), ("opportunistic", 0.2), ("deceptive", 0.2), ("adversarial", 0.2)):
        o.add_population(kind, int(n * share))
    return o


def test_same_seed_same_metrics_at_10k():
    for gov in (None, ALL_LEVERS):
        a, b = _population(5, gov=gov).run(), _population(5, gov=gov).run()
        assert [m.to_json_dict() for m in a] == [m.to_json_dict() for m in b]
        assert sum(m.n_interactions for m in a) > 10_000
    c = _population(6).run()
    assert [m.to_json_dict() for m in c] != [m.to_json_dict() for m in a]


def test_random_schedule_deterministic_and_state_identical():
    x, y = _population(9, scheduling="random"), _population(9, scheduling="random")
    x.run(), y.run()
    for name in _COLUMNS:
        np.testing.assert_array_equal(getattr(x.agents, name), getattr(y.agents, name), err_msg=name)


def test_agent_columns_are_memory_lean():
    o = _population(1, n=1000)
    t = o.agents
    assert t.type_code.dtype == np.int8
    for name in (
        "group",
        "n_initiated",
        "n_received",
        "posts",
        "votes_cast",
        "frozen_until",
        "epoch_posts",
        "epoch_votes",
        "epoch_interactions",
        "epoch_actions",
    ):
        assert getattr(t, name).dtype == np.int32, name
    for name in _COLUMNS:
        col = getattr(t, name)
        assert col.dtype != object and col.ndim == 1 and col.shape[0] == 1000, name
    # fixed width: 73 bytes an agent, no per-agent Python object (names are segments, not strings)
    assert t.memory_bytes() == 1000 * sum(np.dtype(dt).itemsize for dt, _ in _COLUMNS.values())
    assert t.memory_bytes() <= 1000 * 80
    assert len(t.ids._segments) == 4 and not o.agent_objects
    assert t.ids[0] == "honest_1" and t.ids.index_of("adversarial_200") == 999


def test_interactions_streamed_per_epoch():
    """Only the current epoch's interactions are held; the buffers are reused from epoch to epoch."""
    o = _population(2, n=2000)
    sizes = []
    o.on_epoch_end(
        lambda m: sizes.append((len(o.engine_state.epoch_buffer), o.engine_state.epoch_buffer.capacity))
    )
    ms = o.run()
    assert [n for n, _ in sizes] == [int(m.n_interactions) for m in ms]
    assert max(cap for _, cap in sizes) < 3 * max(n for n, _ in sizes)  # one epoch, not the run


def test_interaction_buffer_matches_concat():
    rng = np.random.default_rng(0)
    parts = [
        InteractionBatch.from_columns(initiator=rng.integers(0, 9, k), p=rng.random(k), epoch=np.full(k, 1))
        for k in (5, 0, 3000, 17)
    ]
    buf = InteractionBuffer()
    for b in parts:
        buf.append(b)
    got, want = buf.batch(), InteractionBatch.concat(parts)
    for name, col in want.columns().items():
        np.testing.assert_array_equal(getattr(got, name), col, err_msg=name)
        assert getattr(got, name).dtype == col.dtype
    buf.clear()
    assert len(buf.batch()) == 0 and buf.capacity >= 3022


def test_table_bulk_population_has_no_per_agent_objects():
    t = AgentTable()
    rows = t.add(AgentType.HONEST, 0, prefix="h", count=100_000)
    assert rows.shape == (100_000,) and len(t.ids._named) == 0
    assert list(t.ids)[-1] == "h_100000"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "distsafe.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_parquet_run_folder_through_cli_and_replay_verify(tmp_path):
    scenario = tmp_path / "small_large.yaml"
    scenario.write_text(
        "scenario_id: small_large\n"
        "agents:\n"
        "  - {type: honest, count: 120}\n  - {type: opportunistic, count: 60}\n"
        "  - {type: deceptive, count: 60}\n  - {type: adversarial, count: 60}\n"
        "governance: {transaction_tax_rate: 0.05, audit_enabled: true, circuit_breaker_enabled: true}\n"
        "simulation: {n_epochs: 3, steps_per_epoch: 3, seed: 11}\n"
    )
    out = tmp_path / "run"
    res = _cli("run", str(scenario), "--out", str(out), "--log-format", "parquet", cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    log = out / "events.parquet.d"
    assert log.is_dir() and any(p.suffix == ".parquet" for p in log.iterdir())
    lines = (out / "metrics.csv").read_text().splitlines()
    assert len(lines) == 1 + 3 and "toxicity_rate" in lines[0]
    res = _cli("replay", str(log), "--verify", cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "VERIFIED" in res.stdout
