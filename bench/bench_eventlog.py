"""Throughput of the event log: write, verify, replay and columnar read, for JSONL and Parquet.

    python bench/bench_eventlog.py --n 1000000 --epochs 10 --agents 1000 [--formats jsonl parquet]

Interactions are synthetic but shaped like engine output: full-precision p, v_hat, tau, payoffs and
reputation terms, governance costs mostly zero, small integer counters. Figures are events per second
of wall time and, in brackets, per CPU second of this process (process_time: robust when other jobs share
the cores; pyarrow's own threads count too). The markdown table is printed to stdout.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time

import numpy as np

from distsafe.eventlog import EventLog, open_event_log, verify_chain
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import Event, EventType


def make_epoch(rng: np.random.Generator, n: int, epoch: int, n_agents: int) -> InteractionBatch:
    v_hat = np.tanh(rng.normal(size=n))
    p = 1.0 / (1.0 + np.exp(-2.0 * v_hat))
    tau = rng.normal(scale=0.5, size=n)
    c = np.where(rng.random(n) < 0.1, 0.05 * np.abs(tau), 0.0)
    r_a, r_b = rng.normal(scale=0.1, size=n), rng.normal(scale=0.1, size=n)
    return InteractionBatch.from_columns(
        epoch=np.full(n, epoch),
        step=np.sort(rng.integers(0, 100, n)),
        initiator=rng.integers(0, n_agents, n),
        counterparty=rng.integers(0, n_agents, n),
        itype=rng.integers(0, 4, n),
        accepted=rng.random(n) < 0.7,
        v=np.where(rng.random(n) < p, 1, -1),
        task_progress_delta=rng.random(n),
        rework_count=rng.poisson(0.3, n),
        verifier_rejections=rng.poisson(0.1, n),
        tool_misuse_flags=rng.poisson(0.05, n),
        counterparty_engagement_delta=rng.normal(size=n),
        v_hat=v_hat,
        p=p,
        tau=tau,
        c_a=c,
        c_b=c,
        r_a=r_a,
        r_b=r_b,
        payoff_a=p * 1.0 - (1 - p) * 0.5 - tau - c + r_a,
        payoff_b=p * 1.0 - (1 - p) * 0.5 + tau - c + r_b,
    )


def size_of(path: str) -> int:
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))
    return os.path.getsize(path)


def run(fmt: str, batches: list[InteractionBatch], ids: list[str], workdir: str) -> dict[str, float]:
    path = os.path.join(workdir, "bench.jsonl" if fmt == "jsonl" else "bench.parquet.d")
    n = sum(len(b) for b in batches)
    t0, c0 = time.perf_counter(), time.process_time()
    with open_event_log(
        path, "w", fmt=fmt, header={"scenario": "bench", "seed": 0}, flush_every=10_000
    ) as log:
        log.append(Event(event_type=EventType.SIMULATION_STARTED))
        for e, b in enumerate(batches):
            log.append(Event(event_type=EventType.EPOCH_STARTED, epoch=e))
            log.append_interactions(b, ids, timestamp=float(e))
            log.append(Event(event_type=EventType.EPOCH_COMPLETED, epoch=e))
        log.append(Event(event_type=EventType.SIMULATION_ENDED))
    t_write, c_write = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    status = verify_chain(path)
    t_verify, c_verify = time.perf_counter() - t0, time.process_time() - c0
    assert status.complete and status.n_events == n + 2 * len(batches) + 2, status
    t0, c0 = time.perf_counter(), time.process_time()
    n_replayed = sum(1 for _ in EventLog(path).replay())
    t_replay, c_replay = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    n_rows = sum(len(b) for b, _ in EventLog(path).interaction_batches())
    t_batches, c_batches = time.perf_counter() - t0, time.process_time() - c0
    assert n_replayed == status.n_events and n_rows == n
    out = {
        "write": (n / t_write, n / c_write),
        "verify": (n / t_verify, n / c_verify),
        "replay": (n / t_replay, n / c_replay),
        "batches": (n / t_batches, n / c_batches),
        "bytes_per_event": size_of(path) / n,
    }
    if os.path.isdir(path):
        shutil.rmtree(path)
    else:
        os.remove(path)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="interactions in total")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--agents", type=int, default=1000)
    ap.add_argument("--formats", nargs="+", default=["jsonl", "parquet"])
    ap.add_argument("--dir", default=None, help="scratch directory (default: a temp dir)")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    per = args.n // args.epochs
    batches = [make_epoch(rng, per, e, args.agents) for e in range(args.epochs)]
    ids = [f"agent_{i:05d}" for i in range(args.agents)]
    workdir = tempfile.mkdtemp(dir=args.dir)
    try:
        print(
            f"{per * args.epochs} interactions, {args.epochs} epochs, {args.agents} agents; "
            f"Python {platform.python_version()}, {os.cpu_count()} cpus\n"
        )
        print(
            "| format | write ev/s | verify ev/s | replay (Event objects) ev/s "
            "| interaction_batches rows/s | bytes/event |"
        )
        print("|---|---|---|---|---|---|")
        for fmt in args.formats:
            r = run(fmt, batches, ids, workdir)
            cells = " | ".join(
                f"{r[k][0]:,.0f} ({r[k][1]:,.0f})" for k in ("write", "verify", "replay", "batches")
            )
            print(f"| {fmt} | {cells} | {r['bytes_per_event']:.0f} |", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
