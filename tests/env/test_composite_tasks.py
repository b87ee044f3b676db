"""env.composite_tasks and env.composite_metrics: templates, the engine's assignment and work, bounties,
knowledge transfer, the emergent metrics' formulas, and the seed's Emergent Capability snippets (as written,
`src.` -> `distsafe.`)."""

from __future__ import annotations

import contextlib
import io
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.env.composite_metrics import coordination_score, jaccard_diversity
from distsafe.env.composite_tasks import (
    CapabilityType,
    CompositeTaskConfig,
    create_planning_coordination_task,
    create_problem_solving_task,
    create_research_synthesis_task,
)
from distsafe.models.events import EventType
from distsafe.scenarios.loader import ScenarioError, scenario_from_text

C = CapabilityType


def test_templates_follow_the_seed_table() -> None:
    r = create_research_synthesis_task("x")
    p = create_planning_coordination_task("y")
    s = create_problem_solving_task("z")
    assert r.required_capabilities == {C.RESEARCH, C.ANALYSIS, C.COMMUNICATION, C.VERIFICATION}
    assert p.required_capabilities == {C.PLANNING, C.COORDINATION, C.ANALYSIS, C.VERIFICATION}
    assert s.required_capabilities == {C.ANALYSIS, C.CREATIVITY, C.PLANNING, C.EXECUTION, C.VERIFICATION}
    assert (r.min_agents, p.min_agents, s.min_agents) == (2, 3, 3)
    # parallel work in problem solving: brainstorming and planning both follow the analysis only
    ready_after_analysis = {"brainstorming", "planning"}
    s.subtasks[0].quality = 0.5
    assert {t.name for t in s.ready_subtasks()} == ready_after_analysis


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=2, max_size=8))
def test_coordination_score_is_normalized_entropy(workers: list[str]) -> None:
    c = coordination_score(workers)
    assert 0.0 <= c <= 1.0 + 1e-12
    if len(set(workers)) == 1:
        assert c == 0.0
    if len(set(workers)) == len(workers):
        assert c == pytest.approx(1.0)


def test_jaccard_diversity() -> None:
    assert jaccard_diversity(np.array([0b11, 0b11])) == 0.0
    assert jaccard_diversity(np.array([0b01, 0b10])) == 1.0
    assert jaccard_diversity(np.array([0b011, 0b110])) == pytest.approx(1 - 1 / 3)


def specialists(seed: int = 3, epochs: int = 10) -> Orchestrator:
    cfg = OrchestratorConfig(n_epochs=epochs, steps_per_epoch=5, seed=seed, enable_composite_tasks=True,
                             composite_task_config=CompositeTaskConfig(task_spawn_rate=1.0))  # fmt: skip
    orch = Orchestrator(config=cfg)
    orch.add_population("honest", 3, prefix="r", capabilities=["research", "analysis"])
    orch.add_population("honest", 3, prefix="v", capabilities=["verification", "communication"])
    orch.add_population("honest", 3, prefix="p", capabilities=["planning", "execution", "coordination"])
    orch.add_population("honest", 2, prefix="c", capabilities=["creativity"])
    return orch


def test_engine_completes_tasks_pays_bounties_and_reports() -> None:
    orch = specialists()
    before = orch.agents.resources.copy()
    events: list = []
    orch.event_log = type("Sink", (), {
        "closed": False, "append": lambda self, e: events.append(e),
        "append_interactions": lambda self, *a, **k: None, "close": lambda self: None,
    })()  # fmt: skip
    ms = orch.run()
    m = orch.get_capability_metrics()
    assert m.tasks_completed > 0 and m.completion_rate > 0
    assert 0.0 <= m.avg_coordination_score <= 1.0 and 0.0 < m.avg_synergy_score < 1.0
    assert 0.0 <= m.specialization_index <= 1.0 and 0.0 < m.capability_concentration <= 1.0
    assert m.knowledge_transfer >= 0.0
    kinds = {e.event_type for e in events}
    assert {
        EventType.COMPOSITE_TASK_CREATED,
        EventType.SUBTASK_COMPLETED,
        EventType.COMPOSITE_TASK_COMPLETED,
    } <= kinds
    done = [e for e in events if e.event_type == EventType.SUBTASK_COMPLETED]
    # each subtask went to an agent holding its capability
    holder = {"research": "r", "analysis": "r", "verification": "v", "communication": "v", "planning": "p",
              "execution": "p", "coordination": "p", "creativity": "c"}  # fmt: skip
    assert all(e.agent_id.startswith(holder[e.payload["capability"]]) for e in done)
    completed = sum(m.values["composite_tasks_completed"] for m in ms)
    assert completed == m.tasks_completed
    # bounties are paid into the contributors' resources (interactions pay too, so: at least the bounties)
    tasks = [t for t in orch.engine_state.composite.tasks if t.status == "completed"]
    assert sum(t.bounty for t in tasks) > 0
    assert not np.allclose(orch.agents.resources, before)


def test_no_single_agent_completes_a_task_alone() -> None:
    cfg = OrchestratorConfig(n_epochs=6, steps_per_epoch=5, seed=1, enable_composite_tasks=True,
                             composite_task_config=CompositeTaskConfig(task_spawn_rate=0.0))  # fmt: skip
    orch = Orchestrator(config=cfg)
    orch.add_population("honest", 4, prefix="r", capabilities=["research", "analysis", "communication"])
    orch.add_composite_task(create_research_synthesis_task("t", deadline_epoch=4))
    orch.run()
    m = orch.get_capability_metrics()
    assert m.tasks_completed == 0 and m.tasks_expired == 1 and math.isnan(m.avg_coordination_score)


def test_capabilities_need_composite_tasks() -> None:
    text = "scenario_id: e\nagents:\n  - type: honest\n    count: 2\n    capabilities: [research]\n"
    with pytest.raises(ScenarioError) as e:
        scenario_from_text(text, source="e.yaml")
    assert str(e.value).startswith("e.yaml:5: agents.0.capabilities: capabilities need composite tasks")
    bad = "scenario_id: e\nagents:\n  - type: honest\n    count: 2\n    capabilities: [telepathy]\n"
    with pytest.raises(ScenarioError) as e:
        scenario_from_text(bad, source="e.yaml")
    assert str(e.value).startswith("e.yaml:5: agents.0.capabilities.0:")


FIRST = """
from distsafe.env.composite_tasks import (
    CompositeTask, CompositeTaskPool, Subtask, CapabilityType,
    create_research_synthesis_task, create_problem_solving_task,
)

# Create a research task requiring multiple capabilities
task = create_research_synthesis_task(
    topic="Multi-agent coordination patterns",
    deadline_epoch=10,
    bounty=30.0,
)

# Task requires: RESEARCH, ANALYSIS, COMMUNICATION, VERIFICATION
# No single agent can complete it alone
print(f"Required capabilities: {task.required_capabilities}")
print(f"Subtasks: {[st.name for st in task.subtasks]}")
"""

QUICK_START = """
from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.env.composite_tasks import CapabilityType, create_problem_solving_task

# Enable composite tasks
config = OrchestratorConfig(
    n_epochs=20,
    enable_composite_tasks=True,
)
orchestrator = Orchestrator(config=config)

# Register agents with capabilities
orchestrator.register_agent(agent1)
orchestrator.register_agent_capabilities("agent_1", {
    CapabilityType.RESEARCH,
    CapabilityType.ANALYSIS,
})

orchestrator.register_agent_capabilities("agent_2", {
    CapabilityType.PLANNING,
    CapabilityType.EXECUTION,
})

# Add a composite task
task = create_problem_solving_task("Resource optimization")
orchestrator.add_composite_task(task)

# Run simulation
metrics = orchestrator.run()

# Check capability metrics
cap_metrics = orchestrator.get_capability_metrics()
print(f"Coordination: {cap_metrics.avg_coordination_score:.2f}")
print(f"Synergy: {cap_metrics.avg_synergy_score:.2f}")
"""

YAML_BLOCK = """
governance:
  composite_tasks_enabled: true

composite_tasks:
  initial_tasks:
    - type: research_synthesis
      topic: "Safety protocols"
      deadline_offset: 10
      bounty: 30.0

    - type: problem_solving
      problem: "Coordination failure"
      deadline_offset: 15
      bounty: 40.0

  task_spawn_rate: 0.3
  max_concurrent_tasks: 5

success_criteria:
  min_avg_coordination_score: 0.4
  min_tasks_completed: 2
"""


def run_snippet(code: str, ns: dict) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, ns)  # noqa: S102 - the seed's own snippets
    return out.getvalue()


def test_seed_composite_task_snippet_runs_as_written() -> None:
    text = run_snippet(FIRST, {})
    assert "Required capabilities: {" in text and "literature_review" in text


def test_seed_quick_start_runs_as_written() -> None:
    from distsafe.agents.honest import HonestAgent

    ns = {"agent1": HonestAgent(agent_id="agent_1")}
    with pytest.warns(RuntimeWarning, match="agent_2"):  # the snippet never registers agent_2
        text = run_snippet(QUICK_START, ns)
    assert "Coordination: " in text and "Synergy: " in text
    assert len(ns["metrics"]) == 20


def test_seed_yaml_block_runs_and_its_criteria_are_checked() -> None:
    agents = ("agents:\n  - type: honest\n    count: 3\n    capabilities: [research, analysis]\n"
              "  - type: honest\n    count: 3\n    id_prefix: v\n"
              "    capabilities: [verification, communication]\n"
              "  - type: honest\n    count: 3\n    id_prefix: p\n"
              "    capabilities: [planning, execution, creativity]\n")  # fmt: skip
    spec = scenario_from_text("scenario_id: e\nsimulation:\n  n_epochs: 12\n" + agents + YAML_BLOCK)
    from distsafe.scenarios.runner import run_scenario

    result = run_scenario(spec)
    crit = {name: ok for name, ok, _ in result.criteria}
    assert set(crit) == {"min_avg_coordination_score", "min_tasks_completed"}
    assert (
        result.metrics[-1].values["avg_coordination_score"]
        == result.metrics[-1].values["avg_coordination_score"]
    )
