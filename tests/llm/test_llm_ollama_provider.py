"""Wire format of the Ollama provider against a scripted server: shape, retries, errors, host."""

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
    create_provider,
)
from distsafe.llm.ollama_provider import normalize_host

MESSAGES = (ChatMessage("system", "You are terse."), ChatMessage("user", "Say hi as JSON."))


def req(provider: str, model: str, **kw) -> LLMRequest:
    return LLMRequest(provider=provider, model=model, messages=MESSAGES, temperature=0.3, max_tokens=64, **kw)


def ollama_ok(text: str = '{"hi": 1}') -> dict:
    return {
        "model": "llama3",
        "created_at": "2024-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": text},
        "done": True,
        "prompt_eval_count": 21,
        "eval_count": 5,
    }


async def test_ollama_request_shape(scripted_server, fast_retry):
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


async def test_ollama_retries_429_and_5xx(scripted_server, fast_retry):
    delays: list[float] = []
    scripted_server.add(429, {"error": "too many requests"}).add(503, {"error": "loading model"})
    scripted_server.add(200, ollama_ok())
    client = create_provider("ollama", base_url=scripted_server.url, retry_policy=fast_retry(3, delays))
    resp = await client.complete(req("ollama", "llama3"))
    assert resp.text == '{"hi": 1}' and len(scripted_server.requests) == 3
    assert delays == [pytest.approx(0.01), pytest.approx(0.02)]


async def test_ollama_errors(scripted_server, fast_retry):
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


async def test_ollama_5xx_exhausted(scripted_server, fast_retry):
    scripted_server.default = (500, {"error": "boom"}, {})
    client = create_provider("ollama", base_url=scripted_server.url, retry_policy=fast_retry(1))
    with pytest.raises(LLMTransientError, match="HTTP 500") as err:
        await client.complete(req("ollama", "llama3"))
    assert not isinstance(err.value, LLMRateLimitError)
    assert len(scripted_server.requests) == 2


async def test_ollama_server_missing(free_port, monkeypatch, fast_retry):
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{free_port}")
    client = create_provider("ollama", retry_policy=fast_retry(1), timeout=5)
    assert client.inner.base_url == f"http://127.0.0.1:{free_port}"
    with pytest.raises(LLMConnectionError, match="ollama serve"):
        await client.complete(req("ollama", "llama3"))


def test_ollama_host_normalization():
    assert normalize_host("0.0.0.0") == "http://127.0.0.1:11434"
    assert normalize_host("example.lan:8080/") == "http://example.lan:8080"
    assert normalize_host("https://ollama.example") == "https://ollama.example:11434"


def test_ollama_client_survives_one_event_loop_per_call(scripted_server, fast_retry):
    """`LLMAgent.act()` runs `asyncio.run` per call: the pooled client must follow the new loop each time."""
    import asyncio

    for _ in range(3):
        scripted_server.add(200, ollama_ok("o"))
    client = create_provider("ollama", base_url=scripted_server.url, retry_policy=fast_retry())
    for _ in range(3):
        assert asyncio.run(client.complete(req("ollama", "llama3"))).text == "o"
    assert len(scripted_server.requests) == 3


async def test_concurrent_requests_share_one_client(scripted_server):
    import asyncio

    scripted_server.default = (200, ollama_ok("same"), {})
    client = create_provider("ollama", base_url=scripted_server.url)
    out = await asyncio.gather(*[client.complete(req("ollama", "llama3")) for _ in range(6)])
    assert [r.text for r in out] == ["same"] * 6 and len(scripted_server.requests) == 6
    await client.aclose()
