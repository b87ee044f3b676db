"""The kill switch reads an epoch's toxicity only once the epoch accepted enough interactions."""

from distsafe.scenarios import load_scenario
from distsafe.scenarios.runner import run_scenario

TINY_EPOCHS = ["simulation.n_epochs=30", "simulation.steps_per_epoch=1"]


def test_a_tiny_epoch_does_not_trip_the_kill_switch_by_default() -> None:
    res = run_scenario(load_scenario("baseline", TINY_EPOCHS))
    assert len(res.metrics) == 30 and not res.orchestrator.state.killed
    # the same run has an epoch whose one or two accepted interactions are all bad
    assert any(m.toxicity_rate > 0.95 and m.n_accepted < 10 for m in res.metrics)


def test_with_a_minimum_of_one_the_same_epoch_stops_the_run() -> None:
    res = run_scenario(load_scenario("baseline", [*TINY_EPOCHS, "safety.kill_switch_min_accepted=1"]))
    assert res.orchestrator.state.killed and len(res.metrics) < 30
    last = res.metrics[-1]
    assert last.toxicity_rate > 0.95 and last.n_accepted >= 1
