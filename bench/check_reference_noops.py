"""Check, by running the reference implementation, that the fields distsafe treats as no-ops because the
reference's own runner never reads them (scenarios/swarm_compat.py REFERENCE_IGNORED, REFERENCE_AGENT_KEYS)
change nothing there either.

    python bench/check_reference_noops.py SCENARIOS_DIR --reference-python /tmp/swarmvenv/bin/python

For each of the reference's seed-type scenario files (bench_swarm_scenarios.select) without LLM agents, the
fields distsafe's loader lists as ignored by the reference are removed one at a time, and the reference
runs the file with and without the field (its `load_scenario`, `build_orchestrator`, `run()`; 2 epochs,
seed 7, no event log): the per-epoch (interactions, accepted, toxicity, welfare) must be the same. This is
evidence beside the source reading cited in swarm_compat's tables, not a proof (a field read but inert in
2 epochs would pass too); the fields the reference does read were checked the same way and do change its
runs (docs/from-swarm.md). LLM files are skipped (the reference's LLM agents need keys and a network).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_swarm_scenarios import select  # noqa: E402

_CHILD = r"""
import copy, io, json, logging, sys, tempfile, contextlib
from pathlib import Path
import yaml
logging.disable(logging.CRITICAL)
from swarm.scenarios.loader import build_orchestrator, load_scenario
def run(d):
    d = copy.deepcopy(d); d.pop("outputs", None)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump(d, f)
    sc = load_scenario(Path(f.name))
    sc.orchestrator_config.n_epochs, sc.orchestrator_config.seed = 2, 7
    sc.orchestrator_config.log_path, sc.orchestrator_config.log_events = None, False
    with contextlib.redirect_stdout(io.StringIO()):
        hist = build_orchestrator(sc).run()
    return [[m.total_interactions, m.accepted_interactions, round(m.toxicity_rate, 12),
             round(m.total_welfare, 9)] for m in hist]
def remove(d, path):
    d = copy.deepcopy(d); node = d
    if path[0] == "agents":
        a = d["agents"][path[1]]
        if path[2] == "params":
            del a["config"][path[3]]; return d
        del a[path[2]]; return d
    for k in path[:-1]:
        node = node[k]
    if isinstance(node, list): node.pop(path[-1])
    else: del node[path[-1]]
    return d
job = json.load(sys.stdin)
d = yaml.safe_load(Path(job["file"]).read_text())
base = run(d)
print(json.dumps([[p, run(remove(d, p)) == base] for p in job["paths"]]))
"""


def ignored_paths(path: Path) -> list[list[str | int]]:
    """The field paths of `path` that distsafe's loader drops as ignored by the reference's runner."""
    import yaml

    from distsafe.scenarios.swarm_compat import IGNORED_BY_REFERENCE, translate

    out: list[list[str | int]] = []
    for entry in translate(yaml.safe_load(path.read_text())).no_ops:
        if IGNORED_BY_REFERENCE not in entry:
            continue
        dotted = entry.split(" (", 1)[0]
        out.append([int(x) if x.isdigit() else x for x in dotted.split(".")])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--reference-python", required=True)
    args = ap.parse_args()
    import yaml

    n_same = n_all = 0
    for p in select(args.folder):
        if any(a.get("type") == "llm" for a in yaml.safe_load(p.read_text())["agents"]):
            continue
        paths = ignored_paths(p)
        if not paths:
            continue
        job = json.dumps({"file": str(p), "paths": paths})
        res = subprocess.run(
            [args.reference_python, "-c", _CHILD], input=job, capture_output=True, text=True, check=True
        )
        for path, same in json.loads(res.stdout.strip().splitlines()[-1]):
            n_all += 1
            n_same += bool(same)
            print(f"{p.name:40s} {'.'.join(map(str, path)):55s} {'same' if same else 'DIFFERENT'}")
    print(f"\n{n_same} of {n_all} fields: the reference's run is the same without them")


if __name__ == "__main__":
    main()
