"""Scenarios: YAML specs, the loader (with overrides and line-numbered errors) and the builder."""

from distsafe.scenarios.builder import build_orchestrator, load_and_build, orchestrator_config
from distsafe.scenarios.loader import (
    ScenarioError,
    apply_overrides,
    list_scenarios,
    load_scenario,
    resolve_scenario,
    scenario_from_text,
)
from distsafe.scenarios.spec import AgentSpec, ScenarioSpec, SimulationSpec, SuccessCriteria

__all__ = [
    "AgentSpec",
    "ScenarioError",
    "ScenarioSpec",
    "SimulationSpec",
    "SuccessCriteria",
    "apply_overrides",
    "build_orchestrator",
    "list_scenarios",
    "load_and_build",
    "load_scenario",
    "orchestrator_config",
    "resolve_scenario",
    "scenario_from_text",
]
