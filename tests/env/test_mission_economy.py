"""env.mission: lifecycle, objective metrics with values, reward rules, the free-rider index, bad calls
(nothing half-applied); hypothesis properties of the Shapley rewards and the other rules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from distsafe.env.mission import MissionConfig, MissionEconomy, MissionObjective, MissionStatus
from distsafe.env.mission_value import MemberStats, mission_scores, shapley_values


@dataclass
class It:
    interaction_id: str
    p: float
    accepted: bool = True


def _economy(rule: str = "proportional", **kw) -> MissionEconomy:  # type: ignore[no-untyped-def]
    return MissionEconomy(MissionConfig(reward_distribution=rule, **kw))  # type: ignore[arg-type]


def _mission(eco: MissionEconomy, objectives=None, members=("b", "c")):  # type: ignore[no-untyped-def]
    objectives = objectives or [MissionObjective(target_metric="total_count", target_value=2)]
    m = eco.propose_mission("a", "m", objectives, 50.0, 3, 0)
    assert m is not None
    for who in members:
        assert eco.join_mission(who, m.mission_id)
    return m


def test_lifecycle_and_objective_values() -> None:
    eco = _economy()
    targets = [
        ("avg_p", 0.5),
        ("min_p", 0.5),
        ("total_count", 4),
        ("acceptance_rate", 0.5),
        ("total_welfare", 1),
    ]
    objs = [MissionObjective(target_metric=k, target_value=t) for k, t in targets]
    m = _mission(eco, objs)
    assert m.status == MissionStatus.ACTIVE and m.participants == ["a", "b", "c"]
    eco.record_contributions(
        m.mission_id, ["a", "a", "b"], ["1", "2", "3"], [0.9, 0.3, 0.6], [True, False, True]
    )
    res = eco.evaluate_mission(m.mission_id, current_epoch=1)
    got = {o["target_metric"]: o["actual_value"] for o in res["objectives"]}
    assert got["avg_p"] == pytest.approx(0.6)
    assert got["min_p"] == pytest.approx(0.3)
    assert got["total_count"] == 3
    assert got["acceptance_rate"] == pytest.approx(2 / 3)
    assert got["total_welfare"] == pytest.approx(sum(p * 2 - (1 - p) for p in (0.9, 0.3, 0.6)))
    # avg, acceptance, welfare met; min_p 0.3/0.5, count 3/4 -> (3 + 0.6 + 0.75) / 5
    assert res["mission_score"] == pytest.approx(4.35 / 5)
    assert res["status"] == "active"  # not all met, deadline 3 not reached
    assert eco.evaluate_mission(m.mission_id, current_epoch=3)["status"] == "failed"
    assert eco.distribute_rewards(m.mission_id) == {}
    assert eco.free_rider_index(m.mission_id) == pytest.approx(4 / 9)  # counts 2, 1, 0


def test_free_rider_index_values() -> None:
    eco = _economy()
    m = _mission(eco)
    eco.record_contributions(m.mission_id, ["a", "a", "a"], ["1", "2", "3"], [0.5] * 3, [True] * 3)
    assert eco.free_rider_index(m.mission_id) == pytest.approx(2 / 3)  # one of three did everything
    eco.record_contributions(
        m.mission_id, ["b", "b", "b", "c", "c", "c"], list("456789"), [0.5] * 6, [True] * 6
    )
    assert eco.free_rider_index(m.mission_id) == 0.0


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("equal", {"a": 25.0, "b": 25.0}), ("proportional", {"a": 37.5, "b": 12.5})],
)
def test_reward_rules_values(rule: str, expected: dict[str, float]) -> None:
    eco = _economy(rule)
    m = _mission(eco)
    eco.record_contributions(m.mission_id, ["a", "a", "b"], ["1", "2", "3"], [0.9, 0.9, 0.6], [True] * 3)
    assert eco.evaluate_mission(m.mission_id, current_epoch=1)["status"] == "succeeded"
    assert eco.distribute_rewards(m.mission_id) == pytest.approx(expected)
    with pytest.raises(ValueError, match="already distributed"):
        eco.distribute_rewards(m.mission_id)


def test_shapley_values_two_members() -> None:
    """v = 50 * min(1, count / 2): a alone 2 units -> 50, b alone 1 -> 25; phi_a = (50 + 25) / 2."""
    eco = _economy("shapley")
    m = _mission(eco)
    eco.record_contributions(m.mission_id, ["a", "a", "b"], ["1", "2", "3"], [0.9, 0.9, 0.6], [True] * 3)
    eco.evaluate_mission(m.mission_id, current_epoch=1)
    assert eco.distribute_rewards(m.mission_id) == pytest.approx({"a": 37.5, "b": 12.5})


def test_bad_calls_are_refused_and_nothing_half_applied() -> None:
    eco = _economy()
    m = _mission(eco)
    with pytest.raises(ValueError, match="unknown mission 'nope'"):
        eco.join_mission("d", "nope")
    with pytest.raises(ValueError, match="already a member"):
        eco.join_mission("b", m.mission_id)
    with pytest.raises(ValueError, match="already a member"):
        eco.join_missions(["d", "d"], m.mission_id)
    assert "d" not in m.participants  # the batch was refused as a whole
    with pytest.raises(ValueError, match="'z' is not a member"):
        eco.record_contributions(m.mission_id, ["a", "z"], ["1", "2"], [0.5, 0.5], [True, True])
    with pytest.raises(ValueError, match="finite number in"):
        eco.record_contributions(m.mission_id, ["a", "b"], ["1", "2"], [0.5, float("nan")], [True, True])
    assert m.contrib_id == []
    eco.record_contributions(m.mission_id, ["a"], ["1"], [0.5], [True])
    with pytest.raises(ValueError, match="'1' is already a contribution"):
        eco.record_contributions(m.mission_id, ["b"], ["1"], [0.5], [True])
    with pytest.raises(ValueError, match="reward_pool must be a finite number > 0"):
        eco.propose_mission("a", "x", [MissionObjective()], -5.0, 3)
    with pytest.raises(ValueError, match="deadline_epoch must be"):
        eco.propose_mission("a", "x", [MissionObjective()], 5.0, 0)
    with pytest.raises(ValueError, match="unknown objective metric"):
        MissionObjective(target_metric="vibes")
    with pytest.raises(ValueError, match="target_value must be a finite number > 0"):
        MissionObjective(target_value=float("nan"))
    with pytest.raises(ValidationError, match="min_participants"):
        MissionConfig(min_participants=0)
    with pytest.raises(ValidationError, match="reward_distribution"):
        MissionConfig(reward_distribution="lottery")  # type: ignore[arg-type]


def test_closed_missions_refuse_quietly_and_max_active() -> None:
    eco = _economy(max_active_missions=1)
    m = _mission(eco)
    assert eco.propose_mission("x", "second", [MissionObjective()], 5.0, 3) is None
    eco.expire_missions(3)
    assert m.status == MissionStatus.EXPIRED
    assert eco.join_mission("d", m.mission_id) is False
    assert eco.record_contributions(m.mission_id, ["a"], ["9"], [0.5], [True]) == 0


members = st.lists(st.tuples(st.integers(0, 4), st.floats(0, 1), st.integers(0, 4)), min_size=1, max_size=16)


def _stats(rows) -> MemberStats:  # type: ignore[no-untyped-def]
    count = np.array([c for c, _, _ in rows])
    avg = np.array([p for _, p, _ in rows])
    return MemberStats(
        [f"m{k}" for k in range(len(rows))], count, count * avg, np.where(count > 0, avg * 0.8, np.inf),
        np.minimum(count, np.array([a for _, _, a in rows])),
    )  # fmt: skip


OBJECTIVES = [
    MissionObjective(target_metric="avg_p", target_value=0.6),
    MissionObjective(target_metric="total_count", target_value=12, weight=0.5),
    MissionObjective(target_metric="min_p", target_value=0.3, weight=0.25),
]


@settings(max_examples=60, deadline=None)
@given(members, st.integers(0, 2**31))
def test_shapley_efficiency_symmetry_null(rows, seed: int) -> None:  # type: ignore[no-untyped-def]
    rows = [*rows, rows[0]]  # at least one pair of identical members
    st_ = _stats(rows)

    def value(c, s, lo, a):  # type: ignore[no-untyped-def]
        return 40.0 * mission_scores(OBJECTIVES, c, s, lo, a)

    phi, method = shapley_values(st_, value, 10, 200, np.random.default_rng(seed))
    assert method == ("exact" if len(rows) <= 10 else "sampled")
    full = value(
        *(np.array([x]) for x in (st_.count.sum(), st_.sum_p.sum(), st_.min_p.min(), st_.n_accepted.sum()))
    )
    assert phi.sum() == pytest.approx(float(full[0]), abs=1e-9)  # efficiency: sums to v(N)
    assert phi[0] == pytest.approx(phi[-1], abs=1e-9)  # symmetry: identical members
    assert np.all(phi[st_.count == 0] == 0)  # null players


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), st.floats(0, 1)), min_size=1, max_size=8),
       st.sampled_from(["equal", "proportional", "shapley"]))  # fmt: skip
def test_every_rule_pays_the_pool_of_a_succeeded_mission(work, rule: str) -> None:  # type: ignore[no-untyped-def]
    eco = _economy(rule)
    names = [f"w{k}" for k in range(len(work))]
    m = eco.propose_mission(
        "w0", "m", [MissionObjective(target_metric="total_count", target_value=1)], 30.0, 2
    )
    assert m is not None
    eco.join_missions([*names[1:], "idle"], m.mission_id)
    ids, who, ps = [], [], []
    for k, (cnt, p) in enumerate(work):
        for j in range(cnt):
            ids.append(f"{k}.{j}")
            who.append(names[k])
            ps.append(p)
    eco.record_contributions(m.mission_id, who, ids, ps, [True] * len(ids))
    assert eco.evaluate_mission(m.mission_id, current_epoch=1)["status"] == "succeeded"
    rewards = eco.distribute_rewards(m.mission_id)
    assert sum(rewards.values()) == pytest.approx(30.0)
    assert rewards.get("idle", 0.0) == 0.0
