"""Benchmark of `SoftMetrics.compute_epoch` / `compute_all` over generated interactions.

    python bench/bench_metrics.py                 # 10 million interactions, median of 5 runs
    python bench/bench_metrics.py --n 1000000 --runs 3

Prints the generation time, then per bundle the median / min wall time and interactions per second.
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


def _time(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000_000, help="number of interactions")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per bundle (median reported)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cpus, "
          f"load {os.getloadavg()[0]:.2f}")
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
        "compute_all+types": lambda: m.compute_all(batch, agent_types=agent_types,
                                                   reputations=np.arange(1000.0)),
    }
    for name, fn in bundles.items():
        fn()  # warm-up
        times = _time(fn, args.runs)
        med = statistics.median(times)
        results[name] = med
        print(f"{name:<18} median {med * 1e3:8.1f} ms  min {min(times) * 1e3:8.1f} ms  "
              f"{args.n / med / 1e6:8.1f} M interactions/s")
    return results


if __name__ == "__main__":
    main()
