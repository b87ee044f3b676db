"""The provider layer's errors. Each is an `LLMError` with a one-line message, the provider and the HTTP
status when there is one. `LLMTransientError` (and only it) is what `RetryingClient` retries."""

from __future__ import annotations


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
