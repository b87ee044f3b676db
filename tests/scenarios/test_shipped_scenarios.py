"""The shipped scenarios reproduce the seeds' Scenario Comparison in kind."""


def test_scenario_comparison_in_kind():
    """Governance lowers harm (soft toxicity and realized harm: baseline > status game > strict governance),
    and freezes no one but bad actors.

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
    assert rows[0].frozen_runs == 0
    assert all(r.others_frozen_runs == 0 for r in rows)  # nobody but the bad actor is frozen
    # The breaker froze the adversary in most governed runs before stakes bound; facing the suspension a
    # failed audit brings it now attacks less and is rarely frozen (0/10 status_game, 1/10 strict_governance,
    # README). That the stakes bind (slash and block) is checked in tests/governance/test_binding.py.
