"""Shared helpers for the SDK-backed providers (OpenAI, Anthropic): error mapping, per-loop clients."""

from __future__ import annotations

from typing import Any

from distsafe.llm.base import (
    LLMConfigError,
    LLMRequestError,
    RetryableHTTPError,
    is_retryable_status,
    parse_retry_after,
)


def short(text: Any, limit: int = 300) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def map_sdk_error(exc: Exception, sdk: Any, *, provider: str, where: str, key_env: str) -> Exception:
    """Translate an `openai`/`anthropic` SDK exception into a retry request or an `LLMError`."""
    if isinstance(exc, sdk.APIStatusError):
        status = int(exc.status_code)
        headers = getattr(getattr(exc, "response", None), "headers", None) or {}
        detail = short(getattr(exc, "message", "") or exc)
        if is_retryable_status(status):
            return RetryableHTTPError(f"HTTP {status} from {where}: {detail}", status=status,
                                      retry_after=parse_retry_after(headers.get("retry-after")))
        if status in (401, 403):
            return LLMConfigError(f"{provider} rejected the credentials (HTTP {status}) at {where}; "
                                  f"check {key_env}: {detail}", provider=provider, status=status)
        if status == 404:
            return LLMConfigError(f"{provider}: not found (HTTP 404) at {where}; check the model name and "
                                  f"base_url: {detail}", provider=provider, status=status)
        return LLMRequestError(f"{provider} rejected the request (HTTP {status}) at {where}: {detail}",
                               provider=provider, status=status)
    if isinstance(exc, sdk.APITimeoutError):
        return RetryableHTTPError(f"request to {where} timed out", connection=True)
    if isinstance(exc, sdk.APIConnectionError):
        return RetryableHTTPError(f"cannot connect to {where} ({short(exc.__cause__ or exc, 120)})",
                                  connection=True)
    return LLMRequestError(f"{provider}: unexpected error from {where}: {short(exc)}", provider=provider)
