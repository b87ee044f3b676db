"""OpenAI chat completions through the official `openai` SDK, including any OpenAI-compatible server.

`base_url=None` talks to api.openai.com with OPENAI_API_KEY and sends `max_completion_tokens`; with a
`base_url` (vLLM, llama.cpp's server, LM Studio, ...) it sends `max_tokens`, which those servers read, and
a missing key is replaced by a placeholder since such servers usually need none. Streaming is off; JSON
mode sends `response_format={"type": "json_object"}`. The SDK's own retries are off: `RetryingClient`
handles 429/5xx/timeouts with one policy for every provider.
"""

from __future__ import annotations

import os
from typing import Any

from distsafe.llm._shared import PerLoop, estimate_tokens, map_sdk_error, positive_timeout, short
from distsafe.llm.contract import DEFAULT_TIMEOUT_S, LLMClient, LLMRequest, LLMResponse
from distsafe.llm.errors import LLMConfigError, LLMError, LLMRequestError

NO_KEY_PLACEHOLDER = "sk-no-key-required"


class OpenAIClient(LLMClient):
    provider_name = "openai"

    def __init__(
        self, *, base_url: str | None = None, api_key: str | None = None, timeout: float = DEFAULT_TIMEOUT_S
    ):
        self.timeout = positive_timeout(timeout)
        try:
            import openai
        except ImportError as exc:
            raise LLMConfigError(
                "the `openai` package is not installed: pip install 'distsafe[llm]'", provider="openai"
            ) from exc
        self._sdk = openai
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            if self.base_url is None:
                raise LLMConfigError(
                    "OPENAI_API_KEY is not set: export it, pass api_key=..., or give a "
                    "base_url for an OpenAI-compatible server",
                    provider="openai",
                )
            key = NO_KEY_PLACEHOLDER
        self._api_key = key
        self._clients = PerLoop(self._new_client)

    def _new_client(self) -> Any:
        return self._sdk.AsyncOpenAI(
            api_key=self._api_key, base_url=self.base_url, timeout=self.timeout, max_retries=0
        )

    @property
    def where(self) -> str:
        return self.base_url or "api.openai.com"

    def _get_client(self) -> Any:
        return self._clients.get()

    def build_params(self, request: LLMRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "temperature": request.temperature,
            "stream": False,
        }
        params["max_tokens" if self.base_url else "max_completion_tokens"] = request.max_tokens
        if request.json_mode:
            params["response_format"] = {"type": "json_object"}
        return params

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """One attempt; `RetryingClient` retries."""
        params = self.build_params(request)
        try:
            resp = await self._get_client().chat.completions.create(**params)
        except self._sdk.OpenAIError as exc:
            raise map_sdk_error(
                exc, self._sdk, provider="openai", where=self.where, key_env="OPENAI_API_KEY"
            ) from exc
        try:
            choice = resp.choices[0]
            text = choice.message.content or ""
        except (AttributeError, IndexError, TypeError) as exc:
            raise LLMRequestError(
                f"openai at {self.where}: response without choices: {short(resp)}", provider="openai"
            ) from exc
        usage = getattr(resp, "usage", None)
        in_tok = getattr(usage, "prompt_tokens", None)
        out_tok = getattr(usage, "completion_tokens", None)
        if in_tok is None:
            in_tok = sum(estimate_tokens(m.content) for m in request.messages)
        if out_tok is None:
            out_tok = estimate_tokens(text)
        return LLMResponse(
            text=text,
            input_tokens=int(in_tok),
            output_tokens=int(out_tok),
            model=str(getattr(resp, "model", None) or request.model),
            provider="openai",
        )

    async def aclose(self) -> None:
        client = self._clients.current()
        self._clients.clear()
        if client is not None:
            try:
                await client.close()
            except (RuntimeError, LLMError):
                pass
