"""Helpers shared by the providers: HTTP status triage, SDK error mapping, per-event-loop clients, a rough
token count. Imports only the contract's neighbours (`errors`), never a provider."""

from __future__ import annotations

import asyncio
import math
import weakref
from collections.abc import Callable
from typing import Any

from distsafe.llm.errors import (
    LLMConfigError,
    LLMConnectionError,
    LLMError,
    LLMRateLimitError,
    LLMRequestError,
    LLMTransientError,
)


def short(text: Any, limit: int = 300) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def estimate_tokens(text: str) -> int:
    """Rough token count (4 characters a token) used where no tokenizer is at hand."""
    return max(1, math.ceil(len(text) / 4))


def positive_timeout(timeout: float) -> float:
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout}")
    return float(timeout)


def is_retryable_status(status: int) -> bool:
    return status == 429 or status == 408 or 500 <= status <= 599


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def transient_error(
    what: str,
    detail: str,
    *,
    provider: str,
    status: int | None = None,
    retry_after: float | None = None,
    connection: bool = False,
) -> LLMTransientError:
    """The retryable error for one failed attempt: 429 -> rate limit, no answer -> connection, else
    transient."""
    message = f"{what}: {detail}"
    if status == 429:
        return LLMRateLimitError(message, provider=provider, status=429, retry_after=retry_after)
    if connection:
        return LLMConnectionError(message, provider=provider, status=status, retry_after=retry_after)
    return LLMTransientError(message, provider=provider, status=status, retry_after=retry_after)


def map_sdk_error(exc: Exception, sdk: Any, *, provider: str, where: str, key_env: str) -> LLMError:
    """Translate an `openai`/`anthropic` SDK exception into an `LLMError` (transient ones are retried)."""
    what = f"{provider} at {where}"
    if isinstance(exc, sdk.APIStatusError):
        status = int(exc.status_code)
        headers = getattr(getattr(exc, "response", None), "headers", None) or {}
        detail = short(getattr(exc, "message", "") or exc)
        if is_retryable_status(status):
            return transient_error(
                what,
                f"HTTP {status} from {where}: {detail}",
                provider=provider,
                status=status,
                retry_after=parse_retry_after(headers.get("retry-after")),
            )
        if status in (401, 403):
            return LLMConfigError(
                f"{provider} rejected the credentials (HTTP {status}) at {where}; check {key_env}: {detail}",
                provider=provider,
                status=status,
            )
        if status == 404:
            return LLMConfigError(
                f"{provider}: not found (HTTP 404) at {where}; check the model name and base_url: {detail}",
                provider=provider,
                status=status,
            )
        return LLMRequestError(
            f"{provider} rejected the request (HTTP {status}) at {where}: {detail}",
            provider=provider,
            status=status,
        )
    if isinstance(exc, sdk.APITimeoutError):
        return transient_error(what, f"request to {where} timed out", provider=provider, connection=True)
    if isinstance(exc, sdk.APIConnectionError):
        return transient_error(
            what,
            f"cannot connect to {where} ({short(exc.__cause__ or exc, 120)})",
            provider=provider,
            connection=True,
        )
    return LLMRequestError(f"{provider}: unexpected error from {where}: {short(exc)}", provider=provider)


class PerLoop:
    """A lazily built object (an SDK or httpx client) rebuilt whenever the running event loop changes:
    such clients are bound to the loop they were created in, and `LLMAgent.act()` starts a new loop per
    call. The loop is held by weak reference, so a new loop reusing an old one's address is still seen."""

    def __init__(self, factory: Callable[[], Any]):
        self._factory = factory
        self._loop_ref: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self.value: Any = None

    def get(self) -> Any:
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if self.value is None or loop is None or self._loop_ref is None or self._loop_ref() is not loop:
            self.value = self._factory()
            self._loop_ref = weakref.ref(loop) if loop is not None else None
        return self.value

    def current(self) -> Any:
        """The object if it belongs to the running loop, else None (for closing)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        if self._loop_ref is not None and self._loop_ref() is loop:
            return self.value
        return None

    def clear(self) -> None:
        self.value = None
        self._loop_ref = None
