"""Provider layer for LLM calls (agents and the token economy's orchestrator).

    from distsafe.llm import create_provider, LLMRequest, ChatMessage, LLMResponse, LLMError
    client = create_provider("dry_run" | "openai" | "anthropic" | "ollama", base_url=None, api_key=None)
    resp = await client.complete(LLMRequest(provider="openai", model="gpt-4o-mini", messages=(...)))
"""

from distsafe.llm.base import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT_S,
    PROVIDER_NAMES,
    ChatMessage,
    LLMClient,
    LLMConfigError,
    LLMConnectionError,
    LLMError,
    LLMRateLimitError,
    LLMReplayMissError,
    LLMRequest,
    LLMRequestError,
    LLMResponse,
    LLMTransientError,
    RetryPolicy,
    create_provider,
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
from distsafe.llm.recording import LLMRecorder, RecordingClient

__all__ = [
    "DEFAULT_PRICES_PER_MTOK", "LLMRecorder", "Price", "PriceTable", "RecordingClient", "UsageTracker",
    "default_price_table", "total_usage", "DEFAULT_MAX_RETRIES", "DEFAULT_TIMEOUT_S", "PROVIDER_NAMES", "ChatMessage", "DryRunClient", "LLMClient",
    "LLMConfigError", "LLMConnectionError", "LLMError", "LLMRateLimitError", "LLMReplayMissError",
    "LLMRequest", "LLMRequestError", "LLMResponse", "LLMTransientError", "RetryPolicy", "create_provider",
    "request_key",
]
