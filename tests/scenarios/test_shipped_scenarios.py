"""The shipped scenarios reproduce the seeds' Scenario Comparison in kind."""


def test_scenario_comparison_in_kind():
    """Governance lowers harm (soft toxicity and realized harm: baseline > status game > strict governance)
    and freezes the bad actor only where the breaker is on.

    The seeds' table also has the bad actors' payoff falling with governance; with agents that respond to the
    levers it does not (the adversary attacks less and does paid cover work instead, README "Scenario
    comparison"), so that ordering is no longer asserted."""
    from distsafe.analysis import compare_scenarios

    rows = compare_scenarios(
        ["baseline", "status_game", "strict_governance"], seeds=5, overrides=["simulation.n_epochs=10"]
    )
    tox = [r.mean_ci("avg_toxicity")[0] for r in rows]
    harm = [r.mean_ci("avg_realized_harm")[0] for r in rows]
    assert tox[0] > tox[1] > tox[2], tox
    assert harm[0] > harm[1] > harm[2], harm
    assert rows[0].frozen_runs == 0 and rows[1].frozen_runs >= 1 and rows[2].frozen_runs >= 1
    assert all(r.others_frozen_runs == 0 for r in rows)  # nobody but the bad actor is frozen
