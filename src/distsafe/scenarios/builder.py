"""Build an `Orchestrator` from a validated `ScenarioSpec`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from distsafe.core.config import OrchestratorConfig
from distsafe.core.orchestrator import Orchestrator
from distsafe.scenarios.loader import ScenarioError, load_scenario
from distsafe.scenarios.spec import ScenarioSpec


def orchestrator_config(spec: ScenarioSpec, log_path: Path | None = None, log_format: str | None = None,
                        **extra: Any) -> OrchestratorConfig:
    sim = spec.simulation
    gov = spec.governance
    return OrchestratorConfig(
        n_epochs=sim.n_epochs, steps_per_epoch=sim.steps_per_epoch, seed=sim.seed, scheduling=sim.scheduling,
        scenario_id=spec.scenario_id,
        governance_config=gov if gov.enabled_levers() else None,
        payoff_config=spec.payoff, proxy_config=spec.proxy, observable_config=spec.observables,
        feed_config=spec.feed, task_config=spec.tasks, rate_limits=spec.rate_limits, safety=spec.safety,
        reputation_rate_initiator=spec.reputation.rate_initiator,
        reputation_rate_counterparty=spec.reputation.rate_counterparty,
        initial_resources=spec.environment.initial_budget, initial_reputation=spec.environment.initial_reputation,
        observation_peers=sim.observation_peers, max_concurrent_llm=sim.max_concurrent_llm,
        log_path=log_path, log_events=log_path is not None, log_format=log_format or sim.log_format,
        **extra,
    )


def build_orchestrator(spec: ScenarioSpec, log_path: Path | None = None, log_format: str | None = None,
                       **extra: Any) -> Orchestrator:
    orch = Orchestrator(orchestrator_config(spec, log_path, log_format, **extra))
    for i, agent in enumerate(spec.agents):
        try:
            if agent.type == "llm":
                from distsafe.agents.llm import LLMAgent

                for k in range(agent.count):
                    orch.register_agent(LLMAgent(f"{agent.prefix()}_{k + 1}", agent.llm))
            else:
                orch.add_population(agent.type, agent.count, prefix=agent.prefix(), params=agent.params,
                                    roles=agent.all_roles())
        except ValidationError as e:
            first = e.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            block = "llm" if agent.type == "llm" else "params"
            raise ScenarioError(f"agents.{i}.{block}.{field}: {first['msg']}") from None
        except (ValueError, TypeError) as e:
            raise ScenarioError(f"agents.{i}: {str(e).splitlines()[0]}") from None
    return orch


def load_and_build(path: str | Path, overrides: list[str] | None = None, log_path: Path | None = None,
                   **extra: Any) -> Orchestrator:
    """The seed's one-liner: `load_and_build(Path("scenarios/status_game.yaml")).run()`."""
    return build_orchestrator(load_scenario(path, overrides), log_path=log_path, **extra)
