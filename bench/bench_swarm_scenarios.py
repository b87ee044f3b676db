"""The reference implementation's scenario files (swarm-safety 1.9.0) run here, and ten of them in both tools.

    python bench/bench_swarm_scenarios.py SCENARIOS_DIR --check [--json FILE]
    python bench/bench_swarm_scenarios.py SCENARIOS_DIR --bench --reference-python /tmp/swarmvenv/bin/python

SCENARIOS_DIR is the reference repository's `scenarios/` folder (read in place, nothing is copied). The
files selected are those whose agents are all of the seeds' types (honest, opportunistic, deceptive,
adversarial, adaptive_adversary, llm): 55 of 135 in swarm-safety 1.9.0.

--check   loads each selected file in distsafe, strict and with --lenient, and runs it for one epoch;
          prints ok or the one-line reason per file and the counts. LLM agents run with the dry_run
          provider (no network or keys here): `-o agents.N.llm.provider=dry_run`.
--bench   runs ten files that load strictly and have no LLM agents in both tools, each in a fresh
          subprocess, `--epochs E` epochs (default 5) at the file's population and steps; the timed
          region is building the orchestrator and running it (imports and YAML parsing are not timed;
          each child first runs the file for one epoch, untimed, so lazy imports and caches are warm).
          Medians of `--repeats` runs; process CPU seconds and wall seconds are both recorded, the ratio
          (reference / distsafe) is of CPU seconds, the robust figure on a shared machine.
          The reference runs as its CLI does: `load_scenario`, `build_orchestrator`, `run()`; its event
          log is switched off (its `outputs:` paths point into its repository), ours writes none either.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

SEED_TYPES = {"honest", "opportunistic", "deceptive", "adversarial", "adaptive_adversary", "llm"}


def select(folder: Path) -> list[Path]:
    """The scenario files under `folder` whose agents are all of the seeds' types."""
    import yaml

    out = []
    for p in sorted(folder.rglob("*.yaml")):
        try:
            data = yaml.safe_load(p.read_text())
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        agents = data.get("agents") if isinstance(data, dict) else None
        if not isinstance(agents, list) or not agents:
            continue
        if {a.get("type") for a in agents if isinstance(a, dict)} <= SEED_TYPES:
            out.append(p)
    return out


def _llm_overrides(path: Path) -> list[str]:
    import yaml

    agents = yaml.safe_load(path.read_text()).get("agents", [])
    return [f"agents.{i}.llm.provider=dry_run" for i, a in enumerate(agents) if a.get("type") == "llm"]


def run_one(path: Path, lenient: bool, epochs: int = 1) -> str:
    """'ok' or the one-line reason the file does not load or run here."""
    from distsafe.scenarios.loader import ScenarioError, load_scenario
    from distsafe.scenarios.runner import run_scenario

    ov = [f"simulation.n_epochs={epochs}", *_llm_overrides(path)]
    try:
        spec = load_scenario(path, ov, lenient=lenient)
    except ScenarioError as e:
        return str(e).replace(str(path), path.name)
    try:
        result = run_scenario(spec)
    except Exception as e:  # a run that fails is recorded with its reason, not hidden
        return f"run failed: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    return "ok" if len(result.metrics) == epochs else f"ran {len(result.metrics)} of {epochs} epochs"


def check(folder: Path, out_json: Path | None) -> None:
    from rich.progress import track

    files = select(folder)
    rows = []
    for p in track(files, description=f"{len(files)} reference scenarios, 1 epoch each"):
        rows.append(
            {"file": str(p.relative_to(folder)), "strict": run_one(p, False), "lenient": run_one(p, True)}
        )
    for r in rows:
        print(f"{r['file']:50s} strict: {r['strict']}")
        if r["strict"] != "ok":
            print(f"{'':50s} lenient: {r['lenient']}")
    n_strict = sum(r["strict"] == "ok" for r in rows)
    n_lenient = sum(r["lenient"] == "ok" for r in rows)
    print(f"\nselected {len(rows)}; run strict: {n_strict}; run with --lenient: {n_lenient}")
    if out_json:
        out_json.write_text(
            json.dumps(
                {"n": len(rows), "strict_ok": n_strict, "lenient_ok": n_lenient, "rows": rows}, indent=1
            )
        )


_REF_CHILD = """
import json, sys, time
from pathlib import Path
from swarm.scenarios.loader import build_orchestrator, load_scenario
def scenario(n):
    sc = load_scenario(Path(sys.argv[1]))
    sc.orchestrator_config.n_epochs = n
    sc.orchestrator_config.log_path = None
    sc.orchestrator_config.log_events = False
    return sc
build_orchestrator(scenario(1)).run()  # warm-up: lazy imports and caches, not timed
sc = scenario(int(sys.argv[2]))
t0, c0 = time.perf_counter(), time.process_time()
orch = build_orchestrator(sc)
hist = orch.run()
dt, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"seconds": dt, "cpu": cpu, "epochs": len(hist),
                  "interactions": sum(m.total_interactions for m in hist)}))
"""

_OUR_CHILD = """
import json, sys, time
from pathlib import Path
from distsafe.scenarios.builder import build_orchestrator
from distsafe.scenarios.loader import load_scenario
build_orchestrator(load_scenario(Path(sys.argv[1]), ["simulation.n_epochs=1"])).run()  # warm-up, not timed
spec = load_scenario(Path(sys.argv[1]), [f"simulation.n_epochs={int(sys.argv[2])}"])
t0, c0 = time.perf_counter(), time.process_time()
orch = build_orchestrator(spec)
hist = orch.run()
dt, cpu = time.perf_counter() - t0, time.process_time() - c0
n = sum(m.n_interactions for m in hist)
print(json.dumps({"seconds": dt, "cpu": cpu, "epochs": len(hist), "interactions": n}))
"""


def _child(python: str, code: str, path: Path, epochs: int, timeout: float) -> dict:
    try:
        cp = subprocess.run(
            [python, "-c", code, str(path), str(epochs)], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    if cp.returncode != 0:
        tail = (cp.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": tail[:200]}
    return json.loads(cp.stdout.strip().splitlines()[-1])


def bench(
    folder: Path, ref_python: str, epochs: int, n_files: int, repeats: int, timeout: float
) -> list[dict]:
    import yaml

    chosen = []
    for p in select(folder):
        if any(a.get("type") == "llm" for a in yaml.safe_load(p.read_text())["agents"]):
            continue
        if run_one(p, False, 1) == "ok":
            chosen.append(p)
        if len(chosen) == n_files:
            break
    rows = []
    for p in chosen:
        ours = [_child(sys.executable, _OUR_CHILD, p, epochs, timeout) for _ in range(repeats)]
        ref = [_child(ref_python, _REF_CHILD, p, epochs, timeout) for _ in range(repeats)]
        row: dict = {"file": p.name, "epochs": epochs}
        for name, runs in (("distsafe", ours), ("reference", ref)):
            ok = [r for r in runs if "error" not in r]
            row[name] = (
                {
                    "median_s": statistics.median(r["seconds"] for r in ok),
                    "median_cpu_s": statistics.median(r["cpu"] for r in ok),
                    "interactions": int(ok[0]["interactions"]),
                }
                if ok
                else {"error": runs[0]["error"]}
            )
        if "median_s" in row["distsafe"] and "median_s" in row["reference"]:
            # the ratio of CPU seconds (the machine is shared: CPU time is the robust one), reference / ours
            row["ratio"] = row["reference"]["median_cpu_s"] / max(row["distsafe"]["median_cpu_s"], 1e-9)
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(
        "\n| scenario | epochs | reference CPU s (wall s) | distsafe CPU s (wall s) | ratio (CPU) "
        "| interactions reference / distsafe |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:

        def cell(d: dict) -> str:
            return f"{d['median_cpu_s']:.2f} ({d['median_s']:.2f})" if "median_s" in d else d["error"]

        def n(d: dict) -> str:
            return str(d.get("interactions", "-"))

        ratio = f"{r['ratio']:.2f}x" if "ratio" in r else "-"
        print(
            f"| {r['file']} | {r['epochs']} | {cell(r['reference'])} | {cell(r['distsafe'])} | {ratio} "
            f"| {n(r['reference'])} / {n(r['distsafe'])} |"
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, help="the reference repository's scenarios/ folder")
    ap.add_argument("--check", action="store_true", help="run each selected file for one epoch here")
    ap.add_argument("--bench", action="store_true", help="time ten files in both tools")
    ap.add_argument("--reference-python", default="/tmp/swarmvenv/bin/python")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    if not a.folder.is_dir():
        sys.exit(f"{a.folder}: not a folder")
    if a.check:
        check(a.folder, a.json)
    if a.bench:
        rows = bench(a.folder, a.reference_python, a.epochs, a.files, a.repeats, a.timeout)
        if a.json:
            a.json.write_text(json.dumps({"when": time.strftime("%Y-%m-%d %H:%M"), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
