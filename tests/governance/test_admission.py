"""Staking and bandwidth cap: who may act at all."""

import numpy as np

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.governance import BandwidthCapLever, GovernanceConfig, StakingLever


def test_staking_and_bandwidth_block(make_table, make_ctx):
    t = make_table()
    t.resources[:] = [5.0, 50.0, 10.0, 9.99]
    staking = StakingLever(GovernanceConfig(staking_enabled=True, min_stake_to_participate=10))
    mask = staking.can_act(make_ctx(t), np.arange(4))
    assert mask.tolist() == [False, True, True, False]
    assert staking.stats() == {"stake_blocked_actions": 2.0}
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
