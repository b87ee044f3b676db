"""Benchmark of the token economy: turns per second for N scripted agents.

End to end, as `distsafe economy run` does it: scripted strategies decide, every agent signs one Ed25519
bundle per turn, the turn goes through the FastAPI engine in process (httpx ASGI transport, no socket),
the engine verifies every signature, applies the rules and commits the turn to SQLite (WAL). Client and
engine share one process, so `cpu_s` (process CPU time) is the cost on an idle core; `run_s` is wall
time, which other load on the machine inflates.

    python bench/bench_economy.py                       # 8, 100 and 1000 agents x 50 turns
    python bench/bench_economy.py --agents 1000 --turns 50 --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from distsafe.economy.client import EconomyClient
from distsafe.economy.server import create_app
from distsafe.economy.strategies import assign_strategies
from distsafe.economy.turn_loop import TurnLoop


async def bench_one(n_agents: int, turns: int, seed: int, db: Path) -> dict:
    app = create_app(db, "bench")
    async with EconomyClient(app=app, admin_token="bench") as client:
        ids = [f"agent_{i}" for i in range(n_agents)]
        loop = TurnLoop(client, assign_strategies(ids, seed), seed=seed)
        t0 = time.perf_counter()
        await loop.setup(force=True)
        t1, c1 = time.perf_counter(), time.process_time()
        rep = await loop.run(turns)
        t2, c2 = time.perf_counter(), time.process_time()
    actions = rep.accepted + rep.rejected
    return {
        "agents": n_agents,
        "turns": turns,
        "init_s": round(t1 - t0, 3),
        "run_s": round(t2 - t1, 2),
        "turns_per_s": round(turns / (t2 - t1), 2),
        "cpu_s": round(c2 - c1, 2),
        "turns_per_cpu_s": round(turns / (c2 - c1), 2),
        "actions": actions,
        "actions_per_s": round(actions / (t2 - t1)),
        "invariant_ok": rep.supply["invariant_ok"],
        "db_mb": round(
            db.stat().st_size / 1e6
            + (Path(str(db) + "-wal").stat().st_size / 1e6 if Path(str(db) + "-wal").exists() else 0),
            1,
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, nargs="+", default=[8, 100, 1000])
    ap.add_argument("--turns", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.agents:
            row = asyncio.run(bench_one(n, args.turns, args.seed, Path(tmp) / f"bench_{n}.db"))
            rows.append(row)
            print(
                f"{n:5d} agents x {row['turns']} turns: wall {row['run_s']:7.2f} s "
                f"({row['turns_per_s']:.2f} turns/s)  cpu {row['cpu_s']:7.2f} s "
                f"({row['turns_per_cpu_s']:.2f} turns/cpu-s)  {row['actions']} actions"
                f"  invariant {'ok' if row['invariant_ok'] else 'BROKEN'}",
                flush=True,
            )
    meta = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(meta))
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "results": rows}, indent=2))


if __name__ == "__main__":
    main()
