"""The loader: line-numbered errors with the field path for every block, overrides, shipped names."""

import pytest

from distsafe.scenarios import (
    ScenarioError,
    list_scenarios,
    load_scenario,
    resolve_scenario,
    scenario_from_text,
)
from distsafe.scenarios.loader import DATA_DIR

HEAD = "scenario_id: x\nagents: [{type: honest}]\n"


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "scenario_id: x\nagents:\n  - type: wizard\n    count: 1\n",
            ":3: agents.0.type: unknown agent type 'wizard'",
        ),
        (
            "scenario_id: x\nagents:\n  - type: honest\n    count: -2\n",
            ":4: agents.0.count: Input should be greater",
        ),
        ("scenario_id: x\nagents:\n  - type: honest\n    cuont: 2\n", ":4: agents.0.cuont: unknown field"),
        (
            "scenario_id: x\nagents: [{type: honest}]\ngovernance:\n  audit_probability: 1.5\n",
            ":4: governance.audit_probability: Input should be less than or equal to 1",
        ),
        ("scenario_id: x\nagents: [{type: honest}]\npayoff:\n  theta: -0.5\n", ":4: payoff.theta"),
        ("scenario_id: x\nagents: [{type: honest}]\nsimulation:\n  n_epochs: 0\n", ":4: simulation.n_epochs"),
        ("scenario_id: x\nagents: [{type: honest}\n", "malformed YAML"),
        ("- just\n- a list\n", "must be a YAML mapping"),
        ("scenario_id: x\nagents: [{type: honest, role: janitor}]\n", "unknown role 'janitor'"),
    ],
)
def test_errors_name_line_and_field(text, expected):
    with pytest.raises(ScenarioError) as e:
        scenario_from_text(text, source="s.yaml")
    msg = str(e.value)
    assert expected in msg, msg
    assert "\n" not in msg


@pytest.mark.parametrize(
    "block, body, expected",
    [
        (
            "simulation",
            "  epochs: 0",
            "s.yaml:4: simulation.epochs: Input should be greater than or equal to 1",
        ),
        (
            "simulation",
            "  log_format: csv",
            "s.yaml:4: simulation.log_format: Input should be 'jsonl' or 'parquet'",
        ),
        ("simulation", "  scheduling: fifo", "s.yaml:4: simulation.scheduling: Input should be"),
        (
            "environment",
            "  initial_budget: -1",
            "s.yaml:4: environment.initial_budget: Input should be greater",
        ),
        ("environment", "  initial_resourcez: 5", "s.yaml:4: environment.initial_resourcez: unknown field"),
        (
            "reputation",
            "  rate_initiator: -0.1",
            "s.yaml:4: reputation.rate_initiator: Input should be greater",
        ),
        ("reputation", "  rate: 0.1", "s.yaml:4: reputation.rate: unknown field"),
        (
            "proxy",
            "  weights:\n    task_progress: -1",
            "s.yaml:5: proxy.weights.task_progress: Input should be greater",
        ),
        ("proxy", "  sigmoid_k: 0", "s.yaml:4: proxy.sigmoid_k: Input should be greater than 0"),
        (
            "observables",
            "  progress_noise: -1",
            "s.yaml:4: observables.progress_noise: Input should be greater",
        ),
        ("feed", "  visible_limit: 0", "s.yaml:4: feed.visible_limit: Input should be greater"),
        ("tasks", "  bounty: 2", "s.yaml:4: tasks.bounty: unknown field"),
        (
            "rate_limits",
            "  max_posts_per_epoch: -1",
            "s.yaml:4: rate_limits.max_posts_per_epoch: Input should be",
        ),
        (
            "safety",
            "  kill_switch_toxicity: 2",
            "s.yaml:4: safety.kill_switch_toxicity: Input should be less",
        ),
        ("governance", "  bandwidth_cap: 0", "s.yaml:4: governance.bandwidth_cap: Input should be greater"),
        ("payoff", "  w_rep: x", "s.yaml:4: payoff.w_rep: Input should be a valid number"),
        (
            "success_criteria",
            "  max_avg_toxicity: 2",
            "s.yaml:4: success_criteria.max_avg_toxicity: Input should be",
        ),
    ],
)
def test_every_block_reports_file_line_and_path(block, body, expected):
    with pytest.raises(ScenarioError) as e:
        scenario_from_text(f"{HEAD}{block}:\n{body}\n", source="s.yaml")
    assert str(e.value).startswith(expected), str(e.value)


def test_unknown_block_and_more_problems():
    with pytest.raises(ScenarioError, match=r"^s.yaml:3: simulations: unknown field$"):
        scenario_from_text(f"{HEAD}simulations: {{seed: 1}}\n", source="s.yaml")
    with pytest.raises(ScenarioError, match=r"\(and 1 more problem\)$"):
        scenario_from_text(f"{HEAD}payoff: {{theta: 2, h: -1}}\n", source="s.yaml")


def test_overrides():
    spec = load_scenario(
        "status_game",
        [
            "governance.transaction_tax_rate=0.1",
            "agents.0.count=4",
            "simulation.seed=9",
            "governance.audit_enabled=false",
        ],
    )
    assert spec.governance.transaction_tax_rate == 0.1
    assert spec.agents[0].count == 4 and spec.simulation.seed == 9 and not spec.governance.audit_enabled
    for bad, part in [
        ("governance.transaction_tax_rate", "must look like"),
        ("agents.9.count=1", "not an index"),
        ("governance.nonsense=1", "unknown field"),
        ("simulation.seed=-1", "simulation.seed"),
    ]:
        with pytest.raises(ScenarioError) as e:
            load_scenario("status_game", [bad])
        assert part in str(e.value)


def test_overrides_reach_every_block():
    spec = load_scenario(
        "baseline",
        [
            "environment.initial_budget=20",
            "reputation.rate_counterparty=0.5",
            "proxy.weights.task_progress=1",
            "safety.kill_switch_enabled=false",
        ],
    )
    assert spec.environment.initial_resources == 20.0 and spec.reputation.reputation_rate_counterparty == 0.5
    assert spec.proxy.weights.task_progress == 1.0 and spec.safety.kill_switch_enabled is False


def test_missing_file_and_shipped_names(tmp_path):
    with pytest.raises(ScenarioError, match="no such scenario"):
        load_scenario("does/not/exist.yaml")
    with pytest.raises(ScenarioError, match="run it by that name"):
        resolve_scenario("baseline.yaml")
    assert set(list_scenarios()) == {p.stem for p in DATA_DIR.glob("*.yaml")}
    assert resolve_scenario("baseline") == DATA_DIR / "baseline.yaml"
    own = tmp_path / "mine.yaml"
    own.write_text(HEAD)
    assert load_scenario(own).scenario_id == "x"
