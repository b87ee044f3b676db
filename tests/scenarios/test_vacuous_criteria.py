"""Payoff bounds on a population without the agents they bound pass vacuously, and say so."""

from distsafe.scenarios.spec import SuccessCriteria


def test_bad_actor_payoff_bound_without_bad_actors_passes_with_a_note():
    crit = SuccessCriteria(max_bad_actor_payoff=0.0, max_adversary_payoff=0.0)
    got = crit.evaluate({"bad_actor_payoff": float("nan")}, [])
    assert got == [
        ("max_bad_actor_payoff", True, "no bad actors in the population: passes vacuously"),
        ("max_adversary_payoff", True, "no adversarial agents: passes vacuously"),
    ]
    # with bad actors the bound is checked as before
    got = crit.evaluate({"bad_actor_payoff": 3.5, "payoff_adversarial": -1.0}, [])
    assert got == [("max_bad_actor_payoff", False, "3.5 <= 0"), ("max_adversary_payoff", True, "-1 <= 0")]


def test_in_a_run_of_honest_agents():
    from distsafe.scenarios import load_scenario
    from distsafe.scenarios.runner import run_scenario

    spec = load_scenario(
        "strict_governance",
        [
            "agents=[{type: honest, count: 3}]",
            "simulation.n_epochs=2",
            "success_criteria.bad_actor_frozen=null",
        ],
    )
    res = run_scenario(spec)
    crit = {name: (ok, detail) for name, ok, detail in res.criteria}
    assert crit["max_bad_actor_payoff"] == (True, "no bad actors in the population: passes vacuously")
