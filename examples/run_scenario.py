"""Run a simulation from YAML (seed 000/001): python examples/run_scenario.py scenarios/baseline.yaml

The same as `distsafe run SCENARIO` without the run folder: prints per-epoch metrics and the success
criteria. Accepts --epochs, --seed and repeated --override a.b=value.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from distsafe.scenarios import ScenarioError, build_orchestrator, load_scenario


def main() -> int:
    ap = argparse.ArgumentParser(description="Run a distsafe scenario from YAML.")
    ap.add_argument("scenario", type=Path)
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--override", "-o", action="append", default=[])
    args = ap.parse_args()
    overrides = list(args.override)
    if args.epochs is not None:
        overrides.append(f"simulation.n_epochs={args.epochs}")
    if args.seed is not None:
        overrides.append(f"simulation.seed={args.seed}")
    try:
        spec = load_scenario(args.scenario, overrides)
        orchestrator = build_orchestrator(spec)
    except ScenarioError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{spec.scenario_id}: {spec.description} ({spec.n_agents} agents)")
    metrics = orchestrator.run()
    for m in metrics:
        print(
            f"Epoch {m.epoch:>3}: toxicity={m.toxicity_rate:.3f} quality_gap={m.quality_gap:+.3f} "
            f"welfare={m.total_welfare:8.2f} frozen={m.n_frozen}"
        )
    summary = orchestrator.summary()
    print(
        f"bad actor payoff: {summary['bad_actor_payoff']:+.2f}   avg toxicity: {summary['avg_toxicity']:.3f}"
    )
    for name, ok, detail in spec.success_criteria.evaluate(summary, [m.to_dict() for m in metrics]):
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
