"""The resample protocol (governance/resample.py, core/resample.py): the monitor's formulas, the majority
vote, the evidence and freezing, and a run of a file in the reference implementation's format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.eventlog import read_log
from distsafe.governance.config import GovernanceConfig
from distsafe.governance.levers import GovernanceContext
from distsafe.governance.resample import FOREVER, ResampleLever, majority, p_proxy, trend_boost
from distsafe.models.agent import AgentType
from distsafe.models.agent_table import AgentTable
from distsafe.models.columns import InteractionBatch
from distsafe.scenarios.loader import ScenarioError, load_scenario, scenario_from_text
from distsafe.scenarios.runner import run_scenario, verify_log

HERE = Path(__file__).parents[1] / "scenarios" / "swarm_format"


def _ctx(reputations: list[float]) -> GovernanceContext:
    agents = AgentTable()
    n = len(reputations)
    agents.add_named_batch(
        [f"a{i}" for i in range(n)], AgentType.HONEST, np.zeros(n), reputations, np.zeros(n)
    )
    return GovernanceContext(agents=agents, epoch=0, step=0, rng=np.random.default_rng(0))


def _lever(**kw: object) -> ResampleLever:
    return ResampleLever(GovernanceConfig(resample_enabled=True, **kw))  # type: ignore[arg-type]


def test_p_proxy_and_trend_values() -> None:
    assert p_proxy(np.array([-2.0, -0.5, 0.0, 0.4, 3.0])).tolist() == pytest.approx(
        [0.0, 0.25, 0.5, 0.7, 1.0]
    )
    # slope -0.1 per step -> boost 0.1; rising -> 0; slope -0.5 -> capped at 0.2
    vals = np.array([[0.9, 0.8, 0.7, 0.6], [0.1, 0.2, 0.3, 0.4], [2.0, 1.5, 1.0, 0.5]])
    assert trend_boost(vals).tolist() == pytest.approx([0.1, 0.0, 0.2])


def test_majority_takes_the_most_common_and_the_earliest_on_ties() -> None:
    sig = np.array(
        [
            [[1, 2], [3, 4], [3, 4], [1, 2]],  # tie 2-2: the original (index 0)
            [[1, 2], [3, 4], [3, 4], [5, 6]],  # 3,4 twice: index 1
            [[1, 2], [3, 4], [5, 6], [7, 8]],  # all different: the original
        ]
    )
    assert majority(sig).tolist() == [0, 1, 0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=2, max_size=12))
def test_trend_boost_is_bounded_and_zero_for_rising(values: list[float]) -> None:
    v = np.array([values])
    b = float(trend_boost(v)[0])
    assert 0.0 <= b <= 0.2
    assert float(trend_boost(np.sort(v, axis=1))[0]) == 0.0


def test_monitor_flags_by_reputation_and_trajectory() -> None:
    ctx = _ctx([-0.5, 0.0, 0.4])
    lv = _lever(
        resample_suspicion_threshold=0.5, resample_trajectory_analysis=True, resample_trajectory_window=3
    )
    rows = np.arange(3)
    assert lv.suspicion(ctx, rows).tolist() == pytest.approx([0.75, 0.5, 0.3])
    # agent 2 initiates three interactions with falling p: slope -0.3 -> +0.2
    batch = InteractionBatch.empty(3)
    batch.initiator[:] = 2
    batch.p[:] = [0.9, 0.6, 0.3]
    lv.on_interactions(ctx, batch)
    assert lv.suspicion(ctx, rows).tolist() == pytest.approx([0.75, 0.5, 0.5])
    lv.monitor(ctx, rows)
    assert lv.flagged(rows).tolist() == [True, True, True]


def test_evidence_cost_reputation_and_freeze() -> None:
    ctx = _ctx([-0.6, 0.0])
    lv = _lever(
        resample_suspicion_threshold=0.6, resample_incrimination_threshold=1.0, resample_compute_cost=0.01
    )
    rows = np.array([0])
    lv.monitor(ctx, np.arange(2))
    assert lv.flagged(np.arange(2)).tolist() == [True, False]  # suspicion 0.8 and 0.5
    # proxy 0.2: samples that match the original keep 0.2 (suspicious), a differing one gets 0.5 (not)
    lv.record(ctx, rows, np.array([[False, True, False]]), np.array([True]), np.array([True]))
    batch = InteractionBatch.empty(3)
    batch.initiator[:] = [0, 0, 1]
    batch.p[:] = [0.1, 0.9, 0.5]
    lv.on_interactions(ctx, batch)
    ev = 2 / 3 * 0.9
    assert batch.c_a.tolist() == pytest.approx([0.03, 0.0, 0.0])  # only the proposal (its first row)
    assert lv.records.evidence[0] == pytest.approx(ev)
    assert ctx.agents.reputation[0] == pytest.approx(-0.6 - 0.5 * ev - 0.1)
    assert ctx.agents.frozen_until[0] == -1
    # again, the same: evidence 1.2 >= 1.0 -> frozen for the rest of the run
    lv.record(ctx, rows, np.array([[False, True, False]]), np.array([False]), np.array([True]))
    lv.on_interactions(ctx, batch)
    assert ctx.agents.frozen_until[0] == FOREVER
    assert [e[0] for e in ctx.events].count("agent_frozen") == 1
    lv.on_epoch_start(ctx)
    assert lv.records.evidence[0] == pytest.approx(2 * ev * 0.9)


def test_a_blocked_proposal_settles_nothing() -> None:
    ctx = _ctx([-0.6])
    lv = _lever()
    lv.monitor(ctx, np.arange(1))
    lv.record(ctx, np.array([0]), np.array([[False, False, False]]), np.array([False]), np.array([True]))
    lv.keep_pending(np.zeros(0, dtype=np.int64))  # the rails blocked it
    batch = InteractionBatch.empty(1)  # an interaction of a component, not the proposal
    lv.on_interactions(ctx, batch)
    assert batch.c_a[0] == 0.0 and lv.records.evidence[0] == 0.0


def test_reference_file_runs_resamples_blocks_incriminates_and_replays(tmp_path: Path) -> None:
    result = run_scenario(load_scenario(HERE / "resample_protocol.yaml"), tmp_path / "run")
    stats = result.orchestrator.governance.get_lever("resample").stats()  # type: ignore[union-attr]
    assert stats["resampled_actions"] > 0 and stats["resample_blocked"] > 0
    assert stats["resample_incriminated"] > 0
    log = next((tmp_path / "run").glob("events.*"))
    events = read_log(log).events
    resampled = [e for e in events if e.event_type.value == "action_resampled"]
    assert len(resampled) == stats["resampled_actions"]
    frozen = [e for e in events if e.payload.get("reason") == "resample_incrimination"]
    assert len(frozen) == stats["resample_incriminated"]
    assert all(not e.agent_id.startswith("honest") for e in frozen)  # type: ignore[union-attr]
    assert verify_log(log).ok
    again = run_scenario(load_scenario(HERE / "resample_protocol.yaml"))
    assert json.dumps([m.to_json_dict() for m in again.metrics]) == json.dumps(
        [m.to_json_dict() for m in result.metrics]
    )


@pytest.mark.parametrize(
    "field, value",
    [
        ("resample_suspicion_threshold", "1.5"),
        ("resample_n_samples", "0"),
        ("resample_trajectory_window", "1"),
        ("resample_incrimination_threshold", "0"),
        ("resample_compute_cost", "-1"),
        ("resample_evidence_decay", "1.2"),
        ("resample_evidence_rep_weight", ".nan"),
    ],
)
def test_bad_values_are_one_line_errors(field: str, value: str) -> None:
    with pytest.raises(ScenarioError, match=field) as e:
        scenario_from_text(
            f"scenario_id: t\nagents:\n  - type: honest\n    count: 2\ngovernance:\n"
            f"  resample_enabled: true\n  {field}: {value}\n"
        )
    assert "\n" not in str(e.value)


def test_off_by_default() -> None:
    result = run_scenario(load_scenario("baseline", ["simulation.n_epochs=1"]))
    assert result.orchestrator.governance.get_lever("resample") is None
    assert "resample_enabled" not in GovernanceConfig().model_dump()


def test_conformance() -> None:
    from distsafe.testing.conformance import check_lever

    check_lever(lambda: _lever(resample_suspicion_threshold=0.4, resample_trajectory_analysis=True))
