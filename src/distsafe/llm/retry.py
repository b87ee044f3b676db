"""Retries as a wrapper around any provider (as Concordia's `RetryLanguageModel`).

`RetryingClient(client, policy)` calls `client.complete` again after an `LLMTransientError` (429, 5xx,
timeouts, dropped connections), with exponential backoff that honours a server's Retry-After, and gives up
after `policy.max_retries` retries by raising the last error with "(gave up after N attempts)" added.
Every other error passes through at once. `create_provider` wraps each provider it builds in one.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from distsafe.llm.contract import LLMClient, LLMRequest, LLMResponse
from distsafe.llm.errors import LLMTransientError

DEFAULT_MAX_RETRIES = 3


@dataclass
class RetryPolicy:
    max_retries: int = DEFAULT_MAX_RETRIES
    backoff_base_s: float = 0.5
    backoff_max_s: float = 20.0
    jitter: float = 0.1  # fraction of the delay, added at random (timing only, never results)
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")

    def delay(self, attempt: int, retry_after: float | None) -> float:
        d = min(self.backoff_max_s, self.backoff_base_s * (2.0**attempt))
        if retry_after is not None and retry_after >= 0:
            d = min(self.backoff_max_s, max(d, retry_after))
        return d * (1.0 + self.jitter * random.random())


class RetryingClient(LLMClient):
    """`inner` with transient failures retried under `policy`."""

    def __init__(self, inner: LLMClient, policy: RetryPolicy | None = None):
        self.inner = inner
        self.policy = policy or RetryPolicy()
        self.provider_name = inner.provider_name

    async def complete(self, request: LLMRequest) -> LLMResponse:
        policy = self.policy
        last: LLMTransientError | None = None
        for attempt in range(policy.max_retries + 1):
            try:
                return await self.inner.complete(request)
            except LLMTransientError as exc:
                last = exc
                if attempt < policy.max_retries:
                    await policy.sleep(policy.delay(attempt, exc.retry_after))
        assert last is not None
        tries = policy.max_retries + 1
        raise type(last)(
            f"{last} (gave up after {tries} attempt{'s' if tries != 1 else ''})",
            provider=last.provider,
            status=last.status,
            retry_after=last.retry_after,
        ) from last

    async def aclose(self) -> None:
        await self.inner.aclose()
