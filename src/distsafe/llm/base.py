"""The provider contract shared by LLM agents and the token economy's orchestrator.

Every provider is an `LLMClient`: one async method, `complete(LLMRequest) -> LLMResponse`. Requests and
responses are frozen dataclasses so that a request can be hashed (`request_key`) for exact recording and
replay. Providers retry 429 and 5xx answers, timeouts and dropped connections with exponential backoff;
every failure surfaces as an `LLMError` subclass with a one-line message.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import weakref
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any, Awaitable, Callable, TypeVar

T = TypeVar("T")

#: Provider names understood by `create_provider` (the values of `LLMProvider` in the agent config).
PROVIDER_NAMES = ("anthropic", "openai", "ollama", "dry_run")

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MAX_RETRIES = 3


# ---- data -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChatMessage:
    role: str  # "system" | "user" | "assistant"
    content: str

    def __post_init__(self) -> None:
        if self.role not in ("system", "user", "assistant"):
            raise ValueError(f"ChatMessage.role must be system, user or assistant, got {self.role!r}")


@dataclass(frozen=True)
class LLMRequest:
    provider: str
    model: str
    messages: tuple[ChatMessage, ...]
    temperature: float = 0.7
    max_tokens: int = 512
    json_mode: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.messages, tuple):
            object.__setattr__(self, "messages", tuple(self.messages))
        for m in self.messages:
            if not isinstance(m, ChatMessage):
                raise TypeError(f"LLMRequest.messages must hold ChatMessage, got {type(m).__name__}")
        if self.max_tokens <= 0:
            raise ValueError(f"max_tokens must be positive, got {self.max_tokens}")

    @property
    def system_prompt(self) -> str:
        """All system messages joined (providers such as Anthropic take the system prompt apart)."""
        return "\n\n".join(m.content for m in self.messages if m.role == "system")

    @property
    def chat_messages(self) -> tuple[ChatMessage, ...]:
        """The non-system messages, in order."""
        return tuple(m for m in self.messages if m.role != "system")

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider, "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in self.messages],
            "temperature": float(self.temperature), "max_tokens": int(self.max_tokens),
            "json_mode": bool(self.json_mode),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LLMRequest":
        return cls(
            provider=data["provider"], model=data["model"],
            messages=tuple(ChatMessage(m["role"], m["content"]) for m in data["messages"]),
            temperature=float(data.get("temperature", 0.7)), max_tokens=int(data.get("max_tokens", 512)),
            json_mode=bool(data.get("json_mode", True)),
        )


@dataclass(frozen=True)
class LLMResponse:
    text: str
    input_tokens: int
    output_tokens: int
    model: str
    provider: str
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LLMResponse":
        return cls(text=data["text"], input_tokens=int(data["input_tokens"]),
                   output_tokens=int(data["output_tokens"]), model=data["model"],
                   provider=data["provider"], cached=bool(data.get("cached", False)))


def request_key(request: LLMRequest) -> str:
    """SHA-256 over provider, model, messages and sampling parameters (canonical JSON)."""
    canonical = json.dumps(request.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# ---- errors -----------------------------------------------------------------------------------------------
class LLMError(RuntimeError):
    """Base of every provider-layer error. `str(err)` is one line."""

    def __init__(self, message: str, *, provider: str = "", status: int | None = None):
        super().__init__(" ".join(str(message).split()))
        self.provider = provider
        self.status = status


class LLMConfigError(LLMError):
    """Not retryable and not the model's fault: missing API key or package, bad provider, 401/403/404."""


class LLMTransientError(LLMError):
    """Retryable failure (429, 5xx, timeout, connection) that persisted after all retries."""


class LLMRateLimitError(LLMTransientError):
    """HTTP 429 after all retries."""


class LLMConnectionError(LLMTransientError):
    """The server could not be reached (refused, DNS, timeout)."""


class LLMRequestError(LLMError):
    """The server rejected the request (other 4xx) or answered with something unreadable."""


class LLMReplayMissError(LLMError):
    """Replay mode: the recording holds no response for this request."""


class RetryableHTTPError(Exception):
    """Raised inside a provider attempt to ask `with_retries` for another try."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None,
                 connection: bool = False):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.connection = connection


@dataclass
class RetryPolicy:
    max_retries: int = DEFAULT_MAX_RETRIES
    backoff_base_s: float = 0.5
    backoff_max_s: float = 20.0
    jitter: float = 0.1  # fraction of the delay, added at random (timing only, never results)
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        d = min(self.backoff_max_s, self.backoff_base_s * (2 ** attempt))
        if retry_after is not None and retry_after >= 0:
            d = min(self.backoff_max_s, max(d, retry_after))
        return d * (1.0 + self.jitter * random.random())


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


async def with_retries(attempt_fn: Callable[[], Awaitable[T]], policy: RetryPolicy, *, provider: str,
                       what: str) -> T:
    """Run `attempt_fn`, retrying `RetryableHTTPError` up to `policy.max_retries` times with backoff."""
    last: RetryableHTTPError | None = None
    for attempt in range(policy.max_retries + 1):
        try:
            return await attempt_fn()
        except RetryableHTTPError as exc:
            last = exc
            if attempt < policy.max_retries:
                await policy.sleep(policy.delay(attempt, exc.retry_after))
    assert last is not None
    tries = policy.max_retries + 1
    msg = f"{what}: {last} (gave up after {tries} attempt{'s' if tries != 1 else ''})"
    if last.status == 429:
        raise LLMRateLimitError(msg, provider=provider, status=429)
    if last.connection:
        raise LLMConnectionError(msg, provider=provider, status=last.status)
    raise LLMTransientError(msg, provider=provider, status=last.status)


def is_retryable_status(status: int) -> bool:
    return status == 429 or status == 408 or 500 <= status <= 599


# ---- the client interface ---------------------------------------------------------------------------------
class LLMClient(ABC):
    """One provider endpoint. Implementations are safe to share across agents within one event loop."""

    provider_name: str = ""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT_S, max_retries: int = DEFAULT_MAX_RETRIES,
                 retry_policy: RetryPolicy | None = None):
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        self.timeout = float(timeout)
        self.retry = retry_policy or RetryPolicy(max_retries=max_retries)

    @abstractmethod
    async def complete(self, request: LLMRequest) -> LLMResponse:
        """Send one chat request; return the model's text and token counts."""

    async def aclose(self) -> None:
        """Release connections (optional)."""
        return None



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


def create_provider(provider: str, base_url: str | None = None, api_key: str | None = None,
                    timeout: float = DEFAULT_TIMEOUT_S, max_retries: int = DEFAULT_MAX_RETRIES,
                    **options: Any) -> LLMClient:
    """Build the client for `provider` ("dry_run" | "openai" | "anthropic" | "ollama").

    `options` go to the provider (e.g. `retry_policy`, dry-run `garbage_rate`). Keys default to the
    environment (ANTHROPIC_API_KEY, OPENAI_API_KEY); Ollama reads OLLAMA_HOST when `base_url` is None.
    """
    name = str(getattr(provider, "value", provider)).strip().lower().replace("-", "_")
    common: dict[str, Any] = {"timeout": timeout, "max_retries": max_retries, **options}
    if name == "dry_run":
        from distsafe.llm.dry_run import DryRunClient
        return DryRunClient(**common)
    if name == "openai":
        from distsafe.llm.openai_provider import OpenAIClient
        return OpenAIClient(base_url=base_url, api_key=api_key, **common)
    if name == "anthropic":
        from distsafe.llm.anthropic_provider import AnthropicClient
        return AnthropicClient(base_url=base_url, api_key=api_key, **common)
    if name == "ollama":
        from distsafe.llm.ollama_provider import OllamaClient
        return OllamaClient(base_url=base_url, **common)
    raise LLMConfigError(f"unknown LLM provider {provider!r}; expected one of {', '.join(PROVIDER_NAMES)}")
