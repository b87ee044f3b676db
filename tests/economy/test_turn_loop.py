"""The turn loop with scripted strategies: a run exercises the economy (and the bridge), determinism, a broken
strategy costs only its own turn."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from pydantic import ValidationError

from distsafe.economy.bridge import export_interactions, soft_summary
from distsafe.economy.config import WorldConfig
from distsafe.economy.strategies import assign_strategies
from distsafe.economy.turn_loop import world_config_with_seed


async def test_scripted_run_exercises_the_economy(run_economy, tmp_path) -> None:
    db = tmp_path / "run.db"
    loop, rep = await run_economy(db, 16, 24)
    assert rep.turns == 24 and rep.supply["invariant_ok"]
    assert rep.blocks_by_kind["mine"] == 24 and rep.blocks_by_kind.get("stake", 0) > 0
    assert rep.contracts_by_status.get("settled", 0) > 5 and rep.contracts_by_status.get("ruled", 0) >= 1
    reasons = " ".join(rep.rejection_reasons)
    assert "signature does not verify" in reasons and "signed for turn" in reasons  # the cheaters were caught
    con = sqlite3.connect(db)
    try:  # the seed's README queries work as written
        speech = con.execute("SELECT turn, agent_id, message FROM speech_log ORDER BY turn").fetchall()
        agents = con.execute(
            "SELECT agent_id, balance, staked, burn_score, study_level FROM agents"
        ).fetchall()
        settled = con.execute("SELECT * FROM contracts WHERE status='settled'").fetchall()
        cores = con.execute("SELECT SUM(cores) FROM agents").fetchone()[0]
    finally:
        con.close()
    assert speech and len(agents) == 16 and len(settled) == rep.contracts_by_status["settled"]
    assert cores == 4
    assert sum(a[1] + a[2] for a in agents) <= rep.supply["total"]
    # bridge: decided contracts and transfers become SoftInteractions
    xs = export_interactions(db)
    ruled = [x for x in xs if x.metadata.get("status") == "ruled"]
    assert ruled and all(x.p == 0.15 and x.ground_truth == -1 for x in ruled)
    forged = [x for x in xs if x.metadata.get("source") == "economy.transfer" and x.p == 0.05]
    assert forged and all(not x.accepted for x in forged)
    summary = soft_summary(xs)
    assert summary["n"] == len(xs) and 0 < summary["toxicity"] < 0.5 and summary["quality_gap"] > 0


async def test_same_seed_same_ledger(run_economy, tmp_path) -> None:
    async def fingerprint(name: str, seed: int) -> list:
        await run_economy(tmp_path / name, 10, 10, seed=seed)
        con = sqlite3.connect(tmp_path / name)
        try:
            return [
                con.execute("SELECT hash FROM blocks ORDER BY height").fetchall(),
                con.execute(
                    "SELECT agent_id, balance, staked, burn_score FROM agents ORDER BY agent_id"
                ).fetchall(),
                con.execute("SELECT contract_id, status FROM contracts ORDER BY contract_id").fetchall(),
            ]
        finally:
            con.close()

    a, b, c = await fingerprint("a.db", 5), await fingerprint("b.db", 5), await fingerprint("c.db", 6)
    assert a == b and a != c


async def test_broken_strategy_costs_only_its_turn(run_economy, tmp_path) -> None:
    class Boom:
        name = "boom"

        async def decide(self, ctx):
            raise RuntimeError("strategy exploded")

    ids = [f"agent_{i}" for i in range(3)]
    strategies: dict[str, Any] = dict(assign_strategies(ids, 0))
    strategies["agent_1"] = Boom()
    loop, rep = await run_economy(tmp_path / "boom.db", 3, 3, strategies=strategies)
    assert rep.turns == 3 and sum("strategy exploded" in r.reason for r in loop.rejections) == 3


def test_world_config_takes_the_run_seed_unless_it_sets_one() -> None:
    assert world_config_with_seed(None, 7) == WorldConfig(seed=7)
    assert world_config_with_seed({"num_cores": 2}, 7) == WorldConfig(seed=7, num_cores=2)
    assert world_config_with_seed({"seed": 1}, 7).seed == 1
    assert world_config_with_seed(WorldConfig(num_cores=3), 7) == WorldConfig(seed=7, num_cores=3)
    assert world_config_with_seed(WorldConfig(seed=2), 7).seed == 2
    with pytest.raises(ValidationError, match="num_cores"):
        world_config_with_seed({"num_cores": -1}, 7)
