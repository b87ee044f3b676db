"""The action schema on the wire: each provider sends it in its own form to a scripted HTTP server on
127.0.0.1 and reads the answer from the right place; the agent's decision paths follow."""

from __future__ import annotations

import json

import pytest

from distsafe.agents.base import ActionType
from distsafe.agents.llm import LLMAgent, LLMConfig, action_schema
from distsafe.agents.llm.prompts import allowed_actions
from distsafe.llm import ChatMessage, LLMRequest, LLMRequestError, create_provider
from distsafe.llm.openai_provider import strict_schema
from distsafe.testing import sample_observation

OBS = sample_observation("llm_1")
SCHEMA = action_schema(OBS, allowed_actions(OBS), 10, 120)
MESSAGES = (ChatMessage("system", "Be an agent."), ChatMessage("user", "Act."))
VOTE = {"action_type": "vote", "target_id": "p2", "vote": -1}


def req(provider: str, model: str) -> LLMRequest:
    return LLMRequest(provider, model, MESSAGES, 0.0, 64, json_mode=True, response_schema=SCHEMA)


def openai_ok(text: str) -> dict:
    return {
        "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 13, "completion_tokens": 4},
    }


def test_schema_has_one_variant_per_allowed_action_with_valid_ids():
    variants = {v["properties"]["action_type"]["enum"][0]: v for v in SCHEMA["anyOf"]}
    assert list(variants) == allowed_actions(OBS)
    assert variants["vote"]["properties"]["target_id"]["enum"] == ["p1", "p2"]
    assert variants["propose_interaction"]["properties"]["target_id"]["enum"] == ["h1", "h2"]  # not itself
    assert variants["claim_task"]["properties"]["target_id"]["enum"] == ["t1"]
    assert variants["propose_interaction"]["properties"]["tau"] == {
        "type": "number",
        "minimum": -100.0,
        "maximum": 100.0,
    }
    assert variants["post"]["properties"]["content"]["maxLength"] == 120
    for v in variants.values():
        assert v["required"] == list(v["properties"]) and v["additionalProperties"] is False


async def test_openai_structured_outputs_form(scripted_server):
    """api.openai.com's form: json_schema, strict, an object at the root (the union wrapped under the
    schema's name), no minLength/maxLength; the answer is unwrapped."""
    scripted_server.add(200, openai_ok(json.dumps({"action": VOTE})))
    client = create_provider(
        "openai", base_url=scripted_server.url + "/v1", api_key="k", schema_form="json_schema"
    )
    resp = await client.complete(req("openai", "gpt-4o-mini"))
    assert json.loads(resp.text) == VOTE
    fmt = scripted_server.requests[0]["json"]["response_format"]
    assert fmt["type"] == "json_schema"
    js = fmt["json_schema"]
    assert js["name"] == "action" and js["strict"] is True
    assert js["schema"] == {
        "type": "object",
        "properties": {"action": strict_schema(SCHEMA)},
        "required": ["action"],
        "additionalProperties": False,
    }
    assert "maxLength" not in json.dumps(js["schema"])


def test_openai_official_endpoint_defaults_to_json_schema(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    client = create_provider("openai", api_key="k")
    assert client.inner.build_params(req("openai", "gpt-4o-mini"))["response_format"]["type"] == "json_schema"


async def test_openai_compatible_llama_cpp_form(scripted_server):
    """A base_url (llama.cpp, llama-cpp-python): `json_object` with the schema, compiled to a grammar;
    `cache_prompt` asks llama.cpp's server to reuse the prompt prefix."""
    scripted_server.add(200, openai_ok(json.dumps(VOTE)))
    client = create_provider("openai", base_url=scripted_server.url + "/v1", cache_prompt=True)
    resp = await client.complete(req("openai", "local"))
    assert json.loads(resp.text) == VOTE
    body = scripted_server.requests[0]["json"]
    assert body["response_format"] == {"type": "json_object", "schema": SCHEMA}
    assert body["cache_prompt"] is True


async def test_ollama_format_is_the_schema(scripted_server):
    scripted_server.add(
        200,
        {"model": "llama3", "message": {"role": "assistant", "content": json.dumps(VOTE)}, "done": True},
    )
    client = create_provider("ollama", base_url=scripted_server.url)
    resp = await client.complete(req("ollama", "llama3"))
    assert json.loads(resp.text) == VOTE
    assert scripted_server.requests[0]["json"]["format"] == SCHEMA


def anthropic_tool_answer(value: dict, name: str = "action") -> dict:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [
            {"type": "text", "text": "ignored prose"},
            {"type": "tool_use", "id": "tu_1", "name": name, "input": value},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 11, "output_tokens": 7},
    }


async def test_anthropic_tool_use_form(scripted_server):
    """A tool whose input_schema is the schema (object root), tool_choice forcing it, the answer read from
    the tool_use block, never from the text blocks; no JSON-only line in the system prompt."""
    scripted_server.add(200, anthropic_tool_answer({"action": VOTE}))
    client = create_provider("anthropic", base_url=scripted_server.url, api_key="k")
    resp = await client.complete(req("anthropic", "claude-test"))
    assert json.loads(resp.text) == VOTE
    body = scripted_server.requests[0]["json"]
    [tool] = body["tools"]
    assert tool["name"] == "action"
    assert tool["input_schema"]["properties"]["action"] == SCHEMA
    assert tool["input_schema"]["type"] == "object"
    assert body["tool_choice"] == {"type": "tool", "name": "action"}
    assert "single JSON object" not in body.get("system", "")


async def test_anthropic_answer_without_the_tool_block_is_a_request_error(scripted_server):
    scripted_server.add(200, anthropic_tool_answer(VOTE, name="other"))
    client = create_provider("anthropic", base_url=scripted_server.url, api_key="k", max_retries=0)
    with pytest.raises(LLMRequestError, match="no tool_use block"):
        await client.complete(req("anthropic", "claude-test"))


async def test_agent_counts_schema_first_time_and_repairs(scripted_server, monkeypatch):
    """Through the agent: the request carries the observation's schema; a valid first answer is on the
    schema path, an invalid one (a number the grammar could not bound) is repaired."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    bad = {"action_type": "claim_task", "target_id": "t1", "effort": 7, "signal_boost": 0}
    good = {"action_type": "claim_task", "target_id": "t1", "effort": 0.7, "signal_boost": 0}
    for answer in (VOTE, bad, good):
        scripted_server.add(200, openai_ok(json.dumps(answer)))
    cfg = LLMConfig(provider="openai", model="local", base_url=scripted_server.url + "/v1", max_retries=0)
    agent = LLMAgent("llm_1", cfg)
    first = await agent.act_async(OBS)
    second = await agent.act_async(sample_observation("llm_1", step=1))
    assert (first.action_type, first.target_id, first.vote) == (ActionType.VOTE, "p2", -1)
    assert (second.action_type, second.effort) == (ActionType.CLAIM_TASK, 0.7)
    sent = scripted_server.requests[0]["json"]["response_format"]
    assert sent == {"type": "json_object", "schema": SCHEMA | {"anyOf": sent["schema"]["anyOf"]}}
    assert sent["schema"]["anyOf"][1]["properties"]["content"]["maxLength"] == 200
    s = agent.usage_stats()
    assert s["decision_paths"] == {
        "schema_first_time": 1,
        "parsed_first_time": 0,
        "repaired": 1,
        "invalid_noop": 0,
        "error_noop": 0,
    }
    assert s["first_time_rate"] == 0.5 and s["valid_action_rate"] == 1.0 and s["structured_output"] is True


def test_structured_output_off_and_dry_run_send_no_schema():
    obs = sample_observation("a")
    off = LLMAgent("a", LLMConfig(provider="openai", model="m", structured_output=False))
    dry = LLMAgent("a", LLMConfig(provider="dry_run"))
    on = LLMAgent("a", LLMConfig(provider="ollama"))
    assert off.build_request(obs).response_schema is None
    assert dry.build_request(obs).response_schema is None
    assert on.build_request(obs).response_schema == action_schema(obs, allowed_actions(obs), 10, 200)


def test_schema_is_part_of_the_request_key_only_when_given():
    from distsafe.llm import request_key

    plain = LLMRequest("openai", "m", MESSAGES)
    assert "response_schema" not in plain.to_dict()
    with_schema = LLMRequest("openai", "m", MESSAGES, response_schema=SCHEMA)
    assert request_key(with_schema) != request_key(plain)
    assert LLMRequest.from_dict(with_schema.to_dict()) == with_schema
