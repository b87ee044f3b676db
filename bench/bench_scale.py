"""Population scaling: wall time, interactions/s and peak memory of the engine at N scripted agents.

    python bench/bench_scale.py                                   # N = 10^3 .. 10^6, 10 epochs x 10 steps
    python bench/bench_scale.py --sizes 1000,10000,100000 --governance off --out /tmp/scale.png
    python bench/bench_scale.py --sizes 1000,10000,100000 --governance off --social on   # network + collusion

Each (N, governance) point runs in a fresh subprocess, so its peak RSS (`ru_maxrss`) is its own. The
population is 40% honest, 20% opportunistic, 20% deceptive, 20% adversarial, built as four vectorized
groups (`Orchestrator.add_population`). Governance "on" enables every lever of `GovernanceConfig`: tax,
reputation decay, vote normalization, bandwidth cap, staking, circuit breaker, random audits. No event
log (see bench_eventlog.py for log throughput). Prints wall and CPU seconds (on a shared machine CPU is
the figure to compare), interactions/s, peak RSS and the time ratio between successive sizes, and
draws the scaling curves to a PNG.

`--social on` adds seed 001's social structure: a small-world network (k=4, p=0.1, dynamic edges: partners
drawn among neighbours, non-neighbour proposals rejected, decay and pruning, the network metrics each epoch
with the path length from 64 sampled sources) and collusion detection (pair statistics every step, scoring
and penalties at each epoch's end), with a planted ring of 10 colluders.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

MIX = (("honest", 0.4), ("opportunistic", 0.2), ("deceptive", 0.2), ("adversarial", 0.2))


def all_levers():
    from distsafe.governance import GovernanceConfig

    return GovernanceConfig(
        transaction_tax_rate=0.05,
        reputation_decay_rate=0.95,
        vote_normalization_enabled=True,
        bandwidth_cap=8,
        staking_enabled=True,
        min_stake_to_participate=50.0,
        circuit_breaker_enabled=True,
        audit_enabled=True,
        audit_probability=0.1,
    )


def child(n: int, gov: bool, epochs: int, steps: int, seed: int, social: bool = False) -> dict:
    """One run in this process; returns its figures."""
    from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
    from distsafe.env.network import NetworkConfig
    from distsafe.governance import GovernanceConfig

    t0 = time.perf_counter()
    levers = all_levers() if gov else None
    network = None
    if social:
        levers = (levers or GovernanceConfig()).model_copy(update={"collusion_detection_enabled": True})
        network = NetworkConfig(topology="small_world", k_neighbors=4, rewire_probability=0.1, dynamic=True)
    o = Orchestrator(
        OrchestratorConfig(
            n_epochs=epochs,
            steps_per_epoch=steps,
            seed=seed,
            governance_config=levers,
            network_config=network,
        )
    )
    for kind, share in MIX:
        o.add_population(
            kind, max(1, int(round(n * share))) - (10 if social and kind == "adversarial" else 0)
        )
    if social:
        o.add_population(
            "adversarial", 10, prefix="ring", params={"collusion_group": "r", "collusion_preference": 0.7}
        )
    build = time.perf_counter() - t0
    marks: list[tuple[int, float]] = []  # (epoch, CPU time) at each step's end
    o.on_step_end(lambda epoch, step, n: marks.append((epoch, time.process_time())))
    t1, c1 = time.perf_counter(), time.process_time()
    ms = o.run()
    # CPU time of steps 2.. of each epoch (a step's end to the next step's end in the same epoch): the
    # per-step cost without the epoch's start and end work (metrics, network decay, collusion scoring)
    step_cpu = sum(b[1] - a[1] for a, b in zip(marks, marks[1:]) if a[0] == b[0])
    timed_steps = sum(1 for a, b in zip(marks, marks[1:]) if a[0] == b[0])
    wall, cpu = time.perf_counter() - t1, time.process_time() - c1
    inter = int(sum(m.n_interactions for m in ms))
    return {
        "n": len(o.agents),
        "governance": gov,
        "social": social,
        "epochs": epochs,
        "steps": steps,
        "build_s": build,
        "wall_s": wall,
        "cpu_s": cpu,
        "interactions": inter,
        "per_s": inter / wall,
        "per_s_cpu": inter / cpu,
        "step_cpu_ms": 1000 * step_cpu / max(timed_steps, 1),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "agent_table_mb": o.agents.memory_bytes() / 2**20,
        "avg_toxicity": float(sum(m.toxicity_rate for m in ms) / len(ms)),
    }


def run_point(n: int, gov: bool, args, social: bool = False) -> dict:
    cmd = (
        [
            sys.executable,
            os.path.abspath(__file__),
            "--child",
            str(n),
            "--epochs",
            str(args.epochs),
            "--steps",
            str(args.steps),
            "--seed",
            str(args.seed),
        ]
        + (["--gov"] if gov else [])
        + (["--soc"] if social else [])
    )
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def plot(rows: list[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    for gov, soc, style in (
        (False, False, "o-"),
        (True, False, "s--"),
        (False, True, "^-."),
        (True, True, "v:"),
    ):
        pts = sorted((r for r in rows if r["governance"] == gov and r.get("social", False) == soc),
                     key=lambda r: r["n"])  # fmt: skip
        if not pts:
            continue
        label = ("all levers on" if gov else "governance off") + (" + network, collusion" if soc else "")
        ns = [r["n"] for r in pts]
        axes[0].loglog(ns, [r["wall_s"] for r in pts], style, label=f"{label}: wall")
        axes[0].loglog(ns, [r["cpu_s"] for r in pts], style, alpha=0.5, label=f"{label}: CPU")
        axes[1].semilogx(ns, [r["per_s_cpu"] / 1e3 for r in pts], style, label=label)
        axes[2].loglog(ns, [r["peak_rss_mb"] for r in pts], style, label=label)
    ref = sorted(rows, key=lambda r: r["n"])
    if ref:
        n0, t0 = ref[0]["n"], ref[0]["cpu_s"]
        big = ref[-1]["n"]
        axes[0].loglog([n0, big], [t0, t0 * big / n0], ":", color="gray", label="linear in N")
    axes[0].set(xlabel="scripted agents N", ylabel="seconds (10 epochs x 10 steps)", title="run time")
    axes[1].set(xlabel="scripted agents N", ylabel="thousand interactions / CPU second", title="throughput")
    axes[2].axhline(8 * 1024, color="red", lw=0.8, ls=":", label="8 GiB target")
    axes[2].set(xlabel="scripted agents N", ylabel="peak RSS (MB)", title="peak memory")
    for ax in axes:
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("distsafe population scaling (40/20/20/20 scripted mix, vectorized groups)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000,1000000", help="comma-separated N")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--governance", choices=("off", "on", "both"), default="both")
    ap.add_argument(
        "--out",
        default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "scale.png"),
        help="PNG of the scaling curves",
    )
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--gov", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument(
        "--social",
        choices=("off", "on", "both"),
        default="off",
        help="network + collusion detection (seed 001's social structure)",
    )
    ap.add_argument("--soc", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.child, args.gov, args.epochs, args.steps, args.seed, args.soc)))
        return []

    sizes = [int(float(s)) for s in args.sizes.split(",")]
    govs = {"off": [False], "on": [True], "both": [False, True]}[args.governance]
    socials = {"off": [False], "on": [True], "both": [False, True]}[args.social]
    rows: list[dict] = []
    print(f"{args.epochs} epochs x {args.steps} steps, 40/20/20/20 scripted mix, seed {args.seed}")
    print(
        f"{'N':>9} {'levers':>6} {'social':>6} {'wall s':>8} {'cpu s':>8} {'x prev':>7} {'interactions':>13} "
        f"{'inter/s':>11} {'inter/cpu-s':>12} {'step cpu ms':>12} {'peak RSS MB':>12}"
    )
    for gov, soc in [(g, s) for g in govs for s in socials]:
        prev = None
        for n in sizes:
            r = run_point(n, gov, args, soc)
            rows.append(r)
            ratio = f"{r['cpu_s'] / prev['cpu_s']:.1f}" if prev else ""
            print(
                f"{r['n']:>9,} {'on' if gov else 'off':>6} {'on' if soc else 'off':>6} {r['wall_s']:>8.2f} "
                f"{r['cpu_s']:>8.2f} {ratio:>7} "
                f"{r['interactions']:>13,} {r['per_s']:>11,.0f} {r['per_s_cpu']:>12,.0f} "
                f"{r['step_cpu_ms']:>12,.1f} "
                f"{r['peak_rss_mb']:>12,.0f}",
                flush=True,
            )
            prev = r
    plot(rows, args.out)
    print(f"scaling curves: {args.out}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)
    return rows


if __name__ == "__main__":
    main()
