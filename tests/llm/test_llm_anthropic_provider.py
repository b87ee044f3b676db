"""Wire format of the Anthropic provider against a scripted server: shape, retries, errors."""

from __future__ import annotations

import pytest

from distsafe.llm import (
    ChatMessage,
    LLMConfigError,
    LLMConnectionError,
    LLMRateLimitError,
    LLMRequest,
    LLMRequestError,
    create_provider,
)

MESSAGES = (ChatMessage("system", "You are terse."), ChatMessage("user", "Say hi as JSON."))


def req(provider: str, model: str, **kw) -> LLMRequest:
    return LLMRequest(provider=provider, model=model, messages=MESSAGES, temperature=0.3, max_tokens=64, **kw)


def anthropic_ok(text: str = '{"hi": 1}', inp: int = 11, out: int = 7) -> dict:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": inp, "output_tokens": out},
    }


def anthropic_err(kind: str, msg: str) -> dict:
    return {"type": "error", "error": {"type": kind, "message": msg}}


async def test_anthropic_request_shape_and_response(scripted_server, fast_retry):
    scripted_server.add(200, anthropic_ok('{"action_type": "noop"}', 11, 7))
    client = create_provider(
        "anthropic", base_url=scripted_server.url, api_key="test-key", retry_policy=fast_retry()
    )
    resp = await client.complete(req("anthropic", "claude-test"))
    assert resp.text == '{"action_type": "noop"}'
    assert (resp.input_tokens, resp.output_tokens, resp.provider, resp.model) == (
        11,
        7,
        "anthropic",
        "claude-test",
    )
    [r] = scripted_server.requests
    assert r["path"] == "/v1/messages"
    # The key travels as x-api-key (classic SDKs) or as a bearer token (recent SDKs).
    assert (
        r["headers"].get("x-api-key") == "test-key" or r["headers"].get("authorization") == "Bearer test-key"
    )
    assert "anthropic-version" in r["headers"]
    body = r["json"]
    assert body["model"] == "claude-test"
    assert body["stream"] is False
    assert body["max_tokens"] == 64 and body["temperature"] == 0.3
    assert body["system"].startswith("You are terse.") and "single JSON object" in body["system"]
    assert body["messages"] == [{"role": "user", "content": "Say hi as JSON."}]
    await client.aclose()


async def test_anthropic_429_is_retried_with_retry_after(scripted_server, fast_retry):
    delays: list[float] = []
    scripted_server.add(429, anthropic_err("rate_limit_error", "slow down"), {"retry-after": "0.05"})
    scripted_server.add(529, anthropic_err("overloaded_error", "busy"))
    scripted_server.add(200, anthropic_ok())
    client = create_provider(
        "anthropic", base_url=scripted_server.url, api_key="k", retry_policy=fast_retry(3, delays)
    )
    resp = await client.complete(req("anthropic", "claude-test"))
    assert resp.text == '{"hi": 1}'
    assert len(scripted_server.requests) == 3
    assert delays[0] == pytest.approx(0.05)  # Retry-After honoured (longer than the 0.01 s backoff)
    assert delays[1] == pytest.approx(0.02)  # then exponential backoff


async def test_anthropic_429_exhausted_raises_rate_limit(scripted_server, fast_retry):
    scripted_server.default = (429, anthropic_err("rate_limit_error", "slow down"), {})
    client = create_provider(
        "anthropic", base_url=scripted_server.url, api_key="k", retry_policy=fast_retry(2)
    )
    with pytest.raises(LLMRateLimitError) as err:
        await client.complete(req("anthropic", "claude-test"))
    assert len(scripted_server.requests) == 3
    assert err.value.status == 429 and "gave up after 3 attempts" in str(err.value)
    assert "\n" not in str(err.value)


async def test_anthropic_auth_and_bad_request_are_not_retried(scripted_server, fast_retry):
    scripted_server.add(401, anthropic_err("authentication_error", "invalid x-api-key"))
    scripted_server.add(400, anthropic_err("invalid_request_error", "max_tokens too large"))
    client = create_provider(
        "anthropic", base_url=scripted_server.url, api_key="bad", retry_policy=fast_retry()
    )
    with pytest.raises(LLMConfigError, match="ANTHROPIC_API_KEY"):
        await client.complete(req("anthropic", "claude-test"))
    with pytest.raises(LLMRequestError, match="HTTP 400"):
        await client.complete(req("anthropic", "claude-test"))
    assert len(scripted_server.requests) == 2


async def test_anthropic_drops_temperature_when_the_model_rejects_it(scripted_server, fast_retry):
    scripted_server.add(
        400, anthropic_err("invalid_request_error", "temperature: not supported for this model")
    )
    scripted_server.add(200, anthropic_ok()).add(200, anthropic_ok())
    client = create_provider(
        "anthropic", base_url=scripted_server.url, api_key="k", retry_policy=fast_retry()
    )
    assert (await client.complete(req("anthropic", "claude-test"))).text == '{"hi": 1}'
    assert (await client.complete(req("anthropic", "claude-test"))).text == '{"hi": 1}'
    bodies = [r["json"] for r in scripted_server.requests]
    assert "temperature" in bodies[0] and "temperature" not in bodies[1] and "temperature" not in bodies[2]


def test_anthropic_missing_key_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(LLMConfigError, match="ANTHROPIC_API_KEY is not set"):
        create_provider("anthropic")


def test_anthropic_key_from_env(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "from-env")
    client = create_provider("anthropic", base_url="http://127.0.0.1:9")
    assert client.inner._api_key == "from-env"


async def test_anthropic_merges_turns_and_clamps_temperature():
    from distsafe.llm.anthropic_provider import AnthropicClient

    r = LLMRequest(
        provider="anthropic",
        model="m",
        temperature=1.5,
        json_mode=False,
        messages=(
            ChatMessage("system", "S"),
            ChatMessage("assistant", "a0"),
            ChatMessage("user", "u1"),
            ChatMessage("user", "u2"),
        ),
    )
    p = AnthropicClient.build_params(r)
    assert p["extra_body"]["temperature"] == 1.0 and p["system"] == "S"
    assert "extra_body" not in AnthropicClient.build_params(r, send_temperature=False)
    assert [t["role"] for t in p["messages"]] == ["user", "assistant", "user"]
    assert p["messages"][2]["content"] == "u1\n\nu2"


async def test_server_down_is_a_connection_error(free_port, fast_retry):
    client = create_provider(
        "anthropic",
        base_url=f"http://127.0.0.1:{free_port}",
        api_key="k",
        retry_policy=fast_retry(1),
        timeout=5,
    )
    with pytest.raises(LLMConnectionError, match="cannot connect"):
        await client.complete(req("anthropic", "claude-test"))
