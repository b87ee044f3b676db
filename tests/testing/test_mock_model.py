"""`ScriptedModel`, the mock model for tests (scripted answers and errors, requests kept, fixed token
counts), and `sample_observation`."""

from __future__ import annotations

import pytest

from distsafe.llm import ChatMessage, LLMClient, LLMRequest, LLMTransientError
from distsafe.testing import ScriptedModel, sample_observation

REQ = LLMRequest(provider="openai", model="m1", messages=(ChatMessage("user", "hi"),))


async def test_answers_in_order_raises_scripted_errors_and_keeps_requests():
    model = ScriptedModel("first", LLMTransientError("busy"), input_tokens=7, output_tokens=3).add("third")
    assert isinstance(model, LLMClient)
    r = await model.complete(REQ)
    assert (r.text, r.input_tokens, r.output_tokens, r.model, r.provider) == ("first", 7, 3, "m1", "openai")
    with pytest.raises(LLMTransientError, match="busy"):
        await model.complete(REQ)
    assert (await model.complete(REQ)).text == "third"
    assert model.requests == [REQ] * 3
    with pytest.raises(AssertionError, match="no scripted answer left"):
        await model.complete(REQ)


def test_sample_observation_defaults_and_overrides():
    obs = sample_observation("a7", step=4, frozen=True, posts_left=0)
    assert (obs.agent_id, obs.epoch, obs.step, obs.posts_left, obs.votes_left) == ("a7", 1, 4, 0, 2)
    assert obs.state.is_frozen and obs.state.resources == 100.0
    assert [p.post_id for p in obs.visible_posts] == ["p1", "p2"]
    assert [p.agent_id for p in obs.peers] == ["h1", "h2", "a7"]
