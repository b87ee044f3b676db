"""The shipped scenarios reproduce the seeds' Scenario Comparison in kind."""


def test_scenario_comparison_in_kind():
    """Governance drives the bad actors' payoff down, baseline > status game > strict governance, and
    freezes them only where the breaker is on."""
    from distsafe.analysis import compare_scenarios

    rows = compare_scenarios(
        ["baseline", "status_game", "strict_governance"], seeds=5, overrides=["simulation.n_epochs=10"]
    )
    pay = [r.mean_ci("bad_actor_payoff")[0] for r in rows]
    assert pay[0] > pay[1] > pay[2]
    assert rows[0].frozen_runs == 0 and rows[2].frozen_runs == 5
    tox = [r.mean_ci("avg_toxicity")[0] for r in rows]
    assert max(tox) - min(tox) < 0.1
