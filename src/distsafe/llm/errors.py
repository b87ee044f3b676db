"""The provider layer's errors. Each is an `LLMError` with a one-line message, the provider and the HTTP
status when there is one. `LLMTransientError` (and only it) is what `RetryingClient` retries."""

from __future__ import annotations

#: The longest Retry-After (seconds) taken from a server or a recording; longer ones are ignored.
MAX_RETRY_AFTER_S = 86400.0


class LLMError(RuntimeError):
    """Base of every provider-layer error. `str(err)` is one line."""

    def __init__(self, message: str, *, provider: str = "", status: int | None = None):
        super().__init__(" ".join(str(message).split()))
        self.provider = provider
        self.status = status


class LLMConfigError(LLMError):
    """Not retryable and not the model's fault: missing API key or package, bad provider, 401/403/404."""


class LLMTransientError(LLMError):
    """Retryable failure (429, 5xx, timeout, connection). `retry_after`: the server's Retry-After, seconds."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message, provider=provider, status=status)
        self.retry_after = retry_after


class LLMRateLimitError(LLMTransientError):
    """HTTP 429."""


class LLMConnectionError(LLMTransientError):
    """The server could not be reached (refused, DNS, timeout)."""


class LLMRequestError(LLMError):
    """The server rejected the request (other 4xx) or answered with something unreadable."""


class LLMReplayMissError(LLMError):
    """Replay mode: the recording holds no response for this request."""


#: The error classes a recording may name (`distsafe.llm.recording`); nothing else is ever rebuilt from one.
RECORDABLE_ERRORS: dict[str, type[LLMError]] = {
    cls.__name__: cls
    for cls in (
        LLMError,
        LLMConfigError,
        LLMTransientError,
        LLMRateLimitError,
        LLMConnectionError,
        LLMRequestError,
    )
}


def error_to_dict(err: LLMError) -> dict[str, object]:
    """What a recording keeps of an error: its class name, message, provider, status and Retry-After."""
    return {
        "class": type(err).__name__ if type(err).__name__ in RECORDABLE_ERRORS else "LLMError",
        "message": str(err),
        "provider": err.provider,
        "status": err.status,
        "retry_after": getattr(err, "retry_after", None),
    }


def error_from_dict(data: dict[str, object]) -> LLMError:
    """The error a recording describes (only the classes of `RECORDABLE_ERRORS`); ValueError when the
    description is not one."""
    cls = RECORDABLE_ERRORS.get(str(data.get("class")))
    message, provider, status = data.get("message"), data.get("provider", ""), data.get("status")
    retry_after = data.get("retry_after")
    if cls is None:
        raise ValueError(f"unknown error class {str(data.get('class'))[:60]!r}")
    if not isinstance(message, str) or not isinstance(provider, str):
        raise ValueError("error message and provider must be strings")
    if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
        raise ValueError("error status must be an integer or null")
    if issubclass(cls, LLMTransientError):
        if retry_after is not None and (
            isinstance(retry_after, bool)
            or not isinstance(retry_after, (int, float))
            or not 0 <= retry_after <= MAX_RETRY_AFTER_S
        ):
            raise ValueError("error retry_after must be a non-negative number or null")
        return cls(message, provider=provider, status=status, retry_after=retry_after)
    return cls(message, provider=provider, status=status)
