"""LLMAgent: one decision (request, validation, the repair turn, recorded no-ops, errors), usage and
cost, recording and replay through the engine's recorder, rebuilding from the run log."""

from __future__ import annotations

import json

import pytest

from distsafe.agents.base import ActionType, InteractionProposal
from distsafe.agents.llm import LLMAgent, LLMConfig, LLMProvider, PersonaType, llm_agents_from_spec
from distsafe.llm import (
    LLMConfigError,
    LLMConnectionError,
    LLMRecorder,
    LLMReplayMissError,
    LLMTransientError,
)
from distsafe.models.agent import AgentType
from distsafe.testing import sample_observation


async def test_valid_answer_one_request(observation, agent_with):
    agent, client = agent_with('{"action_type": "claim_task", "target_id": "t1", "effort": 0.8}')
    a = await agent.act_async(observation)
    assert (a.action_type, a.target_id, a.effort, a.agent_id) == (ActionType.CLAIM_TASK, "t1", 0.8, "llm_1")
    assert a.metadata["llm"]["repaired"] is False
    assert len(client.requests) == 1
    r = client.requests[0]
    assert (r.provider, r.model, r.json_mode, r.temperature, r.max_tokens) == (
        "openai",
        "gpt-4o-mini",
        True,
        0.7,
        512,
    )
    assert [m.role for m in r.messages] == ["system", "user"]
    s = agent.usage_stats()
    assert (s["total_requests"], s["parse_failures"], s["repairs"], s["noops"]) == (1, 0, 0, 0)


async def test_invalid_then_repaired(observation, agent_with):
    agent, client = agent_with(
        '{"action_type": "reply", "target_id": "p77", "content": "hey"}',
        '{"action_type": "reply", "target_id": "p2", "content": "hey"}',
    )
    a = await agent.act_async(observation)
    assert (a.action_type, a.target_id, a.metadata["llm"]["repaired"]) == (ActionType.REPLY, "p2", True)
    repair = client.requests[1]
    assert [m.role for m in repair.messages] == ["system", "user", "assistant", "user"]
    assert repair.messages[2].content == '{"action_type": "reply", "target_id": "p77", "content": "hey"}'
    assert "p77" in repair.messages[3].content and "not a visible post_id" in repair.messages[3].content
    s = agent.usage_stats()
    assert (s["total_requests"], s["parse_failures"], s["repairs"], s["repaired"], s["noops"]) == (
        2,
        1,
        1,
        1,
        0,
    )


async def test_garbage_twice_is_a_recorded_noop(observation, agent_with):
    agent, client = agent_with("I would like to post.", "Still prose, sorry.")
    a = await agent.act_async(observation)
    assert a.action_type == ActionType.NOOP
    assert a.metadata["reason"] == "invalid_llm_output"
    assert a.metadata["llm"]["answer"] == "Still prose, sorry."
    assert len(client.requests) == 2  # exactly one repair request, never more
    s = agent.usage_stats()
    assert (s["parse_failures"], s["repairs"], s["repaired"], s["noops"], s["actions_by_type"]) == (
        2,
        1,
        0,
        1,
        {"noop": 1},
    )


async def test_transient_error_after_success_is_a_noop_but_config_error_raises(observation, agent_with):
    agent, _ = agent_with(
        '{"action_type": "noop"}',
        LLMTransientError("HTTP 503 (gave up)"),
        LLMConnectionError("cannot connect"),
        LLMConfigError("OPENAI_API_KEY is not set"),
    )
    assert (await agent.act_async(observation)).action_type == ActionType.NOOP
    a = await agent.act_async(observation)
    assert a.metadata["reason"] == "llm_error" and "503" in a.metadata["llm"]["error"]
    a = await agent.act_async(observation)  # a dropped connection mid-run: recorded no-op
    assert a.metadata["reason"] == "llm_error"
    with pytest.raises(LLMConfigError):
        await agent.act_async(observation)
    assert agent.usage_stats()["errors"] == 2


async def test_server_missing_on_first_request_raises(observation, agent_with):
    agent, _ = agent_with(LLMConnectionError("cannot reach the Ollama server"))
    with pytest.raises(LLMConnectionError, match="Ollama"):
        await agent.act_async(observation)


async def test_frozen_agent_makes_no_request(agent_with):
    agent, client = agent_with()
    a = await agent.act_async(sample_observation(frozen=True))
    assert a.action_type == ActionType.NOOP and a.metadata["reason"] == "frozen"
    assert client.requests == [] and agent.usage_stats()["total_requests"] == 0


def test_sync_act_runs_outside_a_loop(observation):
    agent = LLMAgent("llm_1", LLMConfig(provider="dry_run", persona="honest"))
    a1 = agent.act(observation)
    a2 = LLMAgent("llm_1", LLMConfig(provider="dry_run", persona="honest")).act(observation)
    assert a1 == a2  # deterministic dry run
    assert agent.agent_type == AgentType.LLM and agent.is_async is True


async def test_sync_act_inside_a_loop_is_refused(observation):
    agent = LLMAgent("llm_1", LLMConfig(provider="dry_run"))
    with pytest.raises(RuntimeError, match="act_async"):
        agent.act(observation)


def test_accept_interaction_rules():
    def prop(rep, tau=0.0):
        return InteractionProposal(
            initiator_id="x", counterparty_id="llm_1", tau=tau, initiator_reputation=rep
        )

    honest = LLMAgent("llm_1", LLMConfig(provider="dry_run", persona="honest"))
    strategic = LLMAgent("llm_1", LLMConfig(provider="dry_run", persona="strategic"))
    adversarial = LLMAgent("llm_1", LLMConfig(provider="dry_run", persona="adversarial"))
    assert honest.accept_interaction(prop(-0.5)) and not honest.accept_interaction(prop(-2.0))
    assert strategic.accept_interaction(prop(-1.0, tau=1.0)) and not strategic.accept_interaction(prop(-0.1))
    assert adversarial.accept_interaction(prop(-9.0))
    assert not honest.accept_interaction(prop(1.0), sample_observation(frozen=True))


# ---- config and YAML ------------------------------------------------------------------------------------


def test_spec_builds_agents_and_missing_key_is_clear(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    agents = llm_agents_from_spec(
        {
            "type": "llm",
            "count": 2,
            "llm": {
                "provider": "anthropic",
                "model": "claude-sonnet-4-20250514",
                "persona": "open",
                "temperature": 0.7,
                "max_tokens": 512,
                "cost_tracking": True,
            },
        }
    )
    assert [a.agent_id for a in agents] == ["llm_1", "llm_2"]
    assert agents[0].llm_config.provider == LLMProvider.ANTHROPIC
    with pytest.raises(LLMConfigError, match="ANTHROPIC_API_KEY"):
        agents[0].act(sample_observation())


async def test_cost_with_table_and_override(observation, agent_with):
    agent, _ = agent_with('{"action_type": "noop"}')  # gpt-4o-mini: 0.15 / 0.60 USD per 1M tokens
    await agent.act_async(observation)
    assert agent.usage_stats()["estimated_cost_usd"] == pytest.approx((1000 * 0.15 + 100 * 0.6) / 1e6)
    agent2, _ = agent_with('{"action_type": "noop"}', price_input_per_mtok=10.0, price_output_per_mtok=20.0)
    await agent2.act_async(observation)
    assert agent2.usage_stats()["estimated_cost_usd"] == pytest.approx((1000 * 10 + 100 * 20) / 1e6)
    agent3, _ = agent_with('{"action_type": "noop"}', cost_tracking=False)
    await agent3.act_async(observation)
    s3 = agent3.usage_stats()
    assert s3["estimated_cost_usd"] == 0.0 and s3["input_tokens"] == 1000


async def test_scenario_file_llm_blocks_build_offline_agents():
    from pathlib import Path

    import yaml

    path = Path(__file__).resolve().parents[3] / "scenarios" / "llm_agents.yaml"
    spec = yaml.safe_load(path.read_text())
    llm_entries = [e for e in spec["agents"] if e["type"] == "llm"]
    assert llm_entries and any(e["type"] != "llm" for e in spec["agents"])  # a mix with scripted agents
    agents = [a for e in llm_entries for a in llm_agents_from_spec(e)]
    assert [a.agent_id for a in agents] == ["llm_open_1", "llm_open_2", "llm_adv_1"]
    assert {a.llm_config.provider for a in agents} == {LLMProvider.DRY_RUN}  # runs offline by default
    assert {a.persona for a in agents} == {PersonaType.OPEN, PersonaType.ADVERSARIAL}
    for a in agents:
        await a.act_async(sample_observation(a.agent_id))
        assert a.usage_stats()["total_requests"] == 1


async def run_agents(agents, steps=6):
    actions = []
    for step in range(steps):
        for a in agents:
            actions.append(await a.act_async(sample_observation(a.agent_id, step=step)))
    return actions


async def test_agent_run_replays_exactly_without_provider(tmp_path, monkeypatch):
    path = tmp_path / "llm_recording.jsonl"
    cfgs = [
        LLMConfig(provider="dry_run", persona=p, provider_options={"garbage_rate": 0.3})
        for p in ("honest", "adversarial", "open")
    ]
    agents = [LLMAgent(f"llm_{i}", c) for i, c in enumerate(cfgs)]
    rec = LLMRecorder(path, mode="record")
    for a in agents:
        a.set_recorder(rec)
    live = await run_agents(agents)
    rec.close()
    live_stats = {a.agent_id: a.usage_stats() for a in agents}
    assert sum(s["repairs"] for s in live_stats.values()) > 0  # the garbage exercised repairs

    # Replay: the provider is anthropic with no key; nothing is built, nothing is called.
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    replay_agents = [LLMAgent(f"llm_{i}", c) for i, c in enumerate(cfgs)]
    rep = LLMRecorder(path, mode="replay")
    for a in replay_agents:
        a.set_recorder(rep)
    replayed = await run_agents(replay_agents)
    assert replayed == live
    for a in replay_agents:
        s = a.usage_stats()
        for k in (
            "total_requests",
            "input_tokens",
            "output_tokens",
            "parse_failures",
            "repairs",
            "noops",
            "actions_by_type",
        ):
            assert s[k] == live_stats[a.agent_id][k], k
        assert a.usage.replayed_requests == s["total_requests"]
        assert s == live_stats[a.agent_id]  # byte-identical usage in the run log
        assert a._client is None

    # A changed observation is a request the recording lacks: a clear error, not a silent call.
    with pytest.raises(LLMReplayMissError, match="replay miss"):
        await replay_agents[0].act_async(sample_observation("llm_0", step=99))


async def test_replay_init_rebuilds_the_same_agent(tmp_path):
    cfg = LLMConfig(
        provider="dry_run",
        persona="strategic",
        temperature=0.2,
        max_tokens=300,
        api_key="secret",
        compact_prompt=True,
    )
    agent = LLMAgent("llm_7", cfg, roles=["worker"])
    init = agent.replay_init()
    assert "secret" not in json.dumps(init)  # JSON-safe, no key in the run log
    clone = LLMAgent.from_replay_init("llm_7", json.loads(json.dumps(init)))
    obs = sample_observation("llm_7", step=3)
    assert clone.build_request(obs) == agent.build_request(obs)
    assert clone.roles == ["worker"] and clone.llm_config.persona.value == "strategic"
