"""Hostile scenario files (issue 9, findings 4, 10, 11, 12): one-line errors with file:line, caps, no hang."""

from __future__ import annotations

import textwrap
import time

import pytest

from distsafe.core.limits import Limits
from distsafe.models.config_base import MAX_CONFIG_MAGNITUDE
from distsafe.scenarios import ScenarioError, load_scenario, scenario_from_text

HEAD = "scenario_id: x\nagents:\n  - type: honest\n"

BOMB = """\
x: &a ["x","x","x","x","x","x","x","x","x"]
y: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
z: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
w: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
v: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
u: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
t: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
s: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
"""


def _err(text: str, **kw) -> str:
    with pytest.raises(ScenarioError) as e:
        scenario_from_text(text, "s.yaml", **kw)
    msg = str(e.value)
    assert "\n" not in msg
    return msg


@pytest.mark.parametrize(
    "where",
    ["top", "params", "provider_options", "metrics"],
)
def test_alias_bomb_refused_while_composing(where):
    if where == "top":
        text = HEAD + BOMB
    elif where == "params":
        text = HEAD + "    params:\n" + textwrap.indent(BOMB, "      ")
    elif where == "metrics":
        text = HEAD + "metrics_to_track:\n" + textwrap.indent(BOMB, "  ")
    else:
        text = (
            "scenario_id: x\nagents:\n  - type: llm\n    llm:\n      provider: dry_run\n"
            "      provider_options:\n" + textwrap.indent(BOMB, "        ")
        )
    t0 = time.perf_counter()
    msg = _err(text)
    assert time.perf_counter() - t0 < 2.0
    assert "more nodes (after alias expansion) than 100,000" in msg and "max_yaml_nodes" in msg
    assert msg.startswith("s.yaml:")


def test_alias_within_the_cap_still_works():
    spec = scenario_from_text(
        "scenario_id: x\nbase: &p {effort: 0.8}\n".replace("base: &p {effort: 0.8}\n", "")
        + "agents:\n  - type: honest\n    params: &p {effort: 0.8}\n  - type: deceptive\n    params: *p\n"
    )
    assert spec.agents[1].params == {"effort": 0.8}


def test_deep_nesting_one_line():
    text = HEAD + "    params: " + "[" * 50_000 + "]" * 50_000 + "\n"
    msg = _err(text)
    assert "nested deeper than 64" in msg and "max_yaml_depth" in msg


def test_deep_nesting_through_aliases():
    lines = ["a0: &a0 [1]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, 80)]
    msg = _err(HEAD + "\n".join(lines) + "\n")
    assert "deeper than 64" in msg


def test_recursive_alias_refused():
    assert "recursive alias" in _err(HEAD + "    params: &r {a: *r}\n")


def test_duplicate_key_names_the_second_line():
    msg = _err("scenario_id: x\nagents: [{type: honest}]\nscenario_id: y\n")
    assert msg == "s.yaml:3: duplicate key 'scenario_id' (first at line 1)"
    msg = _err(HEAD + "    count: 2\n    count: 3\n")
    assert msg.startswith("s.yaml:5: duplicate key 'count'")


@pytest.mark.parametrize(("key", "kind"), [("1", "int"), ("on", "bool"), ("null", "null"), ("1.5", "float")])
def test_non_string_keys(key, kind):
    msg = _err(HEAD + f"    params: {{{key}: 2}}\n")
    assert f"key {key!r} is read as {kind}, not a string (quote it)" in msg


def test_complex_key_refused():
    assert "plain string" in _err(HEAD + "? [a, b]\n: 1\n")


def test_merge_keys_still_work():
    spec = scenario_from_text(
        "scenario_id: x\nagents:\n  - &h {type: honest, count: 2}\n  - <<: *h\n    type: deceptive\n"
    )
    assert [a.count for a in spec.agents] == [2, 2]


def test_size_cap(tmp_path):
    p = tmp_path / "big.yaml"
    p.write_text(HEAD + "description: '" + "x" * 2_000_000 + "'\n")
    with pytest.raises(ScenarioError, match=r"larger than 1,048,576 .*max_yaml_bytes"):
        load_scenario(p)
    assert load_scenario(p, limits=Limits(max_yaml_bytes=3_000_000)).scenario_id == "x"


@pytest.mark.parametrize(
    ("block", "expect"),
    [
        ("payoff: {s_plus: .inf}", "s.yaml:4: payoff.s_plus: Input should be a finite number"),
        ("payoff: {s_plus: 1e308}", "s.yaml:4: payoff.s_plus: 1e+308 is out of range"),
        ("payoff: {h: -.inf}", "s.yaml:4: payoff.h: Input should be a finite number"),
        (
            "environment: {initial_reputation: .nan}",
            "environment.initial_reputation: Input should be a finite",
        ),
        ("environment: {initial_budget: .inf}", "environment.initial_budget: Input should be a finite"),
        ("governance: {transaction_tax_rate: .nan}", "governance.transaction_tax_rate"),
        ("reputation: {rate_initiator: .inf}", "reputation.rate_initiator"),
        ("tasks: {bounty_mean: .inf}", "tasks.bounty_mean: Input should be a finite"),
        ("tasks: {bounty_mean: 1e13}", "tasks.bounty_mean: 1e+13 is out of range"),
        (
            "feed: {window_steps: 99999999999999999999}",
            "feed.window_steps: 99999999999999999999 does not fit",
        ),
        ("simulation: {seed: 99999999999999999999}", "simulation.seed"),
        ("safety: {budget_per_epoch: .inf}", "safety.budget_per_epoch"),
        ("proxy: {weights: {task_progress: .nan}}", "proxy.weights.task_progress"),
        ("observables: {progress_noise: .inf}", "observables.progress_noise"),
        ("rate_limits: {max_posts_per_epoch: 99999999999999999999}", "rate_limits.max_posts_per_epoch"),
        ("success_criteria: {min_welfare_per_epoch: .nan}", "success_criteria.min_welfare_per_epoch"),
    ],
)
def test_non_finite_and_absurd_numbers_name_the_field(block, expect):
    assert expect in _err(HEAD + block + "\n")


def test_agent_params_and_llm_numbers_checked():
    assert "agents.0.params: tau: must be a finite number, not inf" in _err(
        HEAD + "    params: {tau: .inf}\n"
    )
    llm = "scenario_id: x\nagents:\n  - type: llm\n    llm: {provider: dry_run, timeout: .nan}\n"
    assert _err(llm) == "s.yaml:4: agents.0.llm.timeout: Input should be a finite number"
    opts = (
        "scenario_id: x\nagents:\n  - type: llm\n"
        "    llm: {provider: dry_run, provider_options: {a: [1, .inf]}}\n"
    )
    assert "agents.0.llm.provider_options: a.1: must be a finite number" in _err(opts)


def test_overrides_checked_the_same_way():
    assert "payoff.s_plus: Input should be a finite number" in _err(HEAD, overrides=["payoff.s_plus=.inf"])
    assert "1e+300 is out of range" in _err(HEAD, overrides=["payoff.h=1e300"])
    assert "duplicate key" in _err(HEAD, overrides=["agents.0.params={a: 1, a: 2}"])


def test_every_derived_payoff_stays_finite_at_the_bounds():
    """At the documented bound |x| <= 1e12 for every payoff parameter, payoffs are finite."""
    import numpy as np

    from distsafe.core.payoff import PayoffConfig, SoftPayoffEngine

    m = MAX_CONFIG_MAGNITUDE
    cfg = PayoffConfig(s_plus=m, s_minus=m, h=m, theta=1, rho_a=1, rho_b=1, w_rep=m)
    eng = SoftPayoffEngine(cfg)
    p = np.array([0.0, 0.5, 1.0])
    for name in ("expected_surplus", "expected_harm"):
        fn = getattr(eng, name, None)
        if fn is not None:
            assert np.all(np.isfinite(fn(p)))
    assert np.isfinite(m * m * m * 1e15)  # three factors at the bound, summed over 1e15 interactions


@pytest.mark.parametrize(
    ("text", "cap"),
    [
        (HEAD.replace("honest\n", "honest\n    count: 100000000\n"), "max_agents=1,000,000"),
        (HEAD + "simulation: {n_epochs: 1000000000}\n", "max_epochs=1,000,000"),
        (HEAD + "simulation: {epochs: 1000000000}\n", "max_epochs=1,000,000"),
        (HEAD + "simulation: {steps_per_epoch: 1000000000}\n", "max_steps_per_epoch"),
        (
            HEAD.replace("honest\n", "honest\n    count: 1000\n") + "simulation: {n_epochs: 2000000}\n",
            "max_epochs",
        ),
        (
            HEAD.replace("honest\n", "honest\n    count: 900000\n") + "simulation: {n_epochs: 5000}\n",
            "max_agent_epochs",
        ),
    ],
)
def test_run_caps_checked_before_allocation(text, cap):
    t0 = time.perf_counter()
    msg = _err(text)
    assert cap in msg and "--limit" in msg and "DISTSAFE_" in msg
    assert time.perf_counter() - t0 < 1.0


def test_caps_raised_by_env_and_lowered_by_the_scenario(monkeypatch):
    big = HEAD.replace("honest\n", "honest\n    count: 2000000\n")
    _err(big)
    monkeypatch.setenv("DISTSAFE_MAX_AGENTS", "3000000")
    assert scenario_from_text(big).n_agents == 2_000_000
    assert "a scenario can only lower caps" in _err(big + "limits: {max_agents: 9000000}\n")
    msg = _err(HEAD.replace("honest\n", "honest\n    count: 20\n") + "limits: {max_agents: 10}\n")
    assert "max_agents=10" in msg


def test_limits_from_environment_validated(monkeypatch):
    monkeypatch.setenv("DISTSAFE_MAX_AGENTS", "nan")
    with pytest.raises(ValueError, match="DISTSAFE_MAX_AGENTS: 'nan' is not a whole number"):
        Limits.current()
    monkeypatch.setenv("DISTSAFE_MAX_AGENTS", "1e7")
    assert Limits.current().max_agents == 10_000_000
    with pytest.raises(ValueError, match="unknown limit"):
        Limits.current({"max_bogus": 1})


def test_python_api_caps():
    from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig

    with pytest.raises(ValueError, match="max_epochs"):
        OrchestratorConfig(n_epochs=10**9)
    orch = Orchestrator(OrchestratorConfig(n_epochs=2, limits=Limits(max_agents=10)))
    with pytest.raises(ValueError, match="the number of agents is 11, over the cap max_agents=10"):
        orch.add_population("honest", 11)
    assert len(orch.agents) == 0  # nothing allocated
