"""Anthropic Messages API through the official `anthropic` SDK.

System messages go to the top-level `system` field; consecutive turns of the same role are merged (the
API wants user/assistant alternation starting with user). Temperature is clamped to Anthropic's [0, 1].
The API has no JSON mode: with `json_mode` the system prompt gets one more line asking for a single JSON
object, and the agent's parser extracts and validates it. Streaming is off; the SDK's own retries are off
(`RetryingClient` retries).

Temperature: recent `anthropic` SDKs no longer list `temperature` among `messages.create` arguments, so it
is sent in the body (`extra_body`). If the API answers 400 naming `temperature` (a model that does not
take it), the client drops it for the rest of its life and retries the request once without it.
"""

from __future__ import annotations

import os
from typing import Any

from distsafe.llm._shared import PerLoop, map_sdk_error, positive_timeout, short
from distsafe.llm.contract import DEFAULT_TIMEOUT_S, LLMClient, LLMRequest, LLMResponse
from distsafe.llm.errors import LLMConfigError, LLMError, LLMRequestError

JSON_ONLY_LINE = "Answer with a single JSON object and nothing else."


class AnthropicClient(LLMClient):
    provider_name = "anthropic"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        send_temperature: bool = True,
        timeout: float = DEFAULT_TIMEOUT_S,
    ):
        self.timeout = positive_timeout(timeout)
        self.send_temperature = send_temperature
        try:
            import anthropic
        except ImportError as exc:
            raise LLMConfigError(
                "the `anthropic` package is not installed: pip install 'distsafe[llm]'", provider="anthropic"
            ) from exc
        self._sdk = anthropic
        self.base_url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or None
        key = api_key or os.environ.get("ANTHROPIC_API_KEY")
        if not key:
            raise LLMConfigError(
                "ANTHROPIC_API_KEY is not set: export it or pass api_key=...", provider="anthropic"
            )
        self._api_key = key
        self._clients = PerLoop(self._new_client)

    def _new_client(self) -> Any:
        return self._sdk.AsyncAnthropic(
            api_key=self._api_key, base_url=self.base_url, timeout=self.timeout, max_retries=0
        )

    @property
    def where(self) -> str:
        return self.base_url or "api.anthropic.com"

    def _get_client(self) -> Any:
        return self._clients.get()

    @staticmethod
    def build_params(request: LLMRequest, send_temperature: bool = True) -> dict[str, Any]:
        turns: list[dict[str, str]] = []
        for m in request.chat_messages:
            if turns and turns[-1]["role"] == m.role:
                turns[-1]["content"] += "\n\n" + m.content
            else:
                turns.append({"role": m.role, "content": m.content})
        if not turns or turns[0]["role"] != "user":
            turns.insert(0, {"role": "user", "content": "(begin)"})
        system = request.system_prompt
        if request.json_mode:
            system = f"{system}\n\n{JSON_ONLY_LINE}" if system else JSON_ONLY_LINE
        params: dict[str, Any] = {
            "model": request.model,
            "messages": turns,
            "max_tokens": request.max_tokens,
            "stream": False,
        }
        if send_temperature:
            params["extra_body"] = {"temperature": min(1.0, max(0.0, float(request.temperature)))}
        if system:
            params["system"] = system
        return params

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """One attempt (retries: `RetryingClient`); a second one without temperature if it was refused."""
        try:
            resp = await self._send(request)
        except LLMRequestError as exc:
            if not (self.send_temperature and exc.status == 400 and "temperature" in str(exc).lower()):
                raise
            self.send_temperature = False
            resp = await self._send(request)
        try:
            text = "".join(getattr(b, "text", "") for b in resp.content if getattr(b, "type", "") == "text")
            usage = resp.usage
            in_tok, out_tok = int(usage.input_tokens), int(usage.output_tokens)
        except (AttributeError, TypeError, ValueError) as exc:
            raise LLMRequestError(
                f"anthropic at {self.where}: unreadable response: {short(resp)}", provider="anthropic"
            ) from exc
        return LLMResponse(
            text=text,
            input_tokens=in_tok,
            output_tokens=out_tok,
            model=str(getattr(resp, "model", None) or request.model),
            provider="anthropic",
        )

    async def _send(self, request: LLMRequest) -> Any:
        params = self.build_params(request, self.send_temperature)
        try:
            return await self._get_client().messages.create(**params)
        except self._sdk.AnthropicError as exc:
            raise map_sdk_error(
                exc, self._sdk, provider="anthropic", where=self.where, key_env="ANTHROPIC_API_KEY"
            ) from exc

    async def aclose(self) -> None:
        client = self._clients.current()
        self._clients.clear()
        if client is not None:
            try:
                await client.close()
            except (RuntimeError, LLMError):
                pass
