"""'Bad actor frozen' counts bad-actor types only (deceptive, adversarial, adaptive adversary)."""

from distsafe.analysis.compare import compare_scenarios, comparison_markdown
from distsafe.scenarios import load_scenario
from distsafe.scenarios.runner import run_scenario

# No bad actor: the adversary replaced by two more opportunistic agents. Opportunistic agents now choose their
# effort from the levers in force and keep clear of the breaker at 0.5 (none is frozen in these runs), so
# to have a non-bad actor frozen, the label's test case, their effort is pinned low (effort_levels [0.2]).
NO_BAD_ACTORS = [
    "agents.2.type=opportunistic",
    "agents.2.id_prefix=opp_b",
    "simulation.n_epochs=8",
    "agents.1.params.effort_levels=[0.2]",
    "agents.2.params.effort_levels=[0.2]",
]


def test_honest_and_opportunistic_under_strict_governance_freeze_no_bad_actor():
    spec = load_scenario("strict_governance", NO_BAD_ACTORS)
    res = run_scenario(spec)
    s = res.summary
    assert s["agents_frozen_ever"] > 0  # the breaker at 0.5 freezes the shirking opportunistic agents
    assert s["bad_actors_frozen"] == 0
    assert s["frozen_opportunistic"] == s["agents_frozen_ever"]
    crit = dict((n, ok) for n, ok, _ in res.criteria)
    assert crit["bad_actor_frozen"] is False  # wanted: a bad actor frozen; none was
    assert all(m.n_frozen_bad_actors == 0 for m in res.metrics)


def test_compare_counts_bad_actor_runs_only():
    # stakes off: with them a failed audit suspends the shirkers, who then propose less and are not frozen
    # at every seed; this test needs runs where only non-bad agents are frozen (a labelling test)
    rows = compare_scenarios(
        ["strict_governance"], seeds=2, overrides=[*NO_BAD_ACTORS, "governance.staking_enabled=false"]
    )
    assert rows[0].frozen_runs == 0 and rows[0].others_frozen_runs == 2
    table = comparison_markdown(rows, 2)
    assert "| Bad actor frozen (runs) | 0/2 |" in table and "| Other agent frozen (runs) | 2/2 |" in table
