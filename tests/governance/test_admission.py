"""Staking and bandwidth cap: who may act at all."""

import numpy as np
import pytest

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.governance import BandwidthCapLever, GovernanceConfig, StakingLever


def test_staking_and_bandwidth_block(make_table, make_ctx):
    t = make_table()
    t.resources[:] = [5.0, 50.0, 10.0, 9.99]
    staking = StakingLever(GovernanceConfig(staking_enabled=True, min_stake_to_participate=10))
    assert staking.can_act(make_ctx(t), np.arange(4)).tolist() == [False] * 4  # nothing posted yet
    staking.on_epoch_start(make_ctx(t))  # the bond is posted out of the resources that cover it
    assert staking.locked.tolist() == [0.0, 10.0, 10.0, 0.0]
    assert np.allclose(t.resources, [5.0, 40.0, 0.0, 9.99])
    mask = staking.can_act(make_ctx(t), np.arange(4))
    assert mask.tolist() == [False, True, True, False]
    assert staking.stats() == {
        "stake_blocked_actions": 6.0,
        "stake_slashes": 0.0,
        "stake_slashed": 0.0,
        "stake_locked": 20.0,
    }
    t.epoch_actions[:] = [0, 3, 2, 5]
    cap = BandwidthCapLever(GovernanceConfig(bandwidth_cap=3))
    mask = cap.can_act(make_ctx(t), np.arange(4))
    assert mask.tolist() == [True, False, True, False]
    assert cap.stats() == {"bandwidth_blocked_actions": 2.0}


def test_staking_blocks_broke_agents_in_a_run():
    o = Orchestrator(
        OrchestratorConfig(
            n_epochs=2,
            steps_per_epoch=5,
            seed=0,
            initial_resources=5.0,
            governance_config=GovernanceConfig(staking_enabled=True, min_stake_to_participate=10.0),
        )
    )
    o.add_population("honest", 10)
    ms = o.run()
    assert all(m.n_interactions == 0 for m in ms)
    assert o.governance.get_lever("staking").blocked == 10 * 10


def test_a_finding_slashes_the_bond_suspends_and_the_next_epoch_restores(make_table, make_ctx, make_batch):
    """A failed audit slashes stake_slash_rate x bond out of the bond (charged to c_a, given back to the
    free resources, which the payoff then takes), suspends the agent, and the next epoch's top-up
    restores the bond from the free resources when they cover it."""
    from distsafe.governance import GovernanceEngine
    from distsafe.models.events import EventType

    cfg = GovernanceConfig(
        staking_enabled=True, min_stake_to_participate=20.0, stake_slash_rate=0.25,
        audit_enabled=True, audit_probability=1.0, audit_penalty_multiplier=2.0, audit_threshold_p=0.5,
    )  # fmt: skip
    eng = GovernanceEngine(cfg)
    t = make_table(3, resources=30.0)
    t.resources[2] = 23.0
    ctx = make_ctx(t)
    eng.on_epoch_start(ctx)
    staking = eng.get_lever("staking")
    assert staking.locked.tolist() == [20.0, 20.0, 20.0] and t.resources.tolist() == [10.0, 10.0, 3.0]
    # agent 0 fails twice in one step (p 0.2, 0.4), agent 2 once (p 0.1); agent 1 passes (p 0.9)
    b = make_batch(initiator=[0, 0, 1, 2], counterparty=[1, 1, 0, 0], p=[0.2, 0.4, 0.9, 0.1],
                   accepted=[True] * 4)  # fmt: skip
    eng.on_interactions(ctx, b)
    # penalty (0.5 - p) * 2, then the slash: 0.25 * 20 = 5 and 0.25 * 15 = 3.75 for agent 0's second
    assert np.allclose(b.c_a, [0.6 + 5.0, 0.2 + 3.75, 0.0, 0.8 + 5.0])
    assert np.allclose(staking.locked, [11.25, 20.0, 15.0])
    assert np.allclose(t.resources, [10.0 + 8.75, 10.0, 3.0 + 5.0])  # the payoff will take c_a out again
    slashed = [e for e in ctx.events if e[0] == EventType.STAKE_SLASHED.value]
    assert [(e[1], e[2]["slashed"], e[2]["bond_left"]) for e in slashed] == [
        (0, 5.0, 15.0),
        (0, 3.75, 11.25),
        (2, 5.0, 15.0),
    ]
    assert eng.epoch_revenue == pytest.approx(0.6 + 0.2 + 0.8 + 5.0 + 3.75 + 5.0)
    assert eng.can_act(ctx, np.arange(3)).tolist() == [False, True, False]  # suspended
    t.resources[:] -= [0.6 + 8.75, 0.0, 0.8 + 5.0]  # what update_agents does with c_a
    eng.on_epoch_start(make_ctx(t, epoch=1))
    # agent 0 tops up 8.75 out of 9.4; agent 2 lacks 5 (has 2.2): it stays suspended with its 15
    assert np.allclose(staking.locked, [20.0, 20.0, 15.0])
    assert np.allclose(t.resources, [9.4 - 8.75, 10.0, 2.2])
    assert eng.can_act(ctx, np.arange(3)).tolist() == [True, True, False]
    assert staking.stats()["stake_slashed"] == pytest.approx(13.75)
