"""Batched decisions keep determinism: answers that arrive in reverse order under concurrency give the same
run as one decision at a time, and a recording made concurrently replays exactly."""

from __future__ import annotations

import asyncio

from distsafe.agents.llm import LLMAgent, LLMConfig
from distsafe.agents.llm.dry_run_policy import dry_run_action
from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.llm import LLMClient, LLMRecorder, LLMRequest, LLMResponse
from distsafe.llm.dry_run import DryRunClient


class ReverseDelay(LLMClient):
    """The dry-run answer, delayed so that agents later in the order answer first."""

    provider_name = "openai"
    in_flight = 0
    peak = 0

    def __init__(self, rank: int, n: int):
        self.delay = 0.002 * (n - rank)
        self.inner = DryRunClient(responder=dry_run_action)

    async def complete(self, request: LLMRequest) -> LLMResponse:
        ReverseDelay.in_flight += 1
        ReverseDelay.peak = max(ReverseDelay.peak, ReverseDelay.in_flight)
        await asyncio.sleep(self.delay)
        ReverseDelay.in_flight -= 1
        return await self.inner.complete(request)


def run(concurrency: int, recorder: LLMRecorder | None = None, live: bool = True) -> tuple[list, dict]:
    o = Orchestrator(
        OrchestratorConfig(n_epochs=2, steps_per_epoch=2, seed=3, max_concurrent_llm=concurrency)
    )
    n = 6
    for i in range(n):
        agent = LLMAgent(f"llm_{i}", LLMConfig(provider="openai", model="m", persona="strategic"))
        if live:
            agent.set_client(ReverseDelay(i, n))
        if recorder is not None:
            agent.set_recorder(recorder)
        o.register_agent(agent)
    o.add_population("honest", 3)
    metrics = asyncio.run(o.run_async())
    return [m.to_json_dict() for m in metrics], o.get_llm_usage_stats()


def test_completion_order_does_not_change_the_run(tmp_path):
    ReverseDelay.peak = 0
    one_at_a_time = run(1)
    assert ReverseDelay.peak == 1
    concurrent = run(8)
    assert ReverseDelay.peak == 6  # every agent of a step in flight at once
    assert concurrent == one_at_a_time
    metrics, usage = concurrent
    assert all(m["llm_decisions"] == 12.0 for m in metrics)  # 6 agents x 2 steps per epoch
    assert all(s["decision_paths"]["schema_first_time"] == 4 for s in usage.values())

    path = tmp_path / "rec.jsonl"
    rec = LLMRecorder(path, mode="record")
    recorded = run(8, rec)
    rec.close()
    replayed = run(8, LLMRecorder(path, mode="replay"), live=False)
    assert recorded == replayed == concurrent
