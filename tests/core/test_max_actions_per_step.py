"""`simulation.max_actions_per_step` (core/turns.py begin_step): at most that many agents act per step, the
first ones of the schedule that may act (the reference implementation's AgentScheduler cap)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from distsafe.core.turns import begin_step
from distsafe.scenarios.builder import build_orchestrator
from distsafe.scenarios.loader import ScenarioError, load_scenario, scenario_from_text
from distsafe.scenarios.runner import run_scenario

HERE = Path(__file__).parents[1] / "scenarios" / "swarm_format"


def _active(overrides: list[str]) -> list[np.ndarray]:
    orch = build_orchestrator(load_scenario("baseline", ["simulation.n_epochs=1", *overrides]))
    state = orch.engine_state
    out = []
    for _ in range(3):
        begin_step(state)
        out.append(state.active.copy())
    return out


def test_cap_keeps_the_first_of_the_schedule() -> None:
    free = _active([])
    capped = _active(["simulation.max_actions_per_step=3"])
    for f, c in zip(free, capped, strict=True):
        assert c.size == min(3, f.size)
        assert c.tolist() == f[:3].tolist()


def test_a_cap_above_the_population_changes_nothing_and_none_is_the_default() -> None:
    assert load_scenario("baseline").simulation.max_actions_per_step is None
    free = run_scenario(load_scenario("baseline", ["simulation.n_epochs=2"]))
    big = run_scenario(
        load_scenario("baseline", ["simulation.n_epochs=2", "simulation.max_actions_per_step=1000"])
    )
    assert [m.to_json_dict() for m in free.metrics] == [m.to_json_dict() for m in big.metrics]


def test_a_binding_cap_means_fewer_interactions() -> None:
    free = run_scenario(load_scenario("baseline", ["simulation.n_epochs=2"]))
    one = run_scenario(
        load_scenario("baseline", ["simulation.n_epochs=2", "simulation.max_actions_per_step=1"])
    )
    steps = one.spec.simulation.steps_per_epoch
    assert all(m.n_interactions <= steps for m in one.metrics)  # one actor, at most one proposal a step
    assert sum(m.n_interactions for m in one.metrics) < sum(m.n_interactions for m in free.metrics)


@pytest.mark.parametrize("bad", ["0", "-2", "1.5"])
def test_bad_values_are_one_line_errors(bad: str) -> None:
    with pytest.raises(ScenarioError, match="simulation.max_actions_per_step") as e:
        scenario_from_text(
            f"scenario_id: t\nagents:\n  - type: honest\nsimulation:\n  max_actions_per_step: {bad}\n"
        )
    assert "\n" not in str(e.value)


def test_reference_file_maps_it() -> None:
    assert load_scenario(HERE / "agent_knobs.yaml").simulation.max_actions_per_step == 4
