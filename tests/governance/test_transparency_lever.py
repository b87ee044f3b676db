"""Transparency ledger: reputation follows the quality of accepted work; it is reachable from a run."""

import numpy as np
import pytest

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.governance import GovernanceConfig
from distsafe.governance.registry import enabled_levers
from distsafe.governance.transparency import TransparencyLever


def test_reputation_moves_by_rate_times_p_minus_threshold(make_table, make_ctx, make_batch):
    lever = TransparencyLever(GovernanceConfig(transparency_enabled=True, transparency_bonus_rate=0.2))
    b = make_batch(
        initiator=[0, 1, 2], counterparty=[1, 2, 0], accepted=[True, True, False], p=[0.9, 0.2, 0.1]
    )
    lever.on_interactions(make_ctx(make_table(3)), b)
    assert np.allclose(b.r_a, [0.08, -0.06, 0.0])
    assert lever.stats() == pytest.approx({"transparency_bonus": 0.08, "transparency_penalty": 0.06})


def test_bad_actors_lose_more_reputation_with_the_ledger():
    def bad_reputation(on: bool) -> float:
        o = Orchestrator(
            OrchestratorConfig(
                n_epochs=4,
                steps_per_epoch=8,
                seed=2,
                governance_config=GovernanceConfig(transparency_enabled=on),
            )
        )
        o.add_population("honest", 8)
        bad = o.add_population("adversarial", 4)
        o.run()
        return float(o.agents.reputation[bad].mean())

    assert "transparency" in enabled_levers(GovernanceConfig(transparency_enabled=True))
    assert bad_reputation(True) < bad_reputation(False)
