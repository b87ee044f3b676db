"""Benchmark of the Sybil detector (`models.identity.sybil_cluster_labels`, what the Sybil lever and the
identity component run) at 10^4 and 10^5 agents.

    python bench/bench_sybil.py                      # 10^4 and 10^5 agents, median of 3 runs
    python bench/bench_sybil.py --n 100000 --runs 5 --threshold 0.8

Patterns: each agent interacts `--degree` times with counterparties drawn with a popularity skew (Zipf-like
weights 1 / rank^0.5, as reputable agents attract more partners), each interaction counted for both sides
(as the lever records them); 1% of the agents, drawn among the least popular 4% (new identities attract few
partners), are Sybil identities in entities of 5 that each hit the same 3 victims and each other
(`agents.sybil`'s behaviour) and do nothing else; no honest agent seeks them out. Prints per size and
threshold: candidate pairs scored, median wall and CPU time, peak traced memory (tracemalloc: numpy's and
scipy's buffers), clusters found, precision and recall against the planted entities.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import tracemalloc

import numpy as np
from scipy import sparse

from distsafe.models.identity import _candidates, sybil_cluster_labels


def patterns(n: int, degree: int, seed: int) -> tuple[sparse.csr_matrix, np.ndarray]:
    """(agents x agents count matrix, entity of each agent: -1 honest, else its Sybil entity)."""
    rng = np.random.default_rng(seed)
    w = 1.0 / np.sqrt(np.arange(1, n + 1))
    w /= w.sum()
    a = np.repeat(np.arange(n), degree)
    b = rng.choice(n, size=a.shape[0], p=w)
    entity = np.full(n, -1, dtype=np.int64)
    n_sybil = (n // 100) // 5 * 5
    # the Sybils are among the least popular agents (new identities with no reputation attract few partners)
    tail = np.arange(n - max(4 * n_sybil, n_sybil), n)
    sybil_rows = rng.choice(tail, size=n_sybil, replace=False)
    entity[sybil_rows] = np.repeat(np.arange(n_sybil // 5), 5)
    extra_a, extra_b = [], []
    for e in range(n_sybil // 5):
        members = sybil_rows[e * 5 : (e + 1) * 5]
        victims = rng.choice(n, size=3, replace=False)
        for m in members:
            for v in victims:
                extra_a += [m] * 3
                extra_b += [v] * 3
            for o in members[members != m]:
                extra_a.append(m)
                extra_b.append(o)
    # a Sybil identity does only its entity's work, and nobody else seeks it out (the engine's agents pick
    # the most reputable of their candidates; a Sybil's reputation stays low): no background interaction
    # starts at or goes to a Sybil
    keep = (entity[a] < 0) & (entity[b] < 0)
    a = np.concatenate([a[keep], np.array(extra_a, dtype=np.int64)])
    b = np.concatenate([b[keep], np.array(extra_b, dtype=np.int64)])
    ok = a != b
    a, b = a[ok], b[ok]
    m = sparse.coo_matrix(
        (np.ones(2 * a.shape[0]), (np.concatenate([a, b]), np.concatenate([b, a]))), shape=(n, n)
    )
    return m.tocsr(), entity


def bench(n: int, degree: int, threshold: float, runs: int, seed: int) -> dict[str, float]:
    x, entity = patterns(n, degree, seed)
    binary = x.copy()
    binary.data[:] = 1.0
    ci, _ = _candidates(binary, max(2.0 * threshold - 1.0, 0.0))
    wall, cpu = [], []
    labels = np.zeros(0, dtype=np.int64)
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        labels = sybil_cluster_labels(x, threshold)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    tracemalloc.start()
    sybil_cluster_labels(x, threshold)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    flagged, truth = labels >= 0, entity >= 0
    tp = float(np.count_nonzero(flagged & truth))
    return {
        "agents": float(n), "nnz": float(x.nnz), "candidate_pairs": float(ci.shape[0]),
        "wall_s": statistics.median(wall), "cpu_s": statistics.median(cpu), "peak_mib": peak / 2**20,
        "clusters": float(labels.max() + 1), "precision": tp / max(float(flagged.sum()), 1.0),
        "recall": tp / max(float(truth.sum()), 1.0),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> list[dict[str, float]]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--degree", type=int, default=20, help="interactions each agent starts")
    ap.add_argument("--threshold", type=float, nargs="+", default=[0.8, 0.6])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}; degree {args.degree}")  # fmt: skip
    out = []
    for n in args.n:
        for t in args.threshold:
            r = bench(n, args.degree, t, args.runs, args.seed)
            out.append(r)
            print(
                f"{int(r['agents']):>8} agents  t={t}  {int(r['nnz']):>9} pattern entries  "
                f"{int(r['candidate_pairs']):>9} candidate pairs  median {r['wall_s']:.2f} s wall "
                f"{r['cpu_s']:.2f} s CPU  peak {r['peak_mib']:.0f} MiB  {int(r['clusters'])} clusters  "
                f"precision {r['precision']:.3f} recall {r['recall']:.3f}"
            )
    return out


if __name__ == "__main__":
    main()
