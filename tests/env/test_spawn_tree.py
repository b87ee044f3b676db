"""Recursive spawning (env.spawn: the tree, eligibility, attribution, cascade; core.parts.spawn in a run)
and the reference-format file tests/scenarios/swarm_format/recursive_spawn.yaml."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.env.spawn import SpawnConfig, SpawnTree, inherited_reputation
from distsafe.eventlog import read_log
from distsafe.scenarios.loader import ScenarioError, load_scenario, scenario_from_text
from distsafe.scenarios.runner import run_scenario, verify_log

HERE = Path(__file__).parents[1] / "scenarios" / "swarm_format"


def _chain(cfg: SpawnConfig) -> SpawnTree:
    """Roots 0, 1; 2 child of 0 (step 0), 3 child of 2 (step 10), 4 child of 0 (step 20)."""
    tree = SpawnTree(cfg, 2)
    assert tree.register(0, 0) == 2
    assert tree.register(2, 10) == 3
    assert tree.register(0, 20) == 4
    return tree


def test_register_sets_depth_children_and_cooldown() -> None:
    tree = _chain(SpawnConfig())
    assert tree.parent.tolist() == [-1, -1, 0, 2, 0]
    assert tree.depth.tolist() == [0, 0, 1, 2, 1]
    assert tree.n_children.tolist() == [2, 0, 1, 0, 0]
    assert tree.last_spawn.tolist() == [20, -1, 10, -1, -1]
    assert tree.total_spawned == 3
    assert tree.ancestors(3) == [2, 0] and tree.roots().tolist() == [0, 1, 0, 0, 0]
    assert tree.depth_distribution() == {0: 2, 1: 2, 2: 1}
    assert tree.tree_sizes().tolist() == [4, 1, 0, 0, 0]
    with pytest.raises(ValueError, match="no agent row 9"):
        tree.register(9, 0)


def test_eligibility_rules_one_by_one() -> None:
    cfg = SpawnConfig(
        max_depth=2, max_children=2, min_resources_to_spawn=20, spawn_cost=30, spawn_cooldown_steps=5
    )
    tree = _chain(cfg)
    res = np.full(5, 100.0)
    # 0: two children (max); 1: ok; 2: spawned at 10, cooldown over at 15; 3: depth 2 (max); 4: ok
    assert tree.eligible(res, 12).tolist() == [False, True, False, False, True]
    assert tree.eligible(res, 15).tolist() == [False, True, True, False, True]
    # resources: at least both min_resources_to_spawn (20) and spawn_cost (30)
    assert tree.eligible(np.array([100, 25, 100, 100, 30.0]), 15).tolist() == [
        False,
        False,
        True,
        False,
        True,
    ]
    tree.banned[4] = True
    assert not tree.eligible(res, 15)[4]
    capped = _chain(cfg.model_copy(update={"max_total_spawned": 3}))
    assert not capped.eligible(res, 100).any()
    off = _chain(cfg.model_copy(update={"enabled": False}))
    assert not off.eligible(res, 100).any()


def test_cascade_ban_and_freeze_reach_the_subtree_only_when_set() -> None:
    tree = _chain(SpawnConfig())
    assert tree.cascade_freeze(2).tolist() == [2, 3]
    assert tree.cascade_ban(0).tolist() == [0, 2, 3, 4]
    assert tree.banned.tolist() == [True, False, True, True, True]
    flat = _chain(SpawnConfig(cascade_ban=False, cascade_freeze=False))
    assert flat.cascade_freeze(0).tolist() == [0]
    assert flat.cascade_ban(2).tolist() == [2] and flat.banned.tolist() == [False, False, True, False, False]


def test_attribution_modes_values() -> None:
    pay = np.array([0.0, 0.0, 0.0, 10.0, 0.0])
    up = _chain(SpawnConfig(attribution_mode="propagate_up", propagation_fraction=0.3)).attribute(pay)
    # 3 keeps 7; 3 passes up to 2 (keeps 0.7 * 3 = 2.1) and the root 0 absorbs the rest (0.9)
    assert up == pytest.approx([0.9, 0.0, 2.1, 7.0, 0.0])
    root = _chain(SpawnConfig(attribution_mode="root_absorbs")).attribute(pay)
    assert root == pytest.approx([10.0, 0.0, 0.0, 0.0, 0.0])
    assert _chain(SpawnConfig()).attribute(pay).tolist() == pay.tolist()
    assert inherited_reputation([2.0, -1.0], 0.5).tolist() == [1.0, -0.5]
    assert _chain(SpawnConfig(depth_noise_per_level=0.05)).noise_std() == pytest.approx(
        [0, 0, 0.05, 0.1, 0.05]
    )


@settings(max_examples=60, deadline=None)
@given(
    parents=st.lists(st.integers(0, 50), min_size=0, max_size=12),
    pays=st.lists(st.floats(-100, 100), min_size=14, max_size=14),
    f=st.floats(0, 1),
    mode=st.sampled_from(["leaf_only", "propagate_up", "root_absorbs"]),
)
def test_attribution_keeps_the_total_and_roots_keep_their_own(
    parents: list[int], pays: list[float], f: float, mode: str
) -> None:
    tree = SpawnTree(SpawnConfig(attribution_mode=mode, propagation_fraction=f), 2)  # type: ignore[arg-type]
    for i, p in enumerate(parents):
        tree.register(p % (2 + i), i)
    pay = np.array(pays[: len(tree)])
    out = tree.attribute(pay)
    assert out.sum() == pytest.approx(pay.sum(), abs=1e-9)
    child = tree.parent >= 0
    assert (tree.depth[child] == tree.depth[tree.parent[child]] + 1).all()
    assert tree.tree_sizes().sum() == len(tree)
    if mode == "propagate_up" and len(tree) == 2:
        assert out.tolist() == pay.tolist()


def test_reference_file_runs_strict_and_replays(tmp_path: Path) -> None:
    spec = load_scenario(HERE / "recursive_spawn.yaml")
    assert spec.ignored_fields == []
    result = run_scenario(spec, tmp_path / "run")
    ms = [m.to_dict() for m in result.metrics]
    # no agent type of these asks to spawn (as in the reference): the tree stays its seven roots
    assert [m["spawn_total"] for m in ms] == [0.0] * 4 and [m["spawn_max_depth"] for m in ms] == [0.0] * 4
    comp = result.orchestrator.summary()["components"]["spawn"]
    assert comp == {"total_spawned": 0, "max_depth": 0, "depth_distribution": {0: 7}, "tree_sizes": [1] * 7}
    # eligibility: resources >= 100 (min_resources_to_spawn), counted per step; all within [0, 7]
    elig = [m["spawn_eligible"] for m in ms]
    assert all(0.0 <= e <= 7.0 for e in elig) and len(set(elig)) > 1
    log = next((tmp_path / "run").glob("events.*"))
    assert verify_log(log).ok
    assert read_log(log).header["config"]["spawn_config"]["min_resources_to_spawn"] == 100.0


def test_spawn_off_moves_nothing() -> None:
    base = (
        "scenario_id: t\nagents:\n  - type: honest\n    count: 3\n"
        "simulation:\n  n_epochs: 2\n  steps_per_epoch: 3\n"
    )
    plain = run_scenario(scenario_from_text(base))
    off = run_scenario(scenario_from_text(base + "spawn:\n  enabled: false\n"))
    assert "spawn" not in off.orchestrator.summary().get("components", {})
    assert [m.to_json_dict() for m in plain.metrics] == [m.to_json_dict() for m in off.metrics]


@pytest.mark.parametrize(
    "block, fragment",
    [
        ("  attribution_mode: sideways\n", "spawn.attribution_mode"),
        ("  propagation_fraction: 1.5\n", "spawn.propagation_fraction"),
        ("  reputation_inheritance_factor: -0.1\n", "spawn.reputation_inheritance_factor"),
        ("  max_depth: -1\n", "spawn.max_depth"),
        ("  spawn_cost: .nan\n", "spawn.spawn_cost"),
        ("  max_children: many\n", "spawn.max_children"),
        ("  grandchildren: 3\n", "spawn.grandchildren"),
    ],
)
def test_bad_spawn_values_are_one_line_errors(block: str, fragment: str) -> None:
    with pytest.raises(ScenarioError) as e:
        scenario_from_text("scenario_id: t\nagents:\n  - type: honest\n    count: 2\nspawn:\n" + block)
    assert fragment in str(e.value) and "\n" not in str(e.value)
