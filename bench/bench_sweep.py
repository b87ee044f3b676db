"""Sweep throughput: runs per second of a 12-configuration x 10-seed sweep at the baseline scenario's size
(5 agents, 20 epochs x 15 steps), by executor, and each executor's overhead per run against a plain loop.

    python bench/bench_sweep.py                       # loop, local 1 worker, local 2 workers, dask 2 workers
    python bench/bench_sweep.py --seeds 3 --modes loop local2 --json /tmp/sweep.json
    python bench/bench_sweep.py -o simulation.n_epochs=1 -o simulation.steps_per_epoch=1   # overhead alone

The sweep: transaction_tax_rate in {0, 0.05, 0.10, 0.15} x reputation_decay_rate in {1.0, 0.95, 0.85} on
the shipped baseline, seeds 0..9 (120 runs).

Modes
  loop     a plain Python loop in this process: load_scenario + build_orchestrator + run() for every run,
           nothing written (the floor)
  local1   `run_sweep` with the local process pool, 1 worker (shards written, as `distsafe sweep` does)
  local2   the same, 2 workers
  dask2    a Dask scheduler and 2 single-threaded workers started here as separate processes on
           127.0.0.1 (`python -m distributed.cli.dask_scheduler / dask_worker`), the sweep sent to them

For each mode: wall seconds, runs/s, and the overhead per run = wall x slots / runs - (the mean seconds a
run took inside its worker, from the shards): the time a worker slot spent on anything but the run
(spawn, transfer, scheduling, writing the shard, idle at the end). On a shared machine the wall times move
with the load; the in-worker seconds move with it too, which the overhead subtracts.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from distsafe.experiments import load_sweep_spec, make_executor, make_plan, run_sweep

SPEC = """\
name: bench_sweep
base: baseline
overrides: {overrides}
design: grid
seeds: {seeds}
seed_base: 0
parameters:
  - {{name: governance.transaction_tax_rate, values: [0.0, 0.05, 0.10, 0.15]}}
  - {{name: governance.reputation_decay_rate, values: [1.0, 0.95, 0.85]}}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _in_worker_seconds(out: Path) -> list[float]:
    return [
        json.loads(pq.read_schema(p).metadata[b"distsafe.run"])["seconds"]
        for p in (out / "runs").glob("*.parquet")
    ]


def bench_loop(plan) -> dict:
    from distsafe.scenarios import build_orchestrator, scenario_from_text

    per = []
    t0 = time.perf_counter()
    for task in plan.tasks():
        t = time.perf_counter()
        spec = scenario_from_text(
            task.scenario_text, task.scenario_source, [*task.overrides, f"simulation.seed={task.seed}"]
        )
        build_orchestrator(spec).run()
        per.append(time.perf_counter() - t)
    wall = time.perf_counter() - t0
    return {
        "wall_s": wall,
        "slots": 1,
        "run_s_mean": statistics.mean(per),
        "run_s_median": statistics.median(per),
    }


def bench_executor(plan, tmp: Path, name: str, workers: int, address: str | None = None) -> dict:
    out = tmp / f"{name}{workers}"
    t0 = time.perf_counter()
    rep = run_sweep(plan, out, make_executor(name, workers, address))
    wall = time.perf_counter() - t0
    secs = _in_worker_seconds(out)
    assert rep.done == len(secs) and rep.failed == 0, rep
    return {
        "wall_s": wall,
        "slots": workers,
        "run_s_mean": statistics.mean(secs),
        "run_s_median": statistics.median(secs),
    }


def bench_dask(plan, tmp: Path) -> dict:
    from dask.distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    kw = {
        "env": env,
        "cwd": tmp,
        "start_new_session": True,
        "stdout": subprocess.DEVNULL,
        "stderr": subprocess.DEVNULL,
    }
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--no-dashboard"], **kw)]  # fmt: skip
    try:
        for i in range(2):
            worker = [address, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"]
            cmd = [sys.executable, "-m", "distributed.cli.dask_worker", *worker, "--name", f"w{i}"]
            procs.append(subprocess.Popen(cmd, **kw))
        with Client(address, timeout="60s") as c:
            c.wait_for_workers(2, timeout=120)
        return bench_executor(plan, tmp, "dask", 2, address) | {"slots": 2}
    finally:
        _stop(procs)


def _stop(procs: list[subprocess.Popen]) -> None:
    """Workers first, then the scheduler (a worker whose scheduler is gone waits to reconnect)."""
    for p in reversed(procs):
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--modes", nargs="+", default=["loop", "local1", "local2", "dask2"])
    ap.add_argument("--json", type=Path)
    ap.add_argument(
        "--override", "-o", action="append", default=[],
        help="a.b=value on the base (e.g. simulation.n_epochs=1 to measure the executors' overhead alone)",
    )  # fmt: skip
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        (tmp / "spec.yaml").write_text(SPEC.format(seeds=args.seeds, overrides=json.dumps(args.override)))
        plan = make_plan(load_sweep_spec(tmp / "spec.yaml"))
        n = len(plan.tasks())
        results = {}
        for mode in args.modes:
            print(f"{mode}: {n} runs ...", file=sys.stderr, flush=True)
            if mode == "loop":
                r = bench_loop(plan)
            elif mode.startswith("local"):
                r = bench_executor(plan, tmp, "local", int(mode[5:]))
            elif mode == "dask2":
                r = bench_dask(plan, tmp)
            else:
                raise SystemExit(f"unknown mode {mode}")
            r["runs"] = n
            r["runs_per_s"] = n / r["wall_s"]
            r["overhead_per_run_s"] = r["wall_s"] * r["slots"] / n - r["run_s_mean"]
            results[mode] = r
            print(f"  {json.dumps({k: round(v, 4) for k, v in r.items()})}", file=sys.stderr, flush=True)
    load = os.getloadavg()
    size = f"baseline with {' '.join(args.override)}" if args.override else "baseline size"
    print(f"\n{n} runs (12 configurations x {args.seeds} seeds, {size}); load average {load[0]:.1f}, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    print("| mode | wall s | runs/s | mean run s (in worker) | median run s | overhead per run s |")
    print("|---|---|---|---|---|---|")
    for mode, r in results.items():
        cells = [f"{r['wall_s']:.1f}", f"{r['runs_per_s']:.2f}", f"{r['run_s_mean']:.3f}"]
        cells += [f"{r['run_s_median']:.3f}", f"{r['overhead_per_run_s']:+.3f}"]
        print(f"| {mode} | " + " | ".join(cells) + " |")
    if args.json:
        args.json.write_text(json.dumps({"load_average": load, "results": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
