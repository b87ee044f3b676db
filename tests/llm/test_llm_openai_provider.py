"""Wire format of the OpenAI provider (official endpoint and compatible servers)."""

from __future__ import annotations

import pytest

from distsafe.llm import (
    ChatMessage,
    LLMConfigError,
    LLMRequest,
    create_provider,
)

MESSAGES = (ChatMessage("system", "You are terse."), ChatMessage("user", "Say hi as JSON."))


def req(provider: str, model: str, **kw) -> LLMRequest:
    return LLMRequest(provider=provider, model=model, messages=MESSAGES, temperature=0.3, max_tokens=64, **kw)


def openai_ok(text: str = '{"hi": 1}') -> dict:
    return {
        "id": "c1",
        "object": "chat.completion",
        "created": 0,
        "model": "local-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 13, "completion_tokens": 4, "total_tokens": 17},
    }


async def test_openai_compatible_request_shape(scripted_server, monkeypatch, fast_retry):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    scripted_server.add(500, {"error": {"message": "warming up"}}).add(200, openai_ok('{"a": 1}'))
    client = create_provider("openai", base_url=scripted_server.url + "/v1", retry_policy=fast_retry())
    resp = await client.complete(req("openai", "local-model"))
    assert resp.text == '{"a": 1}' and (resp.input_tokens, resp.output_tokens) == (13, 4)
    assert len(scripted_server.requests) == 2
    r = scripted_server.requests[1]
    assert r["path"] == "/v1/chat/completions"
    assert r["headers"]["authorization"] == "Bearer sk-no-key-required"
    body = r["json"]
    assert body["stream"] is False and body["max_tokens"] == 64 and body["temperature"] == 0.3
    assert body["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


def test_openai_missing_key_without_base_url(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(LLMConfigError, match="OPENAI_API_KEY is not set"):
        create_provider("openai")


def test_openai_official_endpoint_uses_max_completion_tokens(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    client = create_provider("openai", api_key="k")
    params = client.inner.build_params(req("openai", "gpt-4o-mini", json_mode=False))
    assert params["max_completion_tokens"] == 64 and "max_tokens" not in params
    assert "response_format" not in params


def test_openai_client_survives_one_event_loop_per_call(scripted_server, fast_retry):
    """`LLMAgent.act()` runs `asyncio.run` per call: the SDK client must follow the new loop each time."""
    import asyncio

    for _ in range(3):
        scripted_server.add(200, openai_ok("a"))
    client = create_provider(
        "openai", base_url=scripted_server.url + "/v1", api_key="k", retry_policy=fast_retry()
    )
    for _ in range(3):
        assert asyncio.run(client.complete(req("openai", "m"))).text == "a"
    assert len(scripted_server.requests) == 3
