"""LLM agents among scripted agents, end to end.

    python examples/llm_demo.py --dry-run                     # no network, no model, deterministic
    export ANTHROPIC_API_KEY=...; python examples/llm_demo.py # Claude (the default provider)
    python examples/llm_demo.py --provider openai --model gpt-4o-mini
    python examples/llm_demo.py --provider openai --base-url http://127.0.0.1:8000/v1 --model local
    python examples/llm_demo.py --provider ollama --model llama3
    python examples/llm_demo.py --dry-run --record /tmp/rec.jsonl   # then: --replay /tmp/rec.jsonl

Prints the per-epoch metrics, then each LLM agent's requests, tokens and estimated cost.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from distsafe.agents.honest import HonestAgent
from distsafe.agents.llm import LLMAgent, LLMConfig, LLMProvider, PersonaType
from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.llm import LLMError, LLMRecorder, total_usage


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dry-run", action="store_true", help="use the offline dry-run provider (no API calls)")
    p.add_argument("--provider", default=LLMProvider.ANTHROPIC.value, choices=[x.value for x in LLMProvider])
    p.add_argument("--model", default="", help="model name (default: the provider's default)")
    p.add_argument("--base-url", default=None, help="server URL (OpenAI-compatible server, Ollama host)")
    p.add_argument(
        "--persona",
        default=None,
        choices=[x.value for x in PersonaType],
        help="one persona for all LLM agents (default: one open, one strategic)",
    )
    p.add_argument("--temperature", type=float, default=0.7)
    p.add_argument("--max-tokens", type=int, default=512)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    rec = p.add_mutually_exclusive_group()
    rec.add_argument("--record", default=None, help="append every LLM request/response to this JSONL file")
    rec.add_argument("--replay", default=None, help="serve LLM responses from this recording (no network)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    provider = LLMProvider.DRY_RUN if args.dry_run else LLMProvider(args.provider)
    personas = [PersonaType(args.persona)] * 2 if args.persona else [PersonaType.OPEN, PersonaType.STRATEGIC]

    orchestrator = Orchestrator(
        config=OrchestratorConfig(n_epochs=args.epochs, steps_per_epoch=args.steps, seed=args.seed)
    )
    recorder = None
    if args.record or args.replay:
        recorder = LLMRecorder(args.record or args.replay, mode="record" if args.record else "replay")
    for i, persona in enumerate(personas, start=1):
        cfg = LLMConfig(
            provider=provider,
            model=args.model,
            persona=persona,
            temperature=args.temperature,
            max_tokens=args.max_tokens,
            base_url=args.base_url,
        )
        agent = LLMAgent(f"llm_{i}", cfg)
        if recorder is not None:
            agent.set_recorder(recorder)
        orchestrator.register_agent(agent)
    for i in range(1, 4):
        orchestrator.register_agent(HonestAgent(agent_id=f"h{i}"))

    print(
        f"provider={provider.value} model={args.model or '(default)'} personas={[p.value for p in personas]}"
    )
    try:
        metrics = asyncio.run(orchestrator.run_async())
    except LLMError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if recorder is not None:
            recorder.close()

    print(f"\n{'epoch':>5} {'toxicity':>9} {'welfare':>9}")
    for m in metrics:
        print(f"{m.epoch:>5} {m.toxicity_rate:>9.3f} {m.total_welfare:>9.2f}")

    stats = orchestrator.get_llm_usage_stats()
    print("\nLLM usage:")
    for agent_id, usage in stats.items():
        print(
            f"  {agent_id}: {usage['total_requests']} requests, "
            f"{usage['input_tokens']}+{usage['output_tokens']} tokens, ${usage['estimated_cost_usd']:.4f}, "
            f"repairs {usage['repairs']}, no-ops {usage['noops']}, actions {usage['actions_by_type']}"
        )
    total = total_usage(stats)
    print(f"  total: {total['total_requests']} requests, ${total['estimated_cost_usd']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
