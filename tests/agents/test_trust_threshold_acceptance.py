"""The reference implementation's acceptance rule as a policy param (`acceptance_threshold`, `trust_weight`:
agents/policies.py `trust_threshold_accepts`), and its mapping from the reference's scenario format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.agents.incentives import trust_threshold_accepts
from distsafe.agents.registry import policy_for
from distsafe.models.agent import AgentType
from distsafe.models.agent_table import AgentTable
from distsafe.models.interaction import InteractionType
from distsafe.scenarios.loader import ScenarioError, load_scenario, scenario_from_text
from distsafe.scenarios.runner import run_scenario

COLLAB, TRADE, REPLY = (
    InteractionType.COLLABORATION.code,
    InteractionType.TRADE.code,
    InteractionType.REPLY.code,
)
HERE = Path(__file__).parents[1] / "scenarios" / "swarm_format"


def test_rule_values() -> None:
    # the reference's defaults (threshold 0.4, weight 0.3): score = 0.3 t + 0.35, in [0.35, 0.65]
    t = np.array([0.0, 0.5, 1.0])
    assert trust_threshold_accepts(t, np.full(3, COLLAB), 0.4, 0.3).tolist() == [True, True, True]  # bar 0.3
    assert trust_threshold_accepts(t, np.full(3, REPLY), 0.4, 0.3).tolist() == [False, True, True]  # bar 0.4
    assert trust_threshold_accepts(t, np.full(3, TRADE), 0.4, 0.3).tolist() == [False, True, True]  # bar 0.5
    assert trust_threshold_accepts(t, np.full(3, TRADE), 0.6, 0.3).tolist() == [
        False,
        False,
        False,
    ]  # bar 0.7
    assert trust_threshold_accepts(t, np.full(3, TRADE), 0.55, 0.3).tolist() == [False, False, True]  # 0.65
    # weight 0: everyone scores 0.5
    assert trust_threshold_accepts(t, np.full(3, REPLY), 0.5, 0.0).tolist() == [True, True, True]
    assert trust_threshold_accepts(t, np.full(3, REPLY), 0.51, 0.0).tolist() == [False, False, False]


@settings(max_examples=100, deadline=None)
@given(
    trust=st.lists(st.floats(0, 1), min_size=1, max_size=20),
    threshold=st.floats(0, 1),
    weight=st.floats(0, 1),
    code=st.sampled_from([COLLAB, TRADE, REPLY]),
)
def test_rule_matches_the_reference_formula_and_is_monotone(
    trust: list[float], threshold: float, weight: float, code: int
) -> None:
    t = np.array(trust)
    got = trust_threshold_accepts(t, np.full(t.size, code), threshold, weight)
    adj = -0.1 if code == COLLAB else (0.1 if code == TRADE else 0.0)
    want = weight * t + (1 - weight) * 0.5 >= threshold + adj - 1e-12
    assert got.tolist() == want.tolist()
    # more trust never turns an accept into a refusal; a higher threshold never turns a refusal into an accept
    order = np.argsort(t)
    assert np.all(np.diff(got[order].astype(int)) >= 0) or weight == 0
    assert not np.any(
        trust_threshold_accepts(t, np.full(t.size, code), min(1.0, threshold + 0.2), weight) & ~got
    )


def test_policy_uses_the_rule_only_when_set() -> None:
    agents = AgentTable()
    for name, rep in (("a", -2.0), ("b", 0.0), ("c", 2.0)):
        agents.add(AgentType.CUSTOM, 0, name=name, reputation=rep)
    n = 3
    args = (
        agents,
        np.zeros(n, np.int64),
        np.arange(n),
        np.zeros(n),
        np.full(n, TRADE, np.int8),
        np.arange(n),
    )
    rng = np.random.default_rng(0)
    strict = policy_for("honest", {"acceptance_threshold": 0.6, "trust_weight": 1.0}, None)
    # trust = quality estimated from reputation, ~0.01 / 0.5 / ~0.99; bar 0.7 for a trade
    assert strict.accept_batch(*args, rng).tolist() == [False, False, True]
    lenient = policy_for("honest", {"acceptance_threshold": 0.0, "trust_weight": 1.0}, None)
    assert lenient.accept_batch(*args, rng).tolist() == [False, True, True]  # bar 0.1
    default = policy_for("honest", {}, None)
    assert default.params.acceptance_threshold is None  # off: the expected-value rule


def test_out_of_range_is_a_one_line_error() -> None:
    with pytest.raises(ScenarioError, match="acceptance_threshold") as e:
        scenario_from_text(
            "scenario_id: t\nagents:\n  - type: honest\n    config:\n      acceptance_threshold: 1.5\n"
        )
    assert "\n" not in str(e.value)


def test_reference_file_maps_it_and_runs() -> None:
    spec = load_scenario(HERE / "agent_knobs.yaml")
    assert spec.agents[0].params["acceptance_threshold"] == 0.6
    result = run_scenario(spec)
    assert len(result.metrics) == spec.simulation.n_epochs
