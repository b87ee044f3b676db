"""Core engine benchmark: distsafe vs the public reference implementation (swarm-safety 1.9.0).

    python bench/bench_core.py                                   # N = 5 50 500 5000, reference auto-detected
    python bench/bench_core.py --reference-python /tmp/refenv/bin/python --json bench/core_results.json
    python bench/bench_core.py --sizes 5 50 500 5000 50000 --reference-sizes 5 50 500 --timeout 2400

Scenario shape (the seeds' shape): 40% honest, 20% opportunistic, 20% deceptive, 20% adversarial
(the remainder of N // 5 goes to honest), every agent acting every step, 10 epochs x 10 steps, seed 1,
default payoff / no governance in both engines.

Every measurement runs in a fresh subprocess (this file re-invoked with ``--child``), so the peak
RSS (``getrusage(RUSAGE_SELF).ru_maxrss``) is that run's alone. The timed region is building the
orchestrator + registering the agents + ``run()``; interpreter start and imports are not timed.
Wall and process-CPU seconds are both recorded (CPU time is the robust one on a shared machine).

Reference: ``swarm-safety==1.9.0`` installs the package ``swarm``. Install it in a separate venv
(``python -m venv /tmp/refenv && /tmp/refenv/bin/pip install swarm-safety==1.9.0``) and pass
``--reference-python /tmp/refenv/bin/python``, or let the script find ``swarm`` in this interpreter
or in /tmp/refenv. The reference caps the agents acting per step at ``max_actions_per_step``
(default 20); it is set to N so every reference agent gets its turn every step, as in ours.
Its interactions are its EpochMetrics.total_interactions (completed interactions, accepted or
not, cleared every epoch), summed over epochs; ours are EpochMetrics.n_interactions summed.
Nothing is extrapolated: a reference run that exceeds ``--timeout`` is reported as "timeout".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

N_EPOCHS = 10
STEPS_PER_EPOCH = 10
TYPES = ("honest", "opportunistic", "deceptive", "adversarial")


def population(n: int) -> dict[str, int]:
    """40% honest, 20% each other type; the rounding remainder goes to honest."""
    k = n // 5
    return {"honest": n - 3 * k, "opportunistic": k, "deceptive": k, "adversarial": k}


# --------------------------------------------------------------------------- child side (stdlib only:
# the reference venv has neither rich nor distsafe)


def _peak_mb() -> float:
    import resource

    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kb / 1024.0 if sys.platform != "darwin" else kb / 1024.0 / 1024.0


def _child_ours(n: int, seed: int) -> dict:
    from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig

    pop = population(n)
    t0, c0 = time.perf_counter(), time.process_time()
    o = Orchestrator(OrchestratorConfig(n_epochs=N_EPOCHS, steps_per_epoch=STEPS_PER_EPOCH, seed=seed))
    for kind in TYPES:
        if pop[kind]:
            o.add_population(kind, pop[kind])
    t1 = time.perf_counter()
    ms = o.run()
    t2, c2 = time.perf_counter(), time.process_time()
    return {
        "interactions": int(sum(m.n_interactions for m in ms)),
        "epochs": len(ms),
        "seconds": t2 - t0,
        "run_seconds": t2 - t1,
        "cpu_seconds": c2 - c0,
    }


def _child_reference(n: int, seed: int) -> dict:
    from swarm.agents.adversarial import AdversarialAgent
    from swarm.agents.deceptive import DeceptiveAgent
    from swarm.agents.honest import HonestAgent
    from swarm.agents.opportunistic import OpportunisticAgent
    from swarm.core.orchestrator import Orchestrator, OrchestratorConfig

    classes = {
        "honest": HonestAgent,
        "opportunistic": OpportunisticAgent,
        "deceptive": DeceptiveAgent,
        "adversarial": AdversarialAgent,
    }
    pop = population(n)
    t0, c0 = time.perf_counter(), time.process_time()
    o = Orchestrator(
        OrchestratorConfig(
            n_epochs=N_EPOCHS,
            steps_per_epoch=STEPS_PER_EPOCH,
            seed=seed,
            max_actions_per_step=max(n, 1),  # every agent acts every step (default cap is 20)
        )
    )
    for kind in TYPES:
        for i in range(pop[kind]):
            o.register_agent(classes[kind](agent_id=f"{kind}_{i + 1}"))
    t1 = time.perf_counter()
    ms = o.run()
    t2, c2 = time.perf_counter(), time.process_time()
    return {
        "interactions": int(sum(m.total_interactions for m in ms)),
        "epochs": len(ms),
        "seconds": t2 - t0,
        "run_seconds": t2 - t1,
        "cpu_seconds": c2 - c0,
    }


def child_main(engine: str, n: int, seed: int) -> None:
    res = _child_ours(n, seed) if engine == "ours" else _child_reference(n, seed)
    res["peak_mb"] = _peak_mb()
    res["n"] = n
    print("BENCH_RESULT " + json.dumps(res), flush=True)


# --------------------------------------------------------------------------- parent side


def run_child(python: str, engine: str, n: int, seed: int, timeout: float | None) -> dict:
    cmd = [python, os.path.abspath(__file__), "--child", engine, str(n), "--seed", str(seed)]
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "timeout_s": timeout}
    for line in p.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            d = json.loads(line[len("BENCH_RESULT ") :])
            d["status"] = "ok"
            return d
    return {"status": "error", "returncode": p.returncode, "stderr_tail": p.stderr[-2000:]}


def detect_reference(explicit: str | None) -> tuple[str | None, str | None]:
    """(python executable, swarm-safety version) of an interpreter that can import `swarm`."""
    candidates = [explicit] if explicit else [sys.executable, "/tmp/refenv/bin/python"]
    probe = "import importlib.metadata as m, swarm.core.orchestrator; print(m.version('swarm-safety'))"
    for py in candidates:
        if not py or not os.path.exists(py):
            continue
        try:
            p = subprocess.run([py, "-c", probe], capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if p.returncode == 0:
            return py, p.stdout.strip()
    return None, None


def summarise_ours(runs: list[dict]) -> dict:
    ok = [r for r in runs if r.get("status") == "ok"]
    if not ok:
        return {"status": runs[-1].get("status", "error"), "runs": runs}
    med = lambda key: statistics.median(r[key] for r in ok)  # noqa: E731
    return {
        "status": "ok",
        "repeats": len(ok),
        "interactions": ok[0]["interactions"],
        "seconds": med("seconds"),
        "run_seconds": med("run_seconds"),
        "cpu_seconds": med("cpu_seconds"),
        "peak_mb": med("peak_mb"),
        "all_seconds": [r["seconds"] for r in ok],
    }


def add_rates(d: dict) -> dict:
    if d.get("status") == "ok":
        d["interactions_per_s"] = d["interactions"] / d["seconds"] if d["seconds"] > 0 else float("inf")
        d["per_step_ms"] = 1000.0 * d["run_seconds"] / (N_EPOCHS * STEPS_PER_EPOCH)
    return d


def growth(rows: list[dict], engine: str) -> list[dict]:
    """Per-step cost growth between consecutive sizes, expressed per 10x N (1 decade)."""
    import math

    out = []
    ok = [r for r in rows if r[engine] and r[engine].get("status") == "ok"]
    for a, b in zip(ok, ok[1:]):
        ta, tb = a[engine]["per_step_ms"], b[engine]["per_step_ms"]
        decades = math.log10(b["n"] / a["n"])
        ratio = tb / ta
        out.append(
            {
                "from_n": a["n"],
                "to_n": b["n"],
                "per_step_ratio": ratio,
                "per_step_ratio_per_10x": ratio ** (1.0 / decades) if decades else float("nan"),
                # exponent k in cost ~ N^k (1 = linear, 2 = quadratic)
                "exponent": math.log(ratio) / math.log(b["n"] / a["n"]),
            }
        )
    return out


def fmt(x, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def print_report(result: dict) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # plain fallback
        print(json.dumps(result, indent=2))
        return
    con = Console(width=max(Console().width, 170))
    ref_label = (
        f"reference swarm-safety {result['reference_version']}"
        if result["reference_version"]
        else "reference (not installed)"
    )
    t = Table(
        title=f"distsafe core vs {ref_label}: {N_EPOCHS} epochs x {STEPS_PER_EPOCH} steps, "
        "40/20/20/20, every agent acting"
    )
    for col in (
        "N",
        "ours s",
        "ours inter/s",
        "ours peak MB",
        "ours ms/step",
        "ref s",
        "ref inter/s",
        "ref peak MB",
        "ref ms/step",
        "ratio (ref s / ours s)",
    ):
        t.add_column(col, justify="right")
    for r in result["rows"]:
        o, f = r["ours"], r["reference"]
        oc = (
            [
                fmt(o["seconds"], ".3f"),
                fmt(o["interactions_per_s"], ",.0f"),
                fmt(o["peak_mb"], ".1f"),
                fmt(o["per_step_ms"], ".2f"),
            ]
            if o.get("status") == "ok"
            else [o.get("status", "-")] + ["-"] * 3
        )
        if f is None:
            fc = ["not run"] + ["-"] * 3
        elif f.get("status") == "ok":
            fc = [
                fmt(f["seconds"], ".2f"),
                fmt(f["interactions_per_s"], ",.1f"),
                fmt(f["peak_mb"], ".1f"),
                fmt(f["per_step_ms"], ".1f"),
            ]
        else:
            fc = [f.get("status", "error")] + ["-"] * 3
        ratio = (fmt(r["ratio"], ",.0f" if r["ratio"] >= 10 else ".2f") + "x") if r.get("ratio") else "-"
        t.add_row(str(r["n"]), *oc, *fc, ratio)
    con.print(t)
    for eng in ("ours", "reference"):
        g = result["growth"][eng]
        if not g:
            continue
        gt = Table(title=f"per-step cost growth, {eng}")
        for col in ("N from -> to", "per-step time ratio", "per 10x N", "exponent k (cost ~ N^k)"):
            gt.add_column(col, justify="right")
        for x in g:
            gt.add_row(
                f"{x['from_n']} -> {x['to_n']}",
                f"{x['per_step_ratio']:.2f}",
                f"{x['per_step_ratio_per_10x']:.2f}",
                f"{x['exponent']:.2f}",
            )
        con.print(gt)
    for r in result["rows"]:
        o, f = r["ours"], r["reference"]
        if f and f.get("status") == "ok" and o.get("status") == "ok":
            con.print(
                f"N={r['n']}: interactions ours {o['interactions']:,} vs reference {f['interactions']:,}; "
                f"interactions/s ratio {o['interactions_per_s'] / f['interactions_per_s']:,.1f}x; "
                f"CPU-time ratio {f['cpu_seconds'] / o['cpu_seconds']:,.1f}x"
            )


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[5, 50, 500, 5000])
    ap.add_argument("--reference-sizes", type=int, nargs="*", default=[5, 50, 500])
    ap.add_argument(
        "--reference-python",
        default=None,
        help="interpreter with swarm-safety installed "
        "(default: this one if `swarm` imports, else /tmp/refenv)",
    )
    ap.add_argument("--no-reference", action="store_true")
    ap.add_argument(
        "--timeout", type=float, default=900.0, help="per-size timeout for each reference run (s)"
    )
    ap.add_argument("--repeats", type=int, default=3, help="runs of ours per size (median reported)")
    ap.add_argument("--reference-repeats", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", default=None, help="write the results as JSON to this path")
    ap.add_argument("--child", nargs=2, metavar=("ENGINE", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        child_main(args.child[0], int(args.child[1]), args.seed)
        return {}

    ref_py, ref_ver = (None, None) if args.no_reference else detect_reference(args.reference_python)
    if not args.no_reference and ref_py is None:
        print("reference (swarm-safety) not importable: running ours only", file=sys.stderr)

    sizes = sorted(set(args.sizes) | (set(args.reference_sizes) if ref_py else set()))
    rows = []
    for n in sizes:
        ours = None
        if n in args.sizes:
            runs = [run_child(sys.executable, "ours", n, args.seed, None) for _ in range(args.repeats)]
            ours = add_rates(summarise_ours(runs))
            print(f"ours N={n}: {ours.get('seconds', ours.get('status'))}", file=sys.stderr, flush=True)
        ref = None
        if ref_py and n in args.reference_sizes:
            rruns = [
                run_child(ref_py, "reference", n, args.seed, args.timeout)
                for _ in range(args.reference_repeats)
            ]
            ref = add_rates(summarise_ours(rruns)) if all(r["status"] == "ok" for r in rruns) else rruns[-1]
            print(f"reference N={n}: {ref.get('seconds', ref.get('status'))}", file=sys.stderr, flush=True)
        row = {"n": n, "population": population(n), "ours": ours or {"status": "not run"}, "reference": ref}
        if ours and ref and ours.get("status") == "ok" and ref.get("status") == "ok":
            row["ratio"] = ref["seconds"] / ours["seconds"]
            row["interactions_per_s_ratio"] = ours["interactions_per_s"] / ref["interactions_per_s"]
            row["cpu_ratio"] = ref["cpu_seconds"] / ours["cpu_seconds"]
        rows.append(row)

    result = {
        "shape": {
            "n_epochs": N_EPOCHS,
            "steps_per_epoch": STEPS_PER_EPOCH,
            "seed": args.seed,
            "mix": "40% honest / 20% opportunistic / 20% deceptive / 20% adversarial",
            "every_agent_acts": True,
        },
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
        },
        "reference_python": ref_py,
        "reference_version": ref_ver,
        "timeout_s": args.timeout,
        "repeats": args.repeats,
        "rows": rows,
        "growth": {
            "ours": growth([r for r in rows if r["ours"].get("status") == "ok"], "ours"),
            "reference": growth([r for r in rows if r["reference"]], "reference"),
        },
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    print_report(result)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)
        print(f"wrote {args.json}", file=sys.stderr)
    return result


if __name__ == "__main__":
    main()
