"""The dry-run provider: deterministic, offline, and ignorant of any prompt protocol (a responder supplies
it)."""

from __future__ import annotations

import json

import pytest

from distsafe.llm import ChatMessage, DryRunClient, LLMRequest, request_key
from distsafe.llm.dry_run import GARBAGE_ANSWERS, dry_run_answer


def req(text: str = "hi", **kw) -> LLMRequest:
    return LLMRequest(provider="dry_run", model="dry-run", messages=(ChatMessage("user", text),), **kw)


def test_generic_answers_derive_from_the_request_hash():
    r = req()
    digest = request_key(r)
    assert json.loads(dry_run_answer(r)) == {"dry_run": True, "digest": digest[:16]}
    assert dry_run_answer(req(json_mode=False)) == f"dry-run reply {request_key(req(json_mode=False))[:12]}"
    assert dry_run_answer(r) == dry_run_answer(req()) != dry_run_answer(req("other"))


def test_a_responder_answers_json_requests_and_none_falls_back():
    asked: list[LLMRequest] = []

    def responder(request: LLMRequest) -> str | None:
        asked.append(request)
        return '{"mine": 1}' if "mine" in request.messages[0].content else None

    assert dry_run_answer(req("mine please"), responder=responder) == '{"mine": 1}'
    assert json.loads(dry_run_answer(req("other"), responder=responder))["dry_run"] is True
    assert dry_run_answer(req("mine", json_mode=False), responder=responder).startswith("dry-run reply")
    assert len(asked) == 2  # free-text requests never reach the responder


def test_garbage_rate_is_drawn_from_the_hash_before_the_responder():
    texts = [
        dry_run_answer(req(f"q{i}"), garbage_rate=0.5, responder=lambda r: '{"ok": 1}') for i in range(200)
    ]
    garbage = [t for t in texts if t in GARBAGE_ANSWERS]
    assert 60 < len(garbage) < 140 and all(t == '{"ok": 1}' for t in texts if t not in GARBAGE_ANSWERS)
    assert all(dry_run_answer(req(f"q{i}"), garbage_rate=1.0) in GARBAGE_ANSWERS for i in range(20))
    with pytest.raises(ValueError, match="garbage_rate"):
        DryRunClient(garbage_rate=1.5)


async def test_client_counts_calls_and_estimates_tokens():
    client = DryRunClient()
    r = LLMRequest(provider="dry_run", model="", messages=(ChatMessage("user", "x" * 40),), max_tokens=2)
    resp = await client.complete(r)
    assert (resp.provider, resp.model, resp.input_tokens, resp.cached) == ("dry_run", "dry-run", 10, False)
    assert resp.output_tokens == 2  # capped at max_tokens
    assert client.calls == 1 and (await client.complete(r)) == resp
