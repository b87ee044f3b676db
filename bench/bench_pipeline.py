"""Soft-label pipeline throughput on one core: proxy (observables -> v_hat -> p), payoffs, epoch metrics.

    python bench/bench_pipeline.py                     # 2 million interactions, median of 5 runs
    python bench/bench_pipeline.py --n 10000000 --runs 3

Columns come from `distsafe.testing.generate_batch_columns` (not timed). Each stage is timed alone and
the three together (`ProxyComputer.compute_arrays` -> `SoftPayoffEngine.payoff_arrays` ->
`SoftMetrics.compute_epoch`), as the engine runs them on a step's interactions. The process is pinned
to one core and BLAS/OpenMP threads are set to 1 before numpy loads. Reports wall and process-CPU
medians; on a shared machine compare the CPU figures.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from distsafe.core.payoff import SoftPayoffEngine  # noqa: E402
from distsafe.core.proxy import ProxyComputer, ProxyConfig  # noqa: E402
from distsafe.metrics import SoftMetrics  # noqa: E402
from distsafe.testing import generate_batch_columns  # noqa: E402


def _median_times(fn, runs: int) -> tuple[float, float]:
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2_000_000, help="interactions per run")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--toxic-fraction", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    b = generate_batch_columns(args.n, args.toxic_fraction, args.seed)
    proxy = ProxyComputer.from_config(ProxyConfig())
    payoff = SoftPayoffEngine()
    metrics = SoftMetrics(payoff)

    def proxy_stage():
        return proxy.compute_arrays(
            b.task_progress_delta,
            b.rework_count,
            b.verifier_rejections,
            b.tool_misuse_flags,
            b.counterparty_engagement_delta,
        )

    def payoff_stage():
        return payoff.payoff_arrays(b.p, b.tau, b.c_a, b.c_b, b.r_a, b.r_b)

    def metrics_stage():
        return metrics.compute_epoch(b)

    def pipeline():
        b.v_hat, b.p = proxy_stage()
        pi_a, pi_b = payoff_stage()
        b.payoff_a = np.where(b.accepted, pi_a, 0.0)
        b.payoff_b = np.where(b.accepted, pi_b, 0.0)
        return metrics_stage()

    pipeline()  # warm up (and make the columns consistent)
    out: dict[str, dict[str, float]] = {}
    print(f"soft-label pipeline, n = {args.n:,} interactions, one core, median of {args.runs} runs")
    print(f"{'stage':<38}{'wall s':>9}{'cpu s':>9}{'interactions/s (cpu)':>24}")
    for name, fn in (
        ("proxy  ProxyComputer.compute_arrays", proxy_stage),
        ("payoff SoftPayoffEngine.payoff_arrays", payoff_stage),
        ("metrics SoftMetrics.compute_epoch", metrics_stage),
        ("all three (engine order)", pipeline),
    ):
        wall, cpu = _median_times(fn, args.runs)
        rate = args.n / max(cpu, 1e-9)
        out[name] = {"wall_s": wall, "cpu_s": cpu, "per_s_cpu": rate, "per_s_wall": args.n / max(wall, 1e-9)}
        print(f"{name:<38}{wall:>9.3f}{cpu:>9.3f}{rate:>24,.0f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"n": args.n, "runs": args.runs, "stages": out}, fh, indent=2)
    return out


if __name__ == "__main__":
    main()
