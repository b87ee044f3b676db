"""Seed 001's parameter sweep example: transaction tax x circuit breaker over the baseline scenario.

    python examples/parameter_sweep.py                           # results.csv in the current folder
    python examples/parameter_sweep.py --output my_results.csv

The seed's API (`from distsafe.analysis import SweepConfig, SweepParameter, SweepRunner`), run in this
process; `--workers N` runs on a local process pool instead, `--epochs` shortens the runs. Prints the mean
and 95% t interval of toxicity and welfare per configuration. `distsafe sweep` (docs/experiments.md) is
the same sweep from a YAML spec, resumable, on a process pool, Dask or Ray.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from distsafe.analysis import SweepConfig, SweepParameter, SweepRunner
from distsafe.scenarios import ScenarioError, load_scenario


def main() -> int:
    ap = argparse.ArgumentParser(description="Seed 001's parameter sweep over the baseline scenario.")
    ap.add_argument("--output", type=Path, default=Path("results.csv"), help="CSV, one row per run")
    ap.add_argument("--scenario", type=Path, default=Path("scenarios/baseline.yaml"))
    ap.add_argument("--runs", type=int, default=3, help="runs per configuration")
    ap.add_argument("--epochs", type=int, help="shorter runs (simulation.n_epochs)")
    ap.add_argument("--workers", type=int, default=1, help="> 1: a local process pool")
    args = ap.parse_args()
    try:
        overrides = [f"simulation.n_epochs={args.epochs}"] if args.epochs else []
        scenario = load_scenario(args.scenario, overrides)
        config = SweepConfig(
            base_scenario=scenario,
            parameters=[
                SweepParameter(name="governance.transaction_tax_rate", values=[0.0, 0.05, 0.10, 0.15]),
                SweepParameter(name="governance.circuit_breaker_enabled", values=[False, True]),
            ],
            runs_per_config=args.runs,
            seed_base=42,
        )
        executor = "local" if args.workers > 1 else "inline"
        runner = SweepRunner(config, executor=executor, workers=args.workers)
    except (ScenarioError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{config.total_runs()} runs ({executor})...", file=sys.stderr)
    results = runner.run()
    for run_id, error in runner.failures.items():
        print(f"failed: {run_id}: {error}", file=sys.stderr)
    runner.to_csv(args.output)
    print(f"{len(results)} runs -> {args.output}")
    print(f"{'tax':>5} {'breaker':>7} {'n':>2}  {'toxicity [95% CI]':>26}  {'welfare/epoch [95% CI]':>26}")
    for row in runner.summary():
        t, w = "avg_toxicity", "welfare_money_per_epoch"
        tox = f"{row[t + '_mean']:.3f} [{row[t + '_ci_low']:.3f}, {row[t + '_ci_high']:.3f}]"
        wel = f"{row[w + '_mean']:.2f} [{row[w + '_ci_low']:.2f}, {row[w + '_ci_high']:.2f}]"
        tax, breaker = row["governance.transaction_tax_rate"], row["governance.circuit_breaker_enabled"]
        print(f"{tax:>5.2f} {breaker!s:>7} {row['n_runs']:>2}  {tox:>26}  {wel:>26}")
    return 0 if not runner.failures else 1


if __name__ == "__main__":
    sys.exit(main())
