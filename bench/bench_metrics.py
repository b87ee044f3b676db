"""Benchmark of `SoftMetrics.compute_epoch` / `compute_all` over generated interactions.

    python bench/bench_metrics.py                 # 10 million interactions, median of 5 runs
    python bench/bench_metrics.py --n 1000000 --runs 3

Prints the generation time, then per bundle the median (and min) wall time, the median process CPU
time, and interactions per second. numpy reductions here are single-threaded, so on an idle machine
wall ~= CPU time; on a shared machine the CPU figure is the one to compare.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

from distsafe.metrics import SoftMetrics
from distsafe.testing import generate_batch_columns


def _time(fn, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and process CPU seconds of each run (CPU time is robust to a shared machine)."""
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000_000, help="number of interactions")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per bundle (median reported)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cpus, "
        f"load {os.getloadavg()[0]:.2f}"
    )
    t0 = time.perf_counter()
    batch = generate_batch_columns(args.n, toxic_fraction=0.3, seed=args.seed, n_agents=1000)
    print(f"generate_batch_columns({args.n:,}): {time.perf_counter() - t0:.2f} s")

    m = SoftMetrics()
    agent_types = np.zeros(1000, dtype=np.int64)
    agent_types[700:] = 3
    results: dict[str, float] = {}
    bundles = {
        "compute_epoch": lambda: m.compute_epoch(batch),
        "compute_all": lambda: m.compute_all(batch),
        "compute_all+types": lambda: m.compute_all(
            batch, agent_types=agent_types, reputations=np.arange(1000.0)
        ),
    }
    for name, fn in bundles.items():
        fn()  # warm-up
        times, cpu = _time(fn, args.runs)
        med, med_cpu = statistics.median(times), statistics.median(cpu)
        results[name] = med
        results[name + ":cpu"] = med_cpu
        print(
            f"{name:<18} wall median {med * 1e3:7.1f} ms (min {min(times) * 1e3:7.1f})  "
            f"cpu median {med_cpu * 1e3:7.1f} ms  {args.n / med / 1e6:6.1f} M interactions/s wall, "
            f"{args.n / med_cpu / 1e6:6.1f} M/s cpu"
        )
    return results


if __name__ == "__main__":
    main()
