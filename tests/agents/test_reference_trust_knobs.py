"""The reference implementation's deceptive and opportunistic knobs as policy params (agents/deceptive.py,
agents/opportunistic.py), on the per-partner memory (agents/pair_memory.py), and their scenario mapping."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.agents.deceptive import DeceptiveParams, DeceptivePolicy, trust_of
from distsafe.agents.opportunistic import OpportunisticPolicy
from distsafe.agents.pair_memory import PairMemory, earlier_duplicates, pair_keys
from distsafe.models.agent_table import AgentTable
from distsafe.models.interaction import InteractionType
from distsafe.scenarios.loader import ScenarioError, load_scenario, scenario_from_text
from distsafe.scenarios.runner import run_scenario

HERE = Path(__file__).parents[1] / "scenarios" / "swarm_format"
COLLAB = InteractionType.COLLABORATION.code
AGENTS = AgentTable()


def _accept(pol: DeceptivePolicy | OpportunisticPolicy, cp: list[int], init: list[int], tau: float = 0.0,
            seed: int = 0) -> list[bool]:  # fmt: skip
    n = len(cp)
    out = pol.accept_batch(
        AGENTS, np.array(cp), np.array(init), np.full(n, tau), np.full(n, COLLAB), np.array([0]),
        np.random.default_rng(seed),
    )  # fmt: skip
    return [bool(x) for x in out]


# ---- the memory ------------------------------------------------------------------------------------------
def test_pair_memory_values() -> None:
    m = PairMemory(("a", "b"))
    m.add(np.array([1, 1, 2]), np.array([5, 5, 1]), a=np.array([1.0, 2.0, 4.0]))
    assert len(m) == 2
    assert m.get(np.array([1, 2, 5]), np.array([5, 1, 1]), "a").tolist() == [3.0, 4.0, 0.0]
    assert m.get(np.array([1]), np.array([5]), "b").tolist() == [0.0]
    assert m.per_owner(np.array([1, 2, 3]), m.values["a"]).tolist() == [3.0, 4.0, 0.0]
    assert earlier_duplicates(np.array([7, 3, 7, 7, 3])).tolist() == [0, 0, 1, 2, 1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 7), st.floats(-5, 5)), max_size=40),
       st.integers(1, 4))  # fmt: skip
def test_pair_memory_matches_a_dense_table(entries: list[tuple[int, int, float]], chunks: int) -> None:
    """Added in any number of batches, the sums equal a dense own x other table's; per_owner its row sums."""
    m, dense = PairMemory(("x",)), np.zeros((6, 8))
    for part in np.array_split(np.arange(len(entries)), chunks):
        own = np.array([entries[i][0] for i in part], dtype=np.int64)
        other = np.array([entries[i][1] for i in part], dtype=np.int64)
        x = np.array([entries[i][2] for i in part], dtype=np.float64)
        m.add(own, other, x=x)
        np.add.at(dense, (own, other), x)
    o, t = np.meshgrid(np.arange(6), np.arange(8), indexing="ij")
    assert np.allclose(m.get(o, t, "x"), dense)
    assert np.allclose(m.per_owner(np.arange(6), m.values["x"]), dense.sum(axis=1))
    assert np.all(np.diff(m.keys) > 0)  # sorted, one key per pair
    keys = pair_keys(np.array([e[0] for e in entries], np.int64), np.array([e[1] for e in entries], np.int64))
    dup = earlier_duplicates(keys)
    assert dup.tolist() == [int(np.sum(keys[:i] == keys[i])) for i in range(len(keys))]


# ---- deceptive ---------------------------------------------------------------------------------------------
def test_off_by_default() -> None:
    assert DeceptiveParams().reference_trust() is None
    assert not DeceptivePolicy().remembers_partners()
    assert not OpportunisticPolicy().remembers_partners()
    # one knob set: the others take the reference's defaults (5, 0.7, 0.8)
    assert DeceptiveParams(facade_probability=0.5).reference_trust() == (5, 0.7, 0.5)


@given(st.integers(0, 30))
def test_trust_formula(k: int) -> None:
    """The reference's trust: 0.5 + 0.1 per accepted interaction, capped at 1."""
    assert trust_of(np.array([float(k)]))[0] == pytest.approx(min(1.0, 0.5 + 0.1 * k))


def test_deceptive_facade_phase_then_trust() -> None:
    pol = DeceptivePolicy({"trust_building_phase": 2, "facade_probability": 1.0})
    # three proposals from row 9 to row 1 in one batch: the first two are in the phase (accepted), the third
    # is judged by trust (0.5, no accepted interaction yet: refused)
    assert _accept(pol, [1, 1, 1], [9, 9, 9]) == [True, True, False]
    assert _accept(pol, [1], [9]) == [False]  # still no trust
    pol.observe_outcomes(np.array([1, 1]), np.array([9, 9]), np.full(2, 0.7), np.array([True, True]))
    assert _accept(pol, [1], [9]) == [True]  # trust 0.7 > 0.6
    assert _accept(pol, [1], [8]) == [True]  # a new initiator: its phase starts
    never = DeceptivePolicy({"trust_building_phase": 3, "facade_probability": 0.0})
    assert _accept(never, [1, 1, 1, 1], [9, 9, 9, 9]) == [False] * 4


def test_deceptive_facade_probability_is_the_acceptance_rate() -> None:
    pol = DeceptivePolicy({"trust_building_phase": 10**6, "facade_probability": 0.3})
    n = 20000
    acc = pol.accept_batch(
        AGENTS, np.zeros(n, np.int64), np.arange(1, n + 1), np.zeros(n), np.full(n, COLLAB), np.array([0]),
        np.random.default_rng(3),
    )  # fmt: skip
    assert abs(acc.mean() - 0.3) < 0.015


def test_deceptive_may_exploit_only_with_two_trusted_partners_and_cover() -> None:
    from distsafe.agents.policies import GroupView

    pol = DeceptivePolicy({"trust_building_phase": 1, "exploitation_threshold": 0.65})
    members = np.array([0, 1])
    view = GroupView.__new__(GroupView)
    view.members, view.epoch = members, 0
    assert pol.may_exploit(view).tolist() == [False, False]
    # row 0: 2 accepted with each of partners 5 and 6 (trust 0.7 > 0.65), 11 proposals received
    pol.observe_outcomes(np.array([0, 0, 0, 0]), np.array([5, 5, 6, 6]), np.ones(4), np.ones(4, bool))
    pol.pair_memory().add(np.zeros(11, np.int64), np.full(11, 5), received=np.ones(11))
    # row 1: the same cover, but only one trusted partner
    pol.observe_outcomes(np.array([1, 1, 1]), np.array([5, 5, 6]), np.ones(3), np.ones(3, bool))
    pol.pair_memory().add(np.ones(11, np.int64), np.full(11, 5), received=np.ones(11))
    assert pol.may_exploit(view).tolist() == [True, False]
    pol.pair_memory().add(np.array([0]), np.array([7]), received=np.array([-1.0]))  # 10 received: no cover
    assert pol.may_exploit(view).tolist() == [False, False]


# ---- opportunistic -----------------------------------------------------------------------------------------
def test_opportunistic_risk_tolerance() -> None:
    pol = OpportunisticPolicy({"risk_tolerance": 0.0})
    assert _accept(pol, [1], [9]) == [False]  # unknown, no risk taken
    assert _accept(pol, [1], [9], tau=0.2) == [True]  # an offer that pays: always
    pol.observe_outcomes(np.array([1, 1]), np.array([9, 9]), np.array([0.9, 0.3]), np.array([True, False]))
    assert _accept(pol, [1], [9]) == [True]  # mean p 0.6 > 0.5
    pol.observe_outcomes(np.array([1]), np.array([9]), np.array([0.2]), np.array([True]))
    assert _accept(pol, [1], [9]) == [False]  # mean p 0.467
    brave = OpportunisticPolicy({"risk_tolerance": 1.0})
    assert _accept(brave, [1, 2], [9, 8]) == [True, True]
    n = 20000
    mid = OpportunisticPolicy({"risk_tolerance": 0.7})
    acc = mid.accept_batch(
        AGENTS, np.zeros(n, np.int64), np.arange(1, n + 1), np.zeros(n), np.full(n, COLLAB), np.array([0]),
        np.random.default_rng(4),
    )  # fmt: skip
    assert abs(acc.mean() - 0.7) < 0.015


# ---- the scenario format --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kind,knob,value",
    [
        ("deceptive", "facade_probability", 1.5),
        ("deceptive", "exploitation_threshold", -0.1),
        ("deceptive", "trust_building_phase", -1),
        ("deceptive", "trust_building_phase", 2.5),
        ("opportunistic", "risk_tolerance", 2),
        ("opportunistic", "risk_tolerance", ".nan"),
    ],
)
def test_bad_values_are_one_line_errors(kind: str, knob: str, value: object) -> None:
    with pytest.raises(ScenarioError) as e:
        scenario_from_text(f"scenario_id: t\nagents:\n  - type: {kind}\n    config:\n      {knob}: {value}\n")
    assert "\n" not in str(e.value) and knob in str(e.value)


def test_reference_file_maps_the_knobs_runs_and_remembers(tmp_path: Path) -> None:
    spec = load_scenario(HERE / "agent_trust_knobs.yaml")
    assert spec.ignored_fields == []
    dec, opp = spec.agents[1].params, spec.agents[2].params
    assert (dec["trust_building_phase"], dec["exploitation_threshold"], dec["facade_probability"]) == (
        2,
        0.6,
        0.9,
    )
    assert opp == {"risk_tolerance": 0.7}
    for k in ("payoff_threshold", "free_ride_probability"):
        assert any(n.startswith(f"agents.2.params.{k} (ignored by the reference") for n in spec.no_op_fields)
    result = run_scenario(spec, tmp_path / "run")
    assert len(result.metrics) == spec.simulation.n_epochs
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["no_op_fields"] == spec.no_op_fields


def test_the_run_fills_the_memories() -> None:
    from distsafe.scenarios.builder import build_orchestrator

    orch = build_orchestrator(load_scenario(HERE / "agent_trust_knobs.yaml"))
    orch.run()
    pols = {type(g.policy).__name__: g.policy for g in orch.groups if g.policy is not None}
    dec, opp = pols["DeceptivePolicy"], pols["OpportunisticPolicy"]
    assert isinstance(dec, DeceptivePolicy) and isinstance(opp, OpportunisticPolicy)
    assert dec.memory is not None and dec.memory.values["received"].sum() > 0
    assert dec.memory.values["accepted"].sum() > 0
    assert opp.memory is not None and opp.memory.values["n"].sum() > 0
    # own rows are the group's members only
    owners = set((dec.memory.keys >> 32).tolist())
    assert owners <= set(
        orch.groups[[type(g.policy) for g in orch.groups].index(DeceptivePolicy)].all_rows().tolist()
    )
