"""Observation noise (core/observation_noise.py; `simulation.observation_noise_probability/_std`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.core.observation_noise import noisy
from distsafe.scenarios.loader import ScenarioError, load_scenario, scenario_from_text
from distsafe.scenarios.runner import run_scenario, verify_log

HERE = Path(__file__).parents[1] / "scenarios" / "swarm_format"
SMALL = ["simulation.n_epochs=2", "simulation.steps_per_epoch=4"]


@settings(max_examples=50, deadline=None)
@given(
    values=st.lists(st.floats(-5, 5), max_size=30),
    p=st.floats(0, 1),
    std=st.floats(0, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_noisy_changes_only_some_entries_and_never_the_input(
    values: list[float], p: float, std: float, seed: int
) -> None:
    v = np.array(values)
    before = v.copy()
    out = noisy(v, p, std, np.random.default_rng(seed))
    assert np.array_equal(v, before)  # a new array
    assert out.shape == v.shape
    if p == 0 or std == 0:
        assert np.array_equal(out, v)
    if p == 1 and std > 0 and v.size:
        assert np.all(out != v)


def test_noise_rate_and_spread() -> None:
    v = np.zeros(200_000)
    out = noisy(v, 0.25, 0.5, np.random.default_rng(1))
    hit = out != 0
    assert hit.mean() == pytest.approx(0.25, abs=0.005)
    assert out[hit].std() == pytest.approx(0.5, rel=0.02)
    assert out[hit].mean() == pytest.approx(0.0, abs=0.01)


def test_off_by_default_and_range_checked() -> None:
    spec = load_scenario("baseline")
    assert (
        spec.simulation.observation_noise_probability == 0.0 and spec.simulation.observation_noise_std == 0.0
    )
    for bad in (
        "observation_noise_probability: 1.5",
        "observation_noise_std: -1",
        "observation_noise_std: .nan",
    ):
        with pytest.raises(ScenarioError, match="simulation.observation_noise") as e:
            scenario_from_text(
                f"scenario_id: t\nagents:\n  - type: honest\n    count: 2\nsimulation:\n  {bad}\n"
            )
        assert "\n" not in str(e.value)


def test_noise_changes_decisions_is_deterministic_and_replays(tmp_path: Path) -> None:
    on = [*SMALL, "simulation.observation_noise_probability=1", "simulation.observation_noise_std=2"]
    quiet = run_scenario(load_scenario("baseline", SMALL))
    a = run_scenario(load_scenario("baseline", on), tmp_path / "a")
    b = run_scenario(load_scenario("baseline", on))
    assert [m.to_dict() for m in a.metrics] == [m.to_dict() for m in b.metrics]
    assert [m.to_dict() for m in a.metrics] != [m.to_dict() for m in quiet.metrics]
    # the true reputations are what the run records: noise never leaks into the state
    assert verify_log(next((tmp_path / "a").glob("events.*"))).ok


def test_reference_file_maps_it() -> None:
    spec = load_scenario(HERE / "agent_knobs.yaml")
    assert spec.simulation.observation_noise_probability == 0.3
    assert spec.simulation.observation_noise_std == 0.2
    assert len(run_scenario(spec).metrics) == 2
