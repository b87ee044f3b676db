"""The factory in the package face: provider names, options, and the retry wrapper around every provider."""

from __future__ import annotations

import json

import pytest

from distsafe.llm import (
    PROVIDER_NAMES,
    ChatMessage,
    DryRunClient,
    LLMConfigError,
    LLMRequest,
    RetryingClient,
    RetryPolicy,
    create_provider,
)


def req(text: str = "hi") -> LLMRequest:
    return LLMRequest(provider="dry_run", model="m", messages=(ChatMessage("user", text),))


def test_unknown_provider():
    with pytest.raises(LLMConfigError, match="unknown LLM provider 'gemini'"):
        create_provider("gemini")


@pytest.mark.parametrize("name", ["dry_run", "Dry-Run", " DRY_RUN "])
async def test_names_are_forgiving_and_every_client_is_wrapped_in_retries(name):
    client = create_provider(name, max_retries=5, timeout=7)
    assert isinstance(client, RetryingClient) and isinstance(client.inner, DryRunClient)
    assert client.policy.max_retries == 5 and client.inner.timeout == 7.0
    assert client.provider_name == "dry_run"
    assert (await client.complete(req())).provider == "dry_run"


def test_retry_policy_option_wins_over_max_retries():
    policy = RetryPolicy(max_retries=0)
    assert create_provider("dry_run", max_retries=5, retry_policy=policy).policy is policy


async def test_options_go_to_the_provider():
    client = create_provider("dry_run", garbage_rate=1.0)
    assert client.inner.garbage_rate == 1.0
    with pytest.raises(json.JSONDecodeError):
        json.loads((await client.complete(req())).text)  # every JSON answer is garbage on purpose
    answer = await create_provider("dry_run", responder=lambda r: '{"x": 1}').complete(req())
    assert answer.text == '{"x": 1}'


def test_provider_names_are_the_agent_config_values():
    from distsafe.agents.llm import LLMProvider

    assert set(PROVIDER_NAMES) == {p.value for p in LLMProvider}
