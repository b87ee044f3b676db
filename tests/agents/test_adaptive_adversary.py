"""Adaptive adversary: the seed's object API, learning from detection and payoff, the engine's updates."""

import numpy as np
import pytest
from pydantic import ValidationError

from distsafe.agents.adaptive_adversary import (
    STRATEGIES,
    AdaptiveAdversary,
    AdaptiveAdversaryPolicy,
    AttackStrategy,
)
from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.governance import GovernanceConfig


def test_update_from_outcome_moves_the_played_strategy_and_heat():
    adv = AdaptiveAdversary("adaptive_1", learning_rate=0.1, exploration_rate=0.2, heat_threshold=0.6)
    adv.update_from_outcome(payoff=10.0, penalty=5.0, detected=True, strategy_used=AttackStrategy.COLLUSION)
    rep = adv.get_strategy_report()
    k = "collusion"
    # reward = payoff - penalty - detection_cost (5) x 1 = 0: the value stays 0; heat = 0.5 x 0 + 0.5 x 1
    assert rep["strategy_stats"][k]["value"] == 0.0 and rep["strategy_stats"][k]["plays"] == 1
    assert rep["heat_level"] == 0.5
    adv.update_from_outcome(payoff=20.0, penalty=0.0, detected=False, strategy_used="mimicry")
    assert adv.get_strategy_report()["strategy_stats"]["mimicry"]["value"] == pytest.approx(2.0)


def test_learning_shifts_play_toward_strategies_that_are_not_detected():
    pol = AdaptiveAdversaryPolicy({"exploration_rate": 0.1, "temperature": 0.5, "learning_rate": 0.3})
    rng = np.random.default_rng(0)
    rows = np.arange(40)
    low = STRATEGIES.index(AttackStrategy.LOW_PROFILE)
    mim = STRATEGIES.index(AttackStrategy.MIMICRY)
    for _ in range(15):
        s = pol.strategies_of(rows, 40)
        detected = s != mim  # only mimicry evades
        pol.learn_epoch(rows, np.ones(40), np.full(40, 2.0), detected, rng)
    share = np.mean(pol.strategy[rows] == mim)
    assert share > 0.5  # from 1/7 at the start
    assert pol.q[mim] > pol.q[low]


def test_the_first_epoch_tries_every_allowed_strategy_in_turn():
    pol = AdaptiveAdversaryPolicy({"strategies": ["mimicry", "low_profile"]})
    s = pol.strategies_of(np.arange(4), 4)
    assert [STRATEGIES[i].value for i in s] == ["low_profile", "mimicry"] * 2


def test_unknown_strategy_names_are_refused():
    with pytest.raises(ValidationError, match="unknown attack strategy 'stealth'"):
        AdaptiveAdversaryPolicy({"strategies": ["stealth"]})


def test_in_the_engine_updates_are_logged_and_deterministic():
    def run():
        o = Orchestrator(
            OrchestratorConfig(
                n_epochs=4, steps_per_epoch=6, seed=3, governance_config=GovernanceConfig(audit_enabled=True)
            )
        )
        o.add_population("honest", 6)
        o.add_population("adaptive_adversary", 4)
        events = []
        o.event_log = type(
            "Sink",
            (),
            {
                "closed": False,
                "append": lambda self, e: events.append(e),
                "append_interactions": lambda self, *a, **k: None,
                "close": lambda self: None,
            },
        )()
        o.run()
        return [e.payload for e in events if e.event_type.value == "adversary_updated"]

    first, second = run(), run()
    assert len(first) == 4 and first == second
    assert sum(first[0]["strategies_used"].values()) == 4
