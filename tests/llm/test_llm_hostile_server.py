"""A misbehaving model server must not crash a run (issue 9, finding 6): every bad answer shape becomes an
`LLMRequestError` naming what is wrong (which the agents turn into a recorded no-op), token counts are
checked before they are recorded or costed, and answers are capped in size. Each shape is served by a
scripted server on 127.0.0.1 to each provider that can receive it."""

from __future__ import annotations

import json

import pytest

from distsafe.llm import (
    DEFAULT_MAX_RESPONSE_CHARS,
    MAX_TOKEN_COUNT,
    ChatMessage,
    LLMRequest,
    LLMRequestError,
    LLMResponse,
    create_provider,
)

MESSAGES = (ChatMessage("system", "You are terse."), ChatMessage("user", "Say hi as JSON."))
DEEP = 5000  # deeper than Python's recursion limit lets json.loads go


def req(provider: str) -> LLMRequest:
    return LLMRequest(provider=provider, model="m", messages=MESSAGES, temperature=0.3, max_tokens=64)


def openai_body(content: object = "hi", usage: object = None, **extra: object) -> dict:
    body: dict = {
        "id": "c1",
        "object": "chat.completion",
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        **extra,
    }
    if usage is not None:
        body["usage"] = usage
    return body


def anthropic_body(content: object = None, usage: object = None) -> dict:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "m",
        "content": [{"type": "text", "text": "hi"}] if content is None else content,
        "usage": {"input_tokens": 3, "output_tokens": 1} if usage is None else usage,
    }


def ollama_body(content: object = "hi", **counts: object) -> dict:
    return {"model": "m", "message": {"role": "assistant", "content": content}, "done": True, **counts}


def client_for(provider: str, server, fast_retry, **kw):
    base = server.url + "/v1" if provider == "openai" else server.url
    return create_provider(provider, base_url=base, api_key="test-key", retry_policy=fast_retry(0), **kw)


NESTED_BYTES = b'{"choices":[{"message":{"content":' + b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"}}]}"

BAD_ANSWERS = {
    "openai": {
        "not json": (b"<html>502 Bad Gateway</html>", "not JSON"),
        "not utf-8": (b"\xff\xfe{}", "not UTF-8"),
        "a json list": (b"[1, 2, 3]", "JSON list, not an object"),
        "nested too deeply": (NESTED_BYTES, "nested too deeply"),
        "content a list of objects": (
            openai_body([{"type": "image", "url": "x"}]),
            "message.content is a list",
        ),
        "content an object": (openai_body({"a": 1}), "message.content is a dict"),
        "choices a string": ({"choices": "x"}, "without choices"),
        "no message": ({"choices": [{"index": 0}]}, "without a message"),
        "usage a string": (openai_body(usage="lots"), "usage is not an object"),
        "usage not an integer": (
            openai_body(usage={"prompt_tokens": "12", "completion_tokens": 1}),
            "usage.prompt_tokens must be an integer",
        ),
        "usage negative": (
            openai_body(usage={"prompt_tokens": 3, "completion_tokens": -5}),
            "usage.completion_tokens must be an integer",
        ),
        "usage absurd": (
            openai_body(usage={"prompt_tokens": 10**30, "completion_tokens": 1}),
            "usage.prompt_tokens must be an integer",
        ),
        "usage a bool": (
            openai_body(usage={"prompt_tokens": True, "completion_tokens": 1}),
            "usage.prompt_tokens must be an integer",
        ),
        "usage a fraction": (
            openai_body(usage={"prompt_tokens": 2.5, "completion_tokens": 1}),
            "usage.prompt_tokens must be an integer",
        ),
    },
    "anthropic": {
        "not json": (b"garbage", "not JSON"),
        "nested too deeply": (b'{"content":' + b"[" * DEEP + b"]" * DEEP + b"}", "nested too deeply"),
        "content a string": (anthropic_body(content="hi"), "without content blocks"),
        "text block without text": (anthropic_body(content=[{"type": "text", "text": 5}]), "without text"),
        "no usage": ({"content": [{"type": "text", "text": "hi"}]}, "without usage"),
        "usage negative": (
            anthropic_body(usage={"input_tokens": -1, "output_tokens": 1}),
            "usage.input_tokens must be an integer",
        ),
        "usage absurd": (
            anthropic_body(usage={"input_tokens": 1, "output_tokens": 1e300}),
            "usage.output_tokens must be an integer",
        ),
        "usage missing counts": (anthropic_body(usage={"x": 1}), "usage without token counts"),
    },
    "ollama": {
        "not json": (b"garbage", "not JSON"),
        "a json string": (b'"hi"', "JSON str, not an object"),
        "nested too deeply": (
            b'{"message":' + b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"}",
            "nested too deeply",
        ),
        "content a list": (ollama_body(["hi"]), "without message.content text"),
        "counts negative": (ollama_body(prompt_eval_count=-3, eval_count=1), "prompt_eval_count must be"),
        "counts a string": (ollama_body(prompt_eval_count=3, eval_count="many"), "eval_count must be"),
        "counts absurd": (ollama_body(prompt_eval_count=3, eval_count=2**70), "eval_count must be"),
    },
}
CASES = [(p, name, body, match) for p, cases in BAD_ANSWERS.items() for name, (body, match) in cases.items()]


@pytest.mark.parametrize(("provider", "name", "body", "match"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
async def test_a_bad_200_answer_is_a_request_error(scripted_server, fast_retry, provider, name, body, match):
    scripted_server.add(200, body)
    client = client_for(provider, scripted_server, fast_retry)
    with pytest.raises(LLMRequestError, match=match) as info:
        await client.complete(req(provider))
    assert "\n" not in str(info.value) and len(str(info.value)) < 600
    assert len(scripted_server.requests) == 1  # not retried: the server answered, badly
    await client.aclose()


@pytest.mark.parametrize("provider", ["openai", "anthropic", "ollama"])
async def test_an_oversized_body_is_refused_before_it_is_read_whole(scripted_server, fast_retry, provider):
    huge = "x" * 600_000
    body = {
        "openai": openai_body(huge),
        "anthropic": anthropic_body([{"type": "text", "text": huge}]),
        "ollama": ollama_body(huge),
    }[provider]
    scripted_server.add(200, body)
    client = client_for(provider, scripted_server, fast_retry, max_response_chars=10_000)
    with pytest.raises(LLMRequestError, match="larger than .* bytes; refused"):
        await client.complete(req(provider))
    await client.aclose()


@pytest.mark.parametrize("provider", ["openai", "anthropic", "ollama"])
async def test_a_long_answer_is_cut_to_max_response_chars(scripted_server, fast_retry, provider):
    long = "y" * 5000
    body = {
        "openai": openai_body(long, usage={"prompt_tokens": 3, "completion_tokens": 2}),
        "anthropic": anthropic_body([{"type": "text", "text": long}]),
        "ollama": ollama_body(long, prompt_eval_count=3, eval_count=2),
    }[provider]
    scripted_server.add(200, body)
    client = client_for(provider, scripted_server, fast_retry, max_response_chars=1000)
    resp = await client.complete(req(provider))
    assert resp.text == "y" * 1000
    await client.aclose()


async def test_openai_text_parts_are_joined_and_counts_checked(scripted_server, fast_retry):
    parts = [{"type": "text", "text": '{"a": '}, {"type": "text", "text": "1}"}]
    scripted_server.add(200, openai_body(parts, usage={"prompt_tokens": 7.0, "completion_tokens": 2}))
    client = client_for("openai", scripted_server, fast_retry)
    resp = await client.complete(req("openai"))
    assert (resp.text, resp.input_tokens, resp.output_tokens) == ('{"a": 1}', 7, 2)
    await client.aclose()


async def test_deeply_nested_json_inside_the_text_is_just_text(scripted_server, fast_retry):
    """Nested JSON inside the content string is the agent's to parse (its repair path), not a crash."""
    from distsafe.llm.json_extract import JSONExtractError, extract_json_object

    text = '{"a":' * DEEP + "1" + "}" * DEEP
    scripted_server.add(200, openai_body(text, usage={"prompt_tokens": 1, "completion_tokens": 1}))
    client = client_for("openai", scripted_server, fast_retry)
    resp = await client.complete(req("openai"))
    assert resp.text == text
    with pytest.raises(JSONExtractError, match="nested too deeply"):
        extract_json_object(resp.text)
    await client.aclose()


async def test_an_echoed_key_is_redacted_from_error_messages(scripted_server, fast_retry):
    secret = "sk-test-SECRET-1234567890"
    scripted_server.add(500, {"error": {"message": f"upstream refused key {secret}"}})
    scripted_server.add(500, {"error": f"upstream refused key {secret}"})
    openai = create_provider(
        "openai", base_url=scripted_server.url + "/v1", api_key=secret, retry_policy=fast_retry(0)
    )
    ollama = create_provider(
        "ollama", base_url=scripted_server.url, api_key=secret, retry_policy=fast_retry(0)
    )
    for client, provider in ((openai, "openai"), (ollama, "ollama")):
        with pytest.raises(Exception) as info:
            await client.complete(req(provider))
        assert secret not in str(info.value) and "<redacted>" in str(info.value)
        await client.aclose()


def test_responses_hold_checked_token_counts():
    ok = LLMResponse(text="t", input_tokens=0, output_tokens=MAX_TOKEN_COUNT, model="m", provider="p")
    assert ok.output_tokens == MAX_TOKEN_COUNT
    for bad in (-1, MAX_TOKEN_COUNT + 1, 2.0, True, "3"):
        with pytest.raises(ValueError, match="input_tokens must be an integer"):
            LLMResponse(text="t", input_tokens=bad, output_tokens=1, model="m", provider="p")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="text must be a str"):
        LLMResponse(text=["t"], input_tokens=1, output_tokens=1, model="m", provider="p")  # type: ignore[arg-type]
    assert DEFAULT_MAX_RESPONSE_CHARS == 65536
    assert json.loads(json.dumps(ok.to_dict()))["output_tokens"] == MAX_TOKEN_COUNT
