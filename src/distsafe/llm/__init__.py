"""Provider layer for LLM calls (the LLM agents and the token economy's LLM agents).

    from distsafe.llm import create_provider, LLMRequest, ChatMessage, LLMResponse, LLMError
    client = create_provider("dry_run" | "openai" | "anthropic" | "ollama", base_url=None, api_key=None)
    resp = await client.complete(LLMRequest(provider="openai", model="gpt-4o-mini", messages=(...)))

Modules: `contract` (the `LLMClient` protocol, requests, responses), `errors`, one module per provider
(`anthropic_provider`, `openai_provider`, `ollama_provider`, `dry_run`), and the wrappers that work around
any provider: `retry` (`RetryingClient`) and `recording` (`LLMRecorder`, `RecordingClient`). `cost` prices
tokens; `json_extract` finds the JSON object in an answer. The factory below is the only place that knows
every provider; providers import the contract, the errors and `_shared`, never each other.
"""

from __future__ import annotations

from typing import Any

from distsafe.llm.contract import (
    DEFAULT_MAX_RESPONSE_CHARS,
    DEFAULT_TIMEOUT_S,
    MAX_TOKEN_COUNT,
    ChatMessage,
    LLMClient,
    LLMRequest,
    LLMResponse,
    request_key,
)
from distsafe.llm.cost import (
    DEFAULT_PRICES_PER_MTOK,
    Price,
    PriceTable,
    UsageTracker,
    default_price_table,
    total_usage,
)
from distsafe.llm.dry_run import DryRunClient
from distsafe.llm.errors import (
    LLMConfigError,
    LLMConnectionError,
    LLMError,
    LLMRateLimitError,
    LLMReplayMissError,
    LLMRequestError,
    LLMTransientError,
)
from distsafe.llm.recording import LLMRecorder, RecordingClient
from distsafe.llm.retry import DEFAULT_MAX_RETRIES, RetryingClient, RetryPolicy

#: Provider names understood by `create_provider` (the values of `LLMProvider` in the agent config).
PROVIDER_NAMES = ("anthropic", "openai", "ollama", "dry_run")


def create_provider(
    provider: str,
    base_url: str | None = None,
    api_key: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    max_retries: int = DEFAULT_MAX_RETRIES,
    max_response_chars: int = DEFAULT_MAX_RESPONSE_CHARS,
    **options: Any,
) -> RetryingClient:
    """The client for `provider` ("dry_run" | "openai" | "anthropic" | "ollama"), wrapped in a
    `RetryingClient` (`max_retries`, or the `retry_policy` option); `.inner` is the provider itself.
    Answers longer than `max_response_chars` characters are cut to it (bodies far beyond it are refused).

    Other `options` go to the provider (e.g. dry-run `garbage_rate` and `responder`, Anthropic's
    `send_temperature`). Keys default to the environment (ANTHROPIC_API_KEY, OPENAI_API_KEY); Ollama reads
    OLLAMA_HOST when `base_url` is None. SDK-backed providers are imported only when asked for.
    """
    name = str(getattr(provider, "value", provider)).strip().lower().replace("-", "_")
    policy = options.pop("retry_policy", None) or RetryPolicy(max_retries=max_retries)
    client: LLMClient
    options["max_response_chars"] = max_response_chars
    if name == "dry_run":
        client = DryRunClient(timeout=timeout, **options)
    elif name == "openai":
        from distsafe.llm.openai_provider import OpenAIClient

        client = OpenAIClient(base_url=base_url, api_key=api_key, timeout=timeout, **options)
    elif name == "anthropic":
        from distsafe.llm.anthropic_provider import AnthropicClient

        client = AnthropicClient(base_url=base_url, api_key=api_key, timeout=timeout, **options)
    elif name == "ollama":
        from distsafe.llm.ollama_provider import OllamaClient

        # Ollama needs no key; one given is sent as a bearer token (for a proxy in front of it).
        client = OllamaClient(base_url=base_url, api_key=api_key, timeout=timeout, **options)
    else:
        raise LLMConfigError(
            f"unknown LLM provider {provider!r}; expected one of {', '.join(PROVIDER_NAMES)}"
        )
    return RetryingClient(client, policy)


__all__ = [
    "DEFAULT_MAX_RESPONSE_CHARS",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_PRICES_PER_MTOK",
    "DEFAULT_TIMEOUT_S",
    "PROVIDER_NAMES",
    "ChatMessage",
    "DryRunClient",
    "LLMClient",
    "LLMConfigError",
    "LLMConnectionError",
    "LLMError",
    "LLMRateLimitError",
    "LLMRecorder",
    "LLMReplayMissError",
    "LLMRequest",
    "LLMRequestError",
    "LLMResponse",
    "LLMTransientError",
    "MAX_TOKEN_COUNT",
    "Price",
    "PriceTable",
    "RecordingClient",
    "RetryPolicy",
    "RetryingClient",
    "UsageTracker",
    "create_provider",
    "default_price_table",
    "request_key",
    "total_usage",
]
