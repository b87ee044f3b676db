"""The order book (env.hfn) at 10^4 and 10^5 agents: one order per agent per tick, every tick a batch
clearing. Run by hand (never a timed test):

    PYTHONPATH=src python bench/bench_hfn.py [--sizes 10000 100000] [--ticks 20] [--repeats 5]

Each agent holds 100 cash and 10 units; each tick every agent sends one order, a bid or an ask (half and
half) at a limit drawn around the last price (1 +- 5%), quantity 0.1..2; then the tick is processed with
`batch_interval_ticks=1` (so every tick clears the whole book). Each agent first cancels its previous
order, so the book holds at most one order per agent. Timed per tick: `cancel` + `submit_orders` (the
vectorized funds and rate-limit checks) and `process_tick` (sort, cumulative sums, fills, settlement,
reservations); medians over ticks and repeats (the first tick of each repeat is a warm-up, dropped).
Prints the machine's load average beside the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

from distsafe.env.hfn import HFNConfig, HFNEngine


def one(n: int, ticks: int, seed: int) -> tuple[list[float], list[float], list[int], int]:
    eng = HFNEngine(HFNConfig(batch_interval_ticks=1, open_accounts=False, halt_duration_ticks=1), seed=seed)
    eng.register_agents([f"a{k}" for k in range(n)], 100.0, 10.0)
    rng = np.random.default_rng(seed)
    agents = np.arange(n)
    sub, clr, fills = [], [], []
    for _ in range(ticks):
        side = np.where(rng.random(n) < 0.5, 1, -1)
        price = eng.market_price * (1 + rng.uniform(-0.05, 0.05, n))
        qty = np.round(rng.uniform(0.1, 2.0, n), 3)
        t0 = time.perf_counter()
        eng.cancel(agents)  # each agent replaces its previous order: the book holds at most n orders
        eng.submit_orders(agents, side, qty, price, rng.uniform(0, 5, n))
        t1 = time.perf_counter()
        eng.process_tick()
        t2 = time.perf_counter()
        sub.append(t1 - t0)
        clr.append(t2 - t1)
        fills.append(eng.last_fills.n)
    return sub[1:], clr[1:], fills[1:], eng.bids.n + eng.asks.n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--ticks", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    print("| agents (orders/tick) | cancel+submit ms | process_tick ms | total ms/tick | fills/tick |")
    print("|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        sub, clr, fills = [], [], []
        for r in range(args.repeats):
            s, c, f, _ = one(n, args.ticks, seed=r)
            sub += s
            clr += c
            fills += f
        tot = statistics.median(a + b for a, b in zip(sub, clr)) * 1e3
        med_s, med_c = statistics.median(sub) * 1e3, statistics.median(clr) * 1e3
        print(f"| {n:,} | {med_s:.1f} | {med_c:.1f} | {tot:.1f} | {statistics.median(fills):,.0f} |")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
