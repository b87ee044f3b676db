"""Build an `Orchestrator` from a validated `ScenarioSpec`.

`orchestrator_config` is the one conversion from a scenario to the engine's `OrchestratorConfig`. The
scenario's blocks are the engine's own models, so nothing is copied field by field: `simulation`,
`environment` and `reputation` fill `OrchestratorConfig`'s top-level fields, the other blocks its
`*_config` fields (`SECTIONS`). Where a scenario differs from an `OrchestratorConfig` built in Python, it
does so on purpose, and only here:

  - `scenario_id` is required in a scenario (the engine's default is "custom");
  - `governance_config` is None unless the `governance:` block turns a lever on (a scenario always has the
    block; the engine's default is None, and the event-log header records it as such);
  - `log_format` is `simulation.log_format`, "jsonl" by default (the engine's None means "from the log
    path's suffix"), unless the caller passes one;
  - `log_events` is on exactly when a `log_path` is given;
  - `metrics_to_track` asks for the optional epoch metrics it names; `limits` are the caps in force,
    lowered by the scenario's `limits:` block (a caller passing `limits=` sets the caps in force).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from distsafe.core.config import EnvironmentConfig, OrchestratorConfig, ReputationConfig, SimulationConfig
from distsafe.core.limits import Limits
from distsafe.core.orchestrator import Orchestrator
from distsafe.governance.registry import enabled_levers
from distsafe.scenarios.loader import ScenarioError, load_scenario
from distsafe.scenarios.spec import ScenarioSpec

#: scenario block -> the OrchestratorConfig field it is
SECTIONS: dict[str, str] = {
    "payoff": "payoff_config",
    "proxy": "proxy_config",
    "observables": "observable_config",
    "feed": "feed_config",
    "tasks": "task_config",
    "rate_limits": "rate_limits",
    "safety": "safety",
    "dynamics": "dynamics_config",
    "network": "network_config",
    "composite_tasks": "composite_task_config",
    "hfn": "hfn_config",
    "auction": "auction_config",
    "missions": "mission_config",
    "marketplace": "market_config",
    "motifs": "motif_config",
    "identity": "identity_config",
    "permeability": "permeability_config",
    "dynamic_toxicity": "dynamic_toxicity_config",
    "contracts": "contracts_config",
    "spawn": "spawn_config",
    "perturbations": "perturbation_config",
}

#: scenario block -> the model whose fields it contributes to OrchestratorConfig's top level
FLAT_SECTIONS: dict[str, type[SimulationConfig | EnvironmentConfig | ReputationConfig]] = {
    "simulation": SimulationConfig,
    "environment": EnvironmentConfig,
    "reputation": ReputationConfig,
}


def orchestrator_config(
    spec: ScenarioSpec, log_path: Path | None = None, log_format: str | None = None, **extra: Any
) -> OrchestratorConfig:
    """The engine's config for `spec`; `extra` sets further OrchestratorConfig fields (run options such as
    `llm_replay`)."""
    fields: dict[str, Any] = {"scenario_id": spec.scenario_id}
    for block, model in FLAT_SECTIONS.items():
        section = getattr(spec, block)
        fields.update({name: getattr(section, name) for name in model.model_fields})
    fields.update({engine_field: getattr(spec, block) for block, engine_field in SECTIONS.items()})
    fields["governance_config"] = spec.governance if enabled_levers(spec.governance) else None
    fields["metrics_to_track"] = list(spec.metrics_to_track)
    if (
        spec.success_criteria.min_net_social_welfare is not None
        and "net_social_welfare" not in fields["metrics_to_track"]
    ):  # the criterion's metric is measured only when asked for
        fields["metrics_to_track"].append("net_social_welfare")
    fields["enable_composite_tasks"] = (
        spec.governance.composite_tasks_enabled or spec.composite_tasks is not None
    )
    fields["limits"] = Limits.current().lowered(spec.limits.model_dump())
    fields.update(
        log_path=log_path,
        log_events=log_path is not None,
        log_format=log_format or spec.simulation.log_format,
    )
    fields.update(extra)
    return OrchestratorConfig(**fields)


def build_orchestrator(
    spec: ScenarioSpec, log_path: Path | None = None, log_format: str | None = None, **extra: Any
) -> Orchestrator:
    orch = Orchestrator(orchestrator_config(spec, log_path, log_format, **extra))
    for i, agent in enumerate(spec.agents):
        try:
            if agent.type == "llm":
                from distsafe.agents.llm import LLMAgent

                for k in range(agent.count):
                    orch.register_agent(LLMAgent(f"{agent.prefix()}_{k + 1}", agent.llm))
                    if agent.capabilities:
                        orch.register_agent_capabilities(
                            f"{agent.prefix()}_{k + 1}", list(agent.capabilities)
                        )
            else:
                orch.add_population(
                    agent.type,
                    agent.count,
                    prefix=agent.prefix(),
                    params=agent.params,
                    roles=agent.all_roles(),
                    capabilities=[c.value for c in agent.capabilities],
                )
        except ValidationError as e:
            first = e.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            block = "llm" if agent.type == "llm" else "params"
            raise ScenarioError(f"agents.{i}.{block}.{field}: {first['msg']}") from None
        except (ValueError, TypeError) as e:
            raise ScenarioError(f"agents.{i}: {str(e).splitlines()[0]}") from None
    return orch


def load_and_build(
    path: str | Path, overrides: list[str] | None = None, log_path: Path | None = None, **extra: Any
) -> Orchestrator:
    """The seed's one-liner: `load_and_build(Path("scenarios/status_game.yaml")).run()`."""
    return build_orchestrator(load_scenario(path, overrides), log_path=log_path, **extra)
