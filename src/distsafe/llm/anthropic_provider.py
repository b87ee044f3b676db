"""Anthropic Messages API through the official `anthropic` SDK.

System messages go to the top-level `system` field; consecutive turns of the same role are merged (the
API wants user/assistant alternation starting with user). Temperature is clamped to Anthropic's [0, 1].
The API has no JSON mode: with `json_mode` the system prompt gets one more line asking for a single JSON
object, and the agent's parser extracts and validates it. Streaming is off; the SDK's own retries are off
(`RetryingClient` retries).

A request with a `response_schema` is sent as one tool whose `input_schema` is that schema (with an object
at its root, `object_root_schema`), named `schema_name`, and `tool_choice` forcing it; the answer is the
`input` of the `tool_use` block (unwrapped, as JSON text), not the text blocks.

Temperature: recent `anthropic` SDKs no longer list `temperature` among `messages.create` arguments, so it
is sent in the body (`extra_body`). If the API answers 400 naming `temperature` (a model that does not
take it), the client drops it for the rest of its life and retries the request once without it.

As with the OpenAI provider, the body is read through the SDK's streaming response (HTTP-level), capped,
and parsed here: a 200 answer that is not JSON, too large, without text blocks or with token counts that
are not non-negative integers is an `LLMRequestError`, never a traceback.
"""

from __future__ import annotations

import json
import os
from typing import Any

from distsafe.llm._shared import (
    PerLoop,
    cap_text,
    model_name,
    positive_int,
    positive_timeout,
    read_sdk_json,
    short,
    token_count,
)
from distsafe.llm.contract import (
    DEFAULT_MAX_RESPONSE_CHARS,
    DEFAULT_TIMEOUT_S,
    LLMClient,
    LLMRequest,
    LLMResponse,
    object_root_schema,
    unwrap_answer,
)
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
        max_response_chars: int = DEFAULT_MAX_RESPONSE_CHARS,
    ):
        self.timeout = positive_timeout(timeout)
        self.max_response_chars = positive_int(max_response_chars, "max_response_chars")
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
        if request.json_mode and request.response_schema is None:
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
        if request.response_schema is not None:
            schema, _ = object_root_schema(request)
            params["tools"] = [
                {
                    "name": request.schema_name,
                    "description": f"Give your answer: one {request.schema_name}.",
                    "input_schema": schema,
                }
            ]
            params["tool_choice"] = {"type": "tool", "name": request.schema_name}
        return params

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """One attempt (retries: `RetryingClient`); a second one without temperature if it was refused."""
        try:
            data = await self._send(request)
        except LLMRequestError as exc:
            if not (self.send_temperature and exc.status == 400 and "temperature" in str(exc).lower()):
                raise
            self.send_temperature = False
            data = await self._send(request)
        return self.parse_response(data, request)

    def parse_response(self, data: dict[str, Any], request: LLMRequest) -> LLMResponse:
        """The `LLMResponse` of a Messages API JSON answer, checked field by field."""
        what = f"anthropic at {self.where}"
        blocks = data.get("content")
        if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
            raise LLMRequestError(
                f"{what}: response without content blocks: {short(data)}", provider="anthropic"
            )
        texts = [b.get("text") for b in blocks if b.get("type") == "text"]
        if not all(isinstance(t, str) for t in texts):
            raise LLMRequestError(f"{what}: a text block without text: {short(blocks)}", provider="anthropic")
        text = "".join(t for t in texts if isinstance(t, str))
        if request.response_schema is not None:
            text = _tool_answer(blocks, request, what)
        usage = data.get("usage")
        if not isinstance(usage, dict):
            raise LLMRequestError(f"{what}: response without usage: {short(data)}", provider="anthropic")
        in_tok = token_count(usage.get("input_tokens"), "usage.input_tokens", what, provider="anthropic")
        out_tok = token_count(usage.get("output_tokens"), "usage.output_tokens", what, provider="anthropic")
        if in_tok is None or out_tok is None:
            raise LLMRequestError(f"{what}: usage without token counts: {short(usage)}", provider="anthropic")
        return LLMResponse(
            text=cap_text(text, self.max_response_chars),
            input_tokens=in_tok,
            output_tokens=out_tok,
            model=model_name(data.get("model"), request.model),
            provider="anthropic",
        )

    async def _send(self, request: LLMRequest) -> dict[str, Any]:
        """One request; the answer's JSON object (read with a size cap)."""
        params = self.build_params(request, self.send_temperature)
        return await read_sdk_json(
            self._get_client().messages.with_streaming_response.create(**params),
            self._sdk,
            self._sdk.AnthropicError,
            provider="anthropic",
            where=self.where,
            key_env="ANTHROPIC_API_KEY",
            secret=self._api_key,
            max_chars=self.max_response_chars,
        )

    async def aclose(self) -> None:
        client = self._clients.current()
        self._clients.clear()
        if client is not None:
            try:
                await client.close()
            except (RuntimeError, LLMError):
                pass


def _tool_answer(blocks: list[dict[str, Any]], request: LLMRequest, what: str) -> str:
    """The forced tool's input as JSON text (unwrapped); an answer without that `tool_use` block is an
    `LLMRequestError` (the agent records a no-op)."""
    for b in blocks:
        if b.get("type") == "tool_use" and b.get("name") == request.schema_name:
            value = b.get("input")
            if not isinstance(value, dict):
                raise LLMRequestError(
                    f"{what}: tool_use input is not an object: {short(value, 120)}", provider="anthropic"
                )
            _, wrapped = object_root_schema(request)
            return json.dumps(unwrap_answer(value, request, wrapped), ensure_ascii=False)
    raise LLMRequestError(
        f"{what}: no tool_use block for {request.schema_name!r}: {short(blocks)}", provider="anthropic"
    )
