"""The provider contract: requests, responses and the request key that recording relies on."""

from __future__ import annotations

import pytest

from distsafe.llm import ChatMessage, LLMRequest, LLMResponse, request_key


def req(text: str, **kw) -> LLMRequest:
    return LLMRequest(provider="openai", model="m", messages=(ChatMessage("user", text),), **kw)


def test_request_key_covers_every_parameter():
    base = request_key(req("hi"))
    assert base == request_key(req("hi")) and len(base) == 64
    variants = [
        req("hi!"),
        req("hi", temperature=0.2),
        req("hi", max_tokens=9),
        req("hi", json_mode=False),
        LLMRequest(provider="ollama", model="m", messages=(ChatMessage("user", "hi"),)),
        LLMRequest(provider="openai", model="m2", messages=(ChatMessage("user", "hi"),)),
        LLMRequest(provider="openai", model="m", messages=(ChatMessage("system", "hi"),)),
    ]
    assert len({request_key(v) for v in variants} | {base}) == len(variants) + 1


def test_messages_are_checked_and_frozen():
    with pytest.raises(ValueError, match="role"):
        ChatMessage("tool", "x")
    r = LLMRequest(
        provider="openai", model="m", messages=[ChatMessage("user", "hi")]
    )  # a list becomes a tuple
    assert isinstance(r.messages, tuple)
    with pytest.raises(TypeError, match="ChatMessage"):
        LLMRequest(provider="openai", model="m", messages=(("user", "hi"),))
    with pytest.raises(ValueError, match="max_tokens"):
        req("hi", max_tokens=0)


def test_system_prompt_and_chat_messages_split_the_roles():
    r = LLMRequest(
        provider="anthropic",
        model="m",
        messages=(ChatMessage("system", "A"), ChatMessage("user", "u"), ChatMessage("system", "B")),
    )
    assert r.system_prompt == "A\n\nB"
    assert r.chat_messages == (ChatMessage("user", "u"),)


def test_request_and_response_round_trip_through_dicts():
    r = req("hi", temperature=0.2, max_tokens=9, json_mode=False)
    assert LLMRequest.from_dict(r.to_dict()) == r and request_key(
        LLMRequest.from_dict(r.to_dict())
    ) == request_key(r)
    resp = LLMResponse(text="t", input_tokens=3, output_tokens=1, model="m", provider="openai", cached=True)
    assert LLMResponse.from_dict(resp.to_dict()) == resp
