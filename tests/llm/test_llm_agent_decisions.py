"""LLMAgent: prompt rendering, validation, the repair turn, recorded no-ops, errors, config, usage."""

from __future__ import annotations

import asyncio
import json

import pytest

from distsafe.agents.base import ActionType, InteractionProposal
from distsafe.agents.llm import LLMAgent, LLMConfig, LLMProvider, PersonaType, llm_agents_from_spec
from distsafe.agents.llm.parsing import ActionParseError, extract_json, parse_action
from distsafe.llm import LLMConfigError, LLMConnectionError, LLMTransientError
from distsafe.models.agent import AgentType
from distsafe.models.interaction import InteractionType

from llm_fixtures import agent_with, make_observation


# ---- parsing ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    '{"action_type": "vote", "target_id": "p1", "vote": -1}',
    '```json\n{"action_type": "vote", "target_id": "p1", "vote": -1}\n```',
    'Sure. {"action_type": "vote", "target_id": "p1", "vote": -1} Hope that helps.',
])
def test_parse_valid_vote_in_several_wrappings(text, observation):
    a = parse_action(text, observation, "llm_1")
    assert (a.action_type, a.target_id, a.vote, a.agent_id) == (ActionType.VOTE, "p1", -1, "llm_1")


def test_parse_interaction_fields(observation):
    a = parse_action(json.dumps({"action_type": "propose_interaction", "target_id": "h1", "interaction_type": "trade",
                                 "tau": 2.5, "effort": 0.3, "signal_boost": 0.9, "reasoning": "why not",
                                 "mood": "x"}), observation, "llm_1")
    assert a.interaction_type == InteractionType.TRADE
    assert (a.tau, a.effort, a.signal_boost) == (2.5, 0.3, 0.9)
    assert a.metadata == {"reasoning": "why not", "ignored_keys": ["mood"]}


@pytest.mark.parametrize("data, fragment", [
    ({"action_type": "dance"}, "action_type must be one of"),
    ({"action_type": "reply", "target_id": "p9", "content": "hi"}, "not a visible post_id"),
    ({"action_type": "vote", "target_id": "p1", "vote": 0}, "vote must be 1 or -1"),
    ({"action_type": "vote", "target_id": "p1", "vote": True}, "vote must be 1 or -1"),
    ({"action_type": "post"}, "content is required"),
    ({"action_type": "post", "content": "   "}, "must not be blank"),
    ({"action_type": "propose_interaction", "target_id": "llm_1"}, "not a peer agent_id"),
    ({"action_type": "propose_interaction", "target_id": "h1", "effort": 1.5}, "effort must be in"),
    ({"action_type": "propose_interaction", "target_id": "h1", "tau": 1e9}, "tau must be in"),
    ({"action_type": "propose_interaction", "target_id": "h1", "interaction_type": "heist"}, "interaction_type"),
    ({"action_type": "claim_task", "target_id": "t7"}, "not an open task_id"),
    ({"action_type": "claim_task", "target_id": "t1", "signal_boost": "lots"}, "signal_boost must be a number"),
])
def test_parse_rejects_invalid(data, fragment, observation):
    with pytest.raises(ActionParseError) as err:
        parse_action(json.dumps(data), observation, "llm_1")
    assert any(fragment in e for e in err.value.errors), err.value.errors


def test_parse_respects_budgets():
    obs = make_observation(posts_left=0, votes_left=0, interactions_left=0)
    for action in ("post", "vote", "propose_interaction"):
        with pytest.raises(ActionParseError, match="not allowed now"):
            parse_action(json.dumps({"action_type": action, "target_id": "p1", "content": "x", "vote": 1}),
                         obs, "llm_1")
    assert parse_action('{"action_type": "claim_task", "target_id": "t1"}', obs, "llm_1").target_id == "t1"


@pytest.mark.parametrize("text", ["", "no json here", "[1, 2]", '{"action_type": '])
def test_extract_json_garbage(text):
    with pytest.raises(ActionParseError):
        extract_json(text)


# ---- the agent --------------------------------------------------------------------------------------------
async def test_valid_answer_one_request(observation):
    agent, client = agent_with('{"action_type": "claim_task", "target_id": "t1", "effort": 0.8}')
    a = await agent.act_async(observation)
    assert (a.action_type, a.target_id, a.effort, a.agent_id) == (ActionType.CLAIM_TASK, "t1", 0.8, "llm_1")
    assert a.metadata["llm"]["repaired"] is False
    assert len(client.requests) == 1
    r = client.requests[0]
    assert (r.provider, r.model, r.json_mode, r.temperature, r.max_tokens) == ("openai", "gpt-4o-mini", True, 0.7, 512)
    assert [m.role for m in r.messages] == ["system", "user"]
    s = agent.usage_stats()
    assert (s["total_requests"], s["parse_failures"], s["repairs"], s["noops"]) == (1, 0, 0, 0)


async def test_invalid_then_repaired(observation):
    agent, client = agent_with('{"action_type": "reply", "target_id": "p77", "content": "hey"}',
                               '{"action_type": "reply", "target_id": "p2", "content": "hey"}')
    a = await agent.act_async(observation)
    assert (a.action_type, a.target_id, a.metadata["llm"]["repaired"]) == (ActionType.REPLY, "p2", True)
    repair = client.requests[1]
    assert [m.role for m in repair.messages] == ["system", "user", "assistant", "user"]
    assert repair.messages[2].content == '{"action_type": "reply", "target_id": "p77", "content": "hey"}'
    assert "p77" in repair.messages[3].content and "not a visible post_id" in repair.messages[3].content
    s = agent.usage_stats()
    assert (s["total_requests"], s["parse_failures"], s["repairs"], s["repaired"], s["noops"]) == (2, 1, 1, 1, 0)


async def test_garbage_twice_is_a_recorded_noop(observation):
    agent, client = agent_with("I would like to post.", "Still prose, sorry.")
    a = await agent.act_async(observation)
    assert a.action_type == ActionType.NOOP
    assert a.metadata["reason"] == "invalid_llm_output"
    assert a.metadata["llm"]["answer"] == "Still prose, sorry."
    assert len(client.requests) == 2  # exactly one repair request, never more
    s = agent.usage_stats()
    assert (s["parse_failures"], s["repairs"], s["repaired"], s["noops"], s["actions_by_type"]) == \
        (2, 1, 0, 1, {"noop": 1})


async def test_transient_error_after_success_is_a_noop_but_config_error_raises(observation):
    agent, _ = agent_with('{"action_type": "noop"}', LLMTransientError("HTTP 503 (gave up)"),
                          LLMConnectionError("cannot connect"), LLMConfigError("OPENAI_API_KEY is not set"))
    assert (await agent.act_async(observation)).action_type == ActionType.NOOP
    a = await agent.act_async(observation)
    assert a.metadata["reason"] == "llm_error" and "503" in a.metadata["llm"]["error"]
    a = await agent.act_async(observation)  # a dropped connection mid-run: recorded no-op
    assert a.metadata["reason"] == "llm_error"
    with pytest.raises(LLMConfigError):
        await agent.act_async(observation)
    assert agent.usage_stats()["errors"] == 2


async def test_server_missing_on_first_request_raises(observation):
    agent, _ = agent_with(LLMConnectionError("cannot reach the Ollama server"))
    with pytest.raises(LLMConnectionError, match="Ollama"):
        await agent.act_async(observation)


async def test_frozen_agent_makes_no_request():
    agent, client = agent_with()
    a = await agent.act_async(make_observation(frozen=True))
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


async def test_prompt_depends_only_on_observation(observation):
    a = LLMAgent("llm_1", LLMConfig(provider="dry_run", persona="strategic"))
    b = LLMAgent("llm_1", LLMConfig(provider="dry_run", persona="strategic"))
    r1, r2 = a.build_request(observation), b.build_request(observation)
    await asyncio.sleep(0.01)
    assert r1 == a.build_request(observation) == r2
    user = r1.messages[1].content
    assert "epoch 1, step 0" in user and '"task_id": "t1"' in user
    assert '"agent_id": "llm_1"' not in user.split("Peers")[1].split("Open tasks")[0]  # self is not a peer
    assert "PERSONA: strategic" in r1.messages[0].content
    other = a.build_request(make_observation(step=1))
    assert other != r1


async def test_dry_run_agents_act_validly_across_personas():
    for persona in PersonaType:
        agent = LLMAgent("llm_1", LLMConfig(provider="dry_run", persona=persona))
        for step in range(12):
            obs = make_observation(step=step)
            a = await agent.act_async(obs)
            assert a.action_type.value in {"noop", "post", "reply", "vote", "propose_interaction", "claim_task"}
        s = agent.usage_stats()
        assert s["parse_failures"] == 0 and s["noops"] == 0 and s["total_requests"] == 12
        assert s["estimated_cost_usd"] == 0.0 and s["input_tokens"] > 0
    adv = LLMAgent("a", LLMConfig(provider="dry_run", persona="adversarial"))
    hon = LLMAgent("h", LLMConfig(provider="dry_run", persona="honest"))
    adv_eff = [x.effort for x in [await adv.act_async(make_observation("a", step=s)) for s in range(30)]
               if x.action_type in (ActionType.PROPOSE_INTERACTION, ActionType.CLAIM_TASK)]
    hon_eff = [x.effort for x in [await hon.act_async(make_observation("h", step=s)) for s in range(30)]
               if x.action_type in (ActionType.PROPOSE_INTERACTION, ActionType.CLAIM_TASK)]
    assert adv_eff and hon_eff and max(adv_eff) < min(hon_eff)


def test_accept_interaction_rules():
    def prop(rep, tau=0.0):
        return InteractionProposal(initiator_id="x", counterparty_id="llm_1", tau=tau, initiator_reputation=rep)
    honest = LLMAgent("llm_1", LLMConfig(provider="dry_run", persona="honest"))
    strategic = LLMAgent("llm_1", LLMConfig(provider="dry_run", persona="strategic"))
    adversarial = LLMAgent("llm_1", LLMConfig(provider="dry_run", persona="adversarial"))
    assert honest.accept_interaction(prop(-0.5)) and not honest.accept_interaction(prop(-2.0))
    assert strategic.accept_interaction(prop(-1.0, tau=1.0)) and not strategic.accept_interaction(prop(-0.1))
    assert adversarial.accept_interaction(prop(-9.0))
    assert not honest.accept_interaction(prop(1.0), make_observation(frozen=True))


# ---- config and YAML ------------------------------------------------------------------------------------
def test_config_defaults_and_validation():
    c = LLMConfig()
    assert c.provider == LLMProvider.ANTHROPIC and c.model == "claude-sonnet-4-20250514"
    assert c.persona == PersonaType.OPEN and c.temperature == 0.7 and c.max_tokens == 512 and c.cost_tracking
    assert LLMConfig(provider="ollama").model == "llama3"
    with pytest.raises(ValueError, match="unknown LLM provider"):
        LLMConfig(provider="gemini")
    with pytest.raises(ValueError, match="unknown persona"):
        LLMConfig(persona="sneaky")
    with pytest.raises(ValueError, match="temperature"):
        LLMConfig(temperature=3.0)
    with pytest.raises(ValueError, match="unknown key"):
        LLMConfig.from_dict({"provider": "dry_run", "temprature": 0.5})
    d = LLMConfig(provider="openai", api_key="secret").to_dict()
    assert d["provider"] == "openai" and "api_key" not in d


def test_spec_builds_agents_and_missing_key_is_clear(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    agents = llm_agents_from_spec({"type": "llm", "count": 2, "llm": {
        "provider": "anthropic", "model": "claude-sonnet-4-20250514", "persona": "open", "temperature": 0.7,
        "max_tokens": 512, "cost_tracking": True}})
    assert [a.agent_id for a in agents] == ["llm_1", "llm_2"]
    assert agents[0].llm_config.provider == LLMProvider.ANTHROPIC
    with pytest.raises(LLMConfigError, match="ANTHROPIC_API_KEY"):
        agents[0].act(make_observation())


async def test_cost_with_table_and_override(observation):
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
    import yaml
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / "scenarios" / "llm_agents.yaml"
    spec = yaml.safe_load(path.read_text())
    llm_entries = [e for e in spec["agents"] if e["type"] == "llm"]
    assert llm_entries and any(e["type"] != "llm" for e in spec["agents"])  # a mix with scripted agents
    agents = [a for e in llm_entries for a in llm_agents_from_spec(e)]
    assert [a.agent_id for a in agents] == ["llm_open_1", "llm_open_2", "llm_adv_1"]
    assert {a.llm_config.provider for a in agents} == {LLMProvider.DRY_RUN}  # runs offline by default
    assert {a.persona for a in agents} == {PersonaType.OPEN, PersonaType.ADVERSARIAL}
    for a in agents:
        await a.act_async(make_observation(a.agent_id))
        assert a.usage_stats()["total_requests"] == 1


def test_price_block_in_yaml_config():
    c = LLMConfig.from_dict({"provider": "openai", "model": "my-model", "price": {"input": 2.0, "output": 4.0}})
    assert (c.price_input_per_mtok, c.price_output_per_mtok) == (2.0, 4.0)
    agent = LLMAgent("llm_1", c, client=object())  # client unused here
    assert agent.usage.prices.cost("openai", "my-model", 10**6, 10**6) == pytest.approx(6.0)
    with pytest.raises(ValueError, match="set both"):
        LLMConfig(price_input_per_mtok=1.0)
