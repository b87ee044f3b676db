"""Helpers shared by the providers: HTTP status triage, SDK error mapping, per-event-loop clients, a rough
token count, and the checks that keep a misbehaving server from crashing a run: a capped body read, a JSON
parse that fails as an `LLMRequestError`, token counts checked before they are costed, secrets redacted
from messages. Imports only the contract and the errors, never a provider."""

from __future__ import annotations

import asyncio
import json
import math
import weakref
from collections.abc import AsyncIterator, Callable
from typing import Any

from distsafe.llm.contract import MAX_TOKEN_COUNT
from distsafe.llm.errors import (
    MAX_RETRY_AFTER_S,
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


REDACTED = "<redacted>"


def redact(text: str, secret: str | None) -> str:
    """`text` with every occurrence of `secret` (an API key) replaced by `<redacted>`."""
    if secret and len(secret) >= 4:
        return text.replace(secret, REDACTED)
    return text


def body_limit(max_chars: int) -> int:
    """Bytes of HTTP body read at most for an answer of `max_chars` characters: JSON escapes take up to 6
    bytes a character, and the envelope (ids, usage, ...) needs some room."""
    return 6 * int(max_chars) + (1 << 16)


async def read_capped(chunks: AsyncIterator[bytes], limit: int, what: str, *, provider: str) -> bytes:
    """The body from `chunks`, or `LLMRequestError` as soon as it passes `limit` bytes (reading stops
    there, so a huge answer never sits in memory)."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise LLMRequestError(
                f"{what}: response body larger than {limit} bytes; refused (raise max_response_chars "
                "if such answers are expected)",
                provider=provider,
            )
        parts.append(chunk)
    return b"".join(parts)


def parse_json_body(raw: bytes, what: str, *, provider: str) -> dict[str, Any]:
    """The JSON object of a 200 answer; anything else (not UTF-8, not JSON, nested too deeply, not an
    object) is an `LLMRequestError`."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise LLMRequestError(f"{what}: response body is not UTF-8", provider=provider) from None
    except ValueError:
        raise LLMRequestError(
            f"{what}: response is not JSON: {short(raw[:200])}", provider=provider
        ) from None
    except RecursionError:
        raise LLMRequestError(f"{what}: response JSON is nested too deeply", provider=provider) from None
    if not isinstance(data, dict):
        raise LLMRequestError(
            f"{what}: response is a JSON {type(data).__name__}, not an object", provider=provider
        )
    return data


def token_count(value: Any, field: str, what: str, *, provider: str) -> int | None:
    """A reported token count: None when absent (the caller estimates), else an integer in
    [0, MAX_TOKEN_COUNT] (an integral float such as 12.0 is accepted); anything else is an `LLMRequestError`
    naming the field, so a server's garbage is never recorded or costed."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TOKEN_COUNT:
        raise LLMRequestError(
            f"{what}: {field} must be an integer in [0, {MAX_TOKEN_COUNT}], got {short(repr(value), 60)}",
            provider=provider,
        )
    return value


def cap_text(text: str, max_chars: int) -> str:
    """The answer cut to `max_chars` characters (a longer one then fails the caller's validation)."""
    return text if len(text) <= max_chars else text[:max_chars]


def model_name(value: Any, default: str) -> str:
    """The model a response names (a short string), else the requested one."""
    return value[:200] if isinstance(value, str) and value else default


def positive_int(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def positive_timeout(timeout: float) -> float:
    if not timeout > 0 or not math.isfinite(timeout):
        raise ValueError(f"timeout must be a positive finite number of seconds, got {timeout}")
    return float(timeout)


def is_retryable_status(status: int) -> bool:
    return status == 429 or status == 408 or 500 <= status <= 599


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, seconds) if seconds <= MAX_RETRY_AFTER_S else None  # NaN, inf, absurd: ignored


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


def map_sdk_error(
    exc: Exception, sdk: Any, *, provider: str, where: str, key_env: str, secret: str | None = None
) -> LLMError:
    """Translate an `openai`/`anthropic` SDK exception into an `LLMError` (transient ones are retried).
    `secret` (the API key) is redacted from the message, should a server or proxy echo it."""
    what = f"{provider} at {where}"
    if isinstance(exc, sdk.APIStatusError):
        status = int(exc.status_code)
        headers = getattr(getattr(exc, "response", None), "headers", None) or {}
        detail = short(redact(str(getattr(exc, "message", "") or exc), secret))
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
            f"cannot connect to {where} ({short(redact(str(exc.__cause__ or exc), secret), 120)})",
            provider=provider,
            connection=True,
        )
    return LLMRequestError(
        f"{provider}: unexpected error from {where}: {short(redact(str(exc), secret))}", provider=provider
    )


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


async def read_sdk_json(
    open_stream: Any,
    sdk: Any,
    sdk_error: type[Exception],
    *,
    provider: str,
    where: str,
    key_env: str,
    secret: str | None,
    max_chars: int,
) -> dict[str, Any]:
    """One request through an official SDK's `with_streaming_response` (`open_stream`, an async context
    manager): the answer's JSON object, read with a size cap. SDK errors map through `map_sdk_error`; a
    transport error while the body streams in is a (retried) connection error."""
    what = f"{provider} at {where}"
    try:
        async with open_stream as resp:
            raw = await read_capped(resp.iter_bytes(), body_limit(max_chars), what, provider=provider)
    except sdk_error as exc:
        raise map_sdk_error(exc, sdk, provider=provider, where=where, key_env=key_env, secret=secret) from exc
    except LLMError:
        raise
    except Exception as exc:  # noqa: BLE001 - the transport's own error while the body streams in
        raise transient_error(
            what,
            f"connection failed while reading the answer ({short(redact(str(exc), secret), 120)})",
            provider=provider,
            connection=True,
        ) from exc
    return parse_json_body(raw, what, provider=provider)
