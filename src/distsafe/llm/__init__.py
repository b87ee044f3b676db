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
from distsafe.llm.dry_run import DryRunClient

__all__ = [
    "DEFAULT_MAX_RETRIES", "DEFAULT_TIMEOUT_S", "PROVIDER_NAMES", "ChatMessage", "DryRunClient", "LLMClient",
    "LLMConfigError", "LLMConnectionError", "LLMError", "LLMRateLimitError", "LLMReplayMissError",
    "LLMRequest", "LLMRequestError", "LLMResponse", "LLMTransientError", "RetryPolicy", "create_provider",
    "request_key",
]
