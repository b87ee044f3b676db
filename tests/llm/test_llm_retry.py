"""`RetryingClient`: transient failures are retried with backoff, others pass through, give-up is one line."""

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
    RetryingClient,
    RetryPolicy,
)
from distsafe.testing import ScriptedModel

REQ = LLMRequest(provider="openai", model="m", messages=(ChatMessage("user", "hi"),))


async def test_transient_failures_are_retried_with_backoff_and_retry_after(fast_retry):
    delays: list[float] = []
    model = ScriptedModel(
        LLMRateLimitError("429", status=429, retry_after=0.05), LLMTransientError("503", status=503), "ok"
    )
    client = RetryingClient(model, fast_retry(3, delays))
    assert (await client.complete(REQ)).text == "ok"
    assert len(model.requests) == 3
    assert delays == [pytest.approx(0.05), pytest.approx(0.02)]  # Retry-After, then 0.01 * 2**1


@pytest.mark.parametrize(
    "error",
    [
        LLMRateLimitError("slow down", provider="x", status=429),
        LLMConnectionError("refused", provider="x"),
        LLMTransientError("HTTP 500", provider="x", status=500),
    ],
)
async def test_giving_up_keeps_the_class_and_says_how_often(error, fast_retry):
    model = ScriptedModel(*[error] * 3)
    with pytest.raises(type(error)) as err:
        await RetryingClient(model, fast_retry(2)).complete(REQ)
    assert type(err.value) is type(error) and len(model.requests) == 3
    assert str(err.value) == f"{error} (gave up after 3 attempts)"
    assert (err.value.provider, err.value.status) == ("x", error.status)


@pytest.mark.parametrize("error", [LLMConfigError("no key"), LLMRequestError("HTTP 400", status=400)])
async def test_other_errors_are_not_retried(error, fast_retry):
    model = ScriptedModel(error, "never reached")
    with pytest.raises(type(error)):
        await RetryingClient(model, fast_retry(3)).complete(REQ)
    assert len(model.requests) == 1


async def test_no_retries_is_one_attempt(fast_retry):
    model = ScriptedModel(LLMTransientError("busy"))
    with pytest.raises(LLMTransientError, match=r"gave up after 1 attempt\)$"):
        await RetryingClient(model, fast_retry(0)).complete(REQ)


def test_policy_delays_grow_exponentially_up_to_the_cap():
    p = RetryPolicy(backoff_base_s=0.5, backoff_max_s=3.0, jitter=0.0)
    assert [p.delay(i, None) for i in range(4)] == [0.5, 1.0, 2.0, 3.0]
    assert p.delay(0, 2.5) == 2.5 and p.delay(0, 99.0) == 3.0  # Retry-After honoured, within the cap
    assert 0.5 <= RetryPolicy(backoff_base_s=0.5, jitter=0.1).delay(0, None) <= 0.55
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)


async def test_the_wrapper_forwards_name_and_close():
    model = ScriptedModel(provider="ollama")
    client = RetryingClient(model)
    assert client.provider_name == "ollama" and client.inner is model
    await client.aclose()
