"""Wire-format tests for the Anthropic, Ollama and OpenAI-compatible providers against scripted servers."""

from __future__ import annotations

import pytest

from distsafe.llm import (
    ChatMessage,
    LLMConfigError,
    LLMConnectionError,
    LLMRateLimitError,
    LLMRequest,
    LLMRequestError,
    LLMTransientError,
    RetryPolicy,
    create_provider,
)
from distsafe.llm.ollama_provider import normalize_host

MESSAGES = (ChatMessage("system", "You are terse."), ChatMessage("user", "Say hi as JSON."))


def fast_retry(max_retries: int = 2, delays: list | None = None) -> RetryPolicy:
    async def sleep(d: float) -> None:
        if delays is not None:
            delays.append(d)
    return RetryPolicy(max_retries=max_retries, backoff_base_s=0.01, jitter=0.0, sleep=sleep)


def anthropic_ok(text: str = '{"hi": 1}', inp: int = 11, out: int = 7) -> dict:
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test",
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": inp, "output_tokens": out}}


def anthropic_err(kind: str, msg: str) -> dict:
    return {"type": "error", "error": {"type": kind, "message": msg}}


def ollama_ok(text: str = '{"hi": 1}') -> dict:
    return {"model": "llama3", "created_at": "2024-01-01T00:00:00Z", "message": {"role": "assistant", "content": text},
            "done": True, "prompt_eval_count": 21, "eval_count": 5}


def openai_ok(text: str = '{"hi": 1}') -> dict:
    return {"id": "c1", "object": "chat.completion", "created": 0, "model": "local-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 13, "completion_tokens": 4, "total_tokens": 17}}


def req(provider: str, model: str, **kw) -> LLMRequest:
    return LLMRequest(provider=provider, model=model, messages=MESSAGES, temperature=0.3, max_tokens=64, **kw)


# ---- Anthropic ------------------------------------------------------------------------------------------
async def test_anthropic_request_shape_and_response(scripted_server):
    scripted_server.add(200, anthropic_ok('{"action_type": "noop"}', 11, 7))
    client = create_provider("anthropic", base_url=scripted_server.url, api_key="test-key",
                             retry_policy=fast_retry())
    resp = await client.complete(req("anthropic", "claude-test"))
    assert resp.text == '{"action_type": "noop"}'
    assert (resp.input_tokens, resp.output_tokens, resp.provider, resp.model) == (11, 7, "anthropic", "claude-test")
    [r] = scripted_server.requests
    assert r["path"] == "/v1/messages"
    # The key travels as x-api-key (classic SDKs) or as a bearer token (recent SDKs).
    assert r["headers"].get("x-api-key") == "test-key" or r["headers"].get("authorization") == "Bearer test-key"
    assert "anthropic-version" in r["headers"]
    body = r["json"]
    assert body["model"] == "claude-test"
    assert body["stream"] is False
    assert body["max_tokens"] == 64 and body["temperature"] == 0.3
    assert body["system"].startswith("You are terse.") and "single JSON object" in body["system"]
    assert body["messages"] == [{"role": "user", "content": "Say hi as JSON."}]
    await client.aclose()


async def test_anthropic_429_is_retried_with_retry_after(scripted_server):
    delays: list[float] = []
    scripted_server.add(429, anthropic_err("rate_limit_error", "slow down"), {"retry-after": "0.05"})
    scripted_server.add(529, anthropic_err("overloaded_error", "busy"))
    scripted_server.add(200, anthropic_ok())
    client = create_provider("anthropic", base_url=scripted_server.url, api_key="k",
                             retry_policy=fast_retry(3, delays))
    resp = await client.complete(req("anthropic", "claude-test"))
    assert resp.text == '{"hi": 1}'
    assert len(scripted_server.requests) == 3
    assert delays[0] == pytest.approx(0.05)  # Retry-After honoured (longer than the 0.01 s backoff)
    assert delays[1] == pytest.approx(0.02)  # then exponential backoff


async def test_anthropic_429_exhausted_raises_rate_limit(scripted_server):
    scripted_server.default = (429, anthropic_err("rate_limit_error", "slow down"), {})
    client = create_provider("anthropic", base_url=scripted_server.url, api_key="k", retry_policy=fast_retry(2))
    with pytest.raises(LLMRateLimitError) as err:
        await client.complete(req("anthropic", "claude-test"))
    assert len(scripted_server.requests) == 3
    assert err.value.status == 429 and "gave up after 3 attempts" in str(err.value)
    assert "\n" not in str(err.value)


async def test_anthropic_auth_and_bad_request_are_not_retried(scripted_server):
    scripted_server.add(401, anthropic_err("authentication_error", "invalid x-api-key"))
    scripted_server.add(400, anthropic_err("invalid_request_error", "max_tokens too large"))
    client = create_provider("anthropic", base_url=scripted_server.url, api_key="bad", retry_policy=fast_retry())
    with pytest.raises(LLMConfigError, match="ANTHROPIC_API_KEY"):
        await client.complete(req("anthropic", "claude-test"))
    with pytest.raises(LLMRequestError, match="HTTP 400"):
        await client.complete(req("anthropic", "claude-test"))
    assert len(scripted_server.requests) == 2


async def test_anthropic_drops_temperature_when_the_model_rejects_it(scripted_server):
    scripted_server.add(400, anthropic_err("invalid_request_error", "temperature: not supported for this model"))
    scripted_server.add(200, anthropic_ok()).add(200, anthropic_ok())
    client = create_provider("anthropic", base_url=scripted_server.url, api_key="k", retry_policy=fast_retry())
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
    assert client._api_key == "from-env"


async def test_anthropic_merges_turns_and_clamps_temperature():
    from distsafe.llm.anthropic_provider import AnthropicClient
    r = LLMRequest(provider="anthropic", model="m", temperature=1.5, json_mode=False, messages=(
        ChatMessage("system", "S"), ChatMessage("assistant", "a0"), ChatMessage("user", "u1"),
        ChatMessage("user", "u2")))
    p = AnthropicClient.build_params(r)
    assert p["extra_body"]["temperature"] == 1.0 and p["system"] == "S"
    assert "extra_body" not in AnthropicClient.build_params(r, send_temperature=False)
    assert [t["role"] for t in p["messages"]] == ["user", "assistant", "user"]
    assert p["messages"][2]["content"] == "u1\n\nu2"


async def test_server_down_is_a_connection_error(free_port):
    client = create_provider("anthropic", base_url=f"http://127.0.0.1:{free_port}", api_key="k",
                             retry_policy=fast_retry(1), timeout=5)
    with pytest.raises(LLMConnectionError, match="cannot connect"):
        await client.complete(req("anthropic", "claude-test"))


# ---- Ollama ---------------------------------------------------------------------------------------------
async def test_ollama_request_shape(scripted_server):
    scripted_server.add(200, ollama_ok('{"action_type": "post", "content": "x"}'))
    client = create_provider("ollama", base_url=scripted_server.url, retry_policy=fast_retry())
    resp = await client.complete(req("ollama", "llama3"))
    assert resp.text == '{"action_type": "post", "content": "x"}'
    assert (resp.input_tokens, resp.output_tokens, resp.provider) == (21, 5, "ollama")
    [r] = scripted_server.requests
    assert r["path"] == "/api/chat"
    assert "authorization" not in r["headers"]
    body = r["json"]
    assert body["model"] == "llama3" and body["stream"] is False and body["format"] == "json"
    assert body["options"] == {"temperature": 0.3, "num_predict": 64}
    assert body["messages"][0] == {"role": "system", "content": "You are terse."}
    assert body["messages"][1]["role"] == "user"


async def test_ollama_without_json_mode_sends_no_format(scripted_server):
    scripted_server.add(200, ollama_ok("plain"))
    client = create_provider("ollama", base_url=scripted_server.url)
    resp = await client.complete(req("ollama", "llama3", json_mode=False))
    assert resp.text == "plain" and "format" not in scripted_server.requests[0]["json"]


async def test_ollama_retries_429_and_5xx(scripted_server):
    delays: list[float] = []
    scripted_server.add(429, {"error": "too many requests"}).add(503, {"error": "loading model"})
    scripted_server.add(200, ollama_ok())
    client = create_provider("ollama", base_url=scripted_server.url, retry_policy=fast_retry(3, delays))
    resp = await client.complete(req("ollama", "llama3"))
    assert resp.text == '{"hi": 1}' and len(scripted_server.requests) == 3
    assert delays == [pytest.approx(0.01), pytest.approx(0.02)]


async def test_ollama_errors(scripted_server):
    scripted_server.add(404, {"error": "model 'nope' not found, try pulling it first"})
    scripted_server.add(400, {"error": "invalid options"})
    scripted_server.add(200, {"model": "llama3", "done": True})
    client = create_provider("ollama", base_url=scripted_server.url, retry_policy=fast_retry())
    with pytest.raises(LLMConfigError, match="ollama pull nope"):
        await client.complete(req("ollama", "nope"))
    with pytest.raises(LLMRequestError, match="invalid options"):
        await client.complete(req("ollama", "llama3"))
    with pytest.raises(LLMRequestError, match="message.content"):
        await client.complete(req("ollama", "llama3"))


async def test_ollama_5xx_exhausted(scripted_server):
    scripted_server.default = (500, {"error": "boom"}, {})
    client = create_provider("ollama", base_url=scripted_server.url, retry_policy=fast_retry(1))
    with pytest.raises(LLMTransientError, match="HTTP 500") as err:
        await client.complete(req("ollama", "llama3"))
    assert not isinstance(err.value, LLMRateLimitError)
    assert len(scripted_server.requests) == 2


async def test_ollama_server_missing(free_port, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{free_port}")
    client = create_provider("ollama", retry_policy=fast_retry(1), timeout=5)
    assert client.base_url == f"http://127.0.0.1:{free_port}"
    with pytest.raises(LLMConnectionError, match="ollama serve"):
        await client.complete(req("ollama", "llama3"))


def test_ollama_host_normalization():
    assert normalize_host("0.0.0.0") == "http://127.0.0.1:11434"
    assert normalize_host("example.lan:8080/") == "http://example.lan:8080"
    assert normalize_host("https://ollama.example") == "https://ollama.example:11434"


# ---- OpenAI (compatible server) -----------------------------------------------------------------------
async def test_openai_compatible_request_shape(scripted_server, monkeypatch):
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
    params = client.build_params(req("openai", "gpt-4o-mini", json_mode=False))
    assert params["max_completion_tokens"] == 64 and "max_tokens" not in params
    assert "response_format" not in params


def test_unknown_provider():
    with pytest.raises(LLMConfigError, match="unknown LLM provider 'gemini'"):
        create_provider("gemini")


def test_clients_survive_one_event_loop_per_call(scripted_server):
    """`LLMAgent.act()` runs `asyncio.run` per call: pooled clients must follow the new loop each time."""
    import asyncio
    for _ in range(3):
        scripted_server.add(200, ollama_ok("o")).add(200, openai_ok("a"))
    ollama = create_provider("ollama", base_url=scripted_server.url, retry_policy=fast_retry())
    openai_client = create_provider("openai", base_url=scripted_server.url + "/v1", api_key="k",
                                    retry_policy=fast_retry())
    for _ in range(3):
        assert asyncio.run(ollama.complete(req("ollama", "llama3"))).text == "o"
        assert asyncio.run(openai_client.complete(req("openai", "m"))).text == "a"
    assert len(scripted_server.requests) == 6


async def test_concurrent_requests_share_one_client(scripted_server):
    import asyncio
    scripted_server.default = (200, ollama_ok("same"), {})
    client = create_provider("ollama", base_url=scripted_server.url)
    out = await asyncio.gather(*[client.complete(req("ollama", "llama3")) for _ in range(6)])
    assert [r.text for r in out] == ["same"] * 6 and len(scripted_server.requests) == 6
    await client.aclose()
