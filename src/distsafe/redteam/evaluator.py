"""`RedTeamEvaluator`: runs attacks against a governance configuration and measures the levers against
ground truth (`redteam.metrics`); `evaluate_scenario` does the same for a scenario over seeds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from distsafe.governance.config import GovernanceConfig
from distsafe.governance.registry import enabled_levers
from distsafe.redteam.attacks import AttackLibrary, AttackScenario
from distsafe.redteam.metrics import (
    ANY,
    EffectivenessReport,
    RunMeasure,
    RunWatcher,
    measure_run,
    summarize,
)
from distsafe.scenarios.builder import build_orchestrator
from distsafe.scenarios.spec import ScenarioSpec

#: lever name -> the detectors of `redteam.metrics.DETECTORS` it drives
_LEVER_DETECTORS = {
    "security": ("security", "security_quarantine"),
    "circuit_breaker": ("circuit_breaker",),
    "random_audit": ("random_audit",),
    "collusion_penalty": ("collusion",),
}


def run_measured(spec: ScenarioSpec) -> RunMeasure:
    """Run `spec` once, watching its events, and measure it."""
    orch = build_orchestrator(spec)
    watcher = RunWatcher(spec.n_agents, spec.simulation.n_epochs, spec.payoff.h)
    orch.event_log = watcher
    orch.run()
    a = orch.agents
    m = measure_run(spec.simulation.seed, list(a.ids), np.asarray(a.type_code), watcher)
    on = {d for lever in enabled_levers(spec.governance) for d in _LEVER_DETECTORS.get(lever, ())}
    sec_on = "security" in on
    m.detectors = {d: v for d, v in m.detectors.items() if d in on or d == ANY or (sec_on and ":" in d)}
    return m


def evaluate_scenario(
    spec: ScenarioSpec, n_seeds: int, on_run: Callable[[int], None] | None = None
) -> EffectivenessReport:
    """`spec` at seeds seed, seed + 1, ..., seed + n_seeds - 1; `on_run(i)` after each."""
    runs = []
    base = spec.simulation.seed
    for i in range(n_seeds):
        s = spec.model_copy(update={"simulation": spec.simulation.model_copy(update={"seed": base + i})})
        runs.append(run_measured(s))
        if on_run is not None:
            on_run(i)
    return summarize(spec.scenario_id, runs)


class RedTeamEvaluator:
    """Runs each attack of `attack_scenarios` among `n_honest` honest agents under `governance_config`."""

    def __init__(
        self,
        governance_config: dict[str, Any] | GovernanceConfig | None = None,
        attack_scenarios: list[AttackScenario] | None = None,
        n_honest: int = 8,
        n_epochs: int = 10,
        steps_per_epoch: int = 10,
        seed: int = 42,
    ) -> None:
        cfg = governance_config if governance_config is not None else {}
        self.governance = cfg if isinstance(cfg, GovernanceConfig) else GovernanceConfig(**cfg)
        self.attacks = attack_scenarios if attack_scenarios is not None else AttackLibrary.get_all_attacks()
        self.n_honest, self.n_epochs, self.steps, self.seed = n_honest, n_epochs, steps_per_epoch, seed

    def spec_for(self, attack: AttackScenario) -> ScenarioSpec:
        return ScenarioSpec.model_validate({
            "scenario_id": f"redteam_{attack.name}",
            "agents": [{"type": "honest", "count": self.n_honest}, attack.agent_block()],
            "governance": self.governance.model_dump(),
            "simulation": {"n_epochs": self.n_epochs, "steps_per_epoch": self.steps, "seed": self.seed},
        })  # fmt: skip

    def evaluate_attack(self, attack: AttackScenario) -> dict[str, Any]:
        m = run_measured(self.spec_for(attack))
        det = m.detectors[ANY]
        return {
            "attack": attack.name, "recall": det["recall"], "evasion_rate": m.evasion_rate,
            "damage": m.bad_actor_damage, "damage_before_detection": det["damage_before"],
            "detection_latency": det["latency"], "honest_fpr": det["honest_fpr"],
            # an attack succeeds when governance named fewer than half of its agents
            "successful": not (det["recall"] >= 0.5),
        }  # fmt: skip

    def quick_evaluate(self) -> dict[str, Any]:
        results = [self.evaluate_attack(a) for a in self.attacks]
        ev = [r["evasion_rate"] for r in results if r["evasion_rate"] == r["evasion_rate"]]
        return {
            "attacks_tested": len(results),
            "attacks_successful": sum(r["successful"] for r in results),
            "avg_evasion_rate": float(np.mean(ev)) if ev else float("nan"),
            "results": results,
        }
