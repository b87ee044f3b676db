"""OpenAI chat completions through the official `openai` SDK, including any OpenAI-compatible server.

`base_url=None` talks to api.openai.com with OPENAI_API_KEY and sends `max_completion_tokens`; with a
`base_url` (vLLM, llama.cpp's server, LM Studio, ...) it sends `max_tokens`, which those servers read, and
a missing key is replaced by a placeholder since such servers usually need none. Streaming is off; JSON
mode sends `response_format={"type": "json_object"}`. The SDK's own retries are off: `RetryingClient`
handles 429/5xx/timeouts with one policy for every provider.

A request with a `response_schema` is sent in the form the server enforces (`schema_form`):
`json_schema`, OpenAI's structured outputs (`{"type": "json_schema", "json_schema": {"name", "schema",
"strict": true}}`; the schema gets an object at its root, `object_root_schema`, and loses the keywords
strict mode refuses, `minLength`/`maxLength`), the default for api.openai.com; `llama_cpp`, the form
llama.cpp's server and llama-cpp-python's read (`{"type": "json_object", "schema": ...}`, compiled to a
grammar), the default with a `base_url`. `cache_prompt` (an option, for llama.cpp's server) asks the server
to reuse the evaluated prompt prefix (`"cache_prompt": true` in the body).

The answer's body is read through the SDK's streaming response (HTTP-level; the completion itself is not
streamed) so that it can be capped, and parsed here rather than by the SDK: a server that answers 200 with
a body that is not JSON, too large, nested too deeply, without `choices`, with `content` that is not text
or with token counts that are not non-negative integers gives an `LLMRequestError`, never a traceback.
`content` given as a list of text parts (`[{"type": "text", "text": ...}]`) is joined.
"""

from __future__ import annotations

import json
import os
from typing import Any

from distsafe.llm._shared import (
    PerLoop,
    cap_text,
    estimate_tokens,
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

NO_KEY_PLACEHOLDER = "sk-no-key-required"
SCHEMA_FORMS = ("json_schema", "llama_cpp")
#: Keywords OpenAI's strict structured outputs refuse; dropped from the schema in that form.
STRICT_UNSUPPORTED = frozenset({"minLength", "maxLength"})


def strict_schema(schema: Any) -> Any:
    """`schema` without the keywords strict mode refuses (recursively)."""
    if isinstance(schema, dict):
        return {k: strict_schema(v) for k, v in schema.items() if k not in STRICT_UNSUPPORTED}
    if isinstance(schema, list):
        return [strict_schema(v) for v in schema]
    return schema


class OpenAIClient(LLMClient):
    provider_name = "openai"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        max_response_chars: int = DEFAULT_MAX_RESPONSE_CHARS,
        schema_form: str | None = None,
        cache_prompt: bool | None = None,
    ):
        self.timeout = positive_timeout(timeout)
        self.max_response_chars = positive_int(max_response_chars, "max_response_chars")
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
        if schema_form is None:
            schema_form = "llama_cpp" if self.base_url else "json_schema"
        if schema_form not in SCHEMA_FORMS:
            raise LLMConfigError(
                f"openai: unknown schema_form {schema_form!r}; expected one of {', '.join(SCHEMA_FORMS)}",
                provider="openai",
            )
        self.schema_form = schema_form
        self.cache_prompt = cache_prompt
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
        if request.response_schema is not None:
            if self.schema_form == "json_schema":
                schema, _ = object_root_schema(request)
                params["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {
                        "name": request.schema_name,
                        "schema": strict_schema(schema),
                        "strict": True,
                    },
                }
            else:
                params["response_format"] = {"type": "json_object", "schema": request.response_schema}
        elif request.json_mode:
            params["response_format"] = {"type": "json_object"}
        if self.cache_prompt is not None:
            params["extra_body"] = {"cache_prompt": bool(self.cache_prompt)}
        return params

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """One attempt; `RetryingClient` retries."""
        params = self.build_params(request)
        body = await read_sdk_json(
            self._get_client().chat.completions.with_streaming_response.create(**params),
            self._sdk,
            self._sdk.OpenAIError,
            provider="openai",
            where=self.where,
            key_env="OPENAI_API_KEY",
            secret=self._api_key,
            max_chars=self.max_response_chars,
        )
        return self.parse_response(body, request)

    def parse_response(self, data: dict[str, Any], request: LLMRequest) -> LLMResponse:
        """The `LLMResponse` of a chat completion's JSON, checked field by field."""
        what = f"openai at {self.where}"
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise LLMRequestError(f"{what}: response without choices: {short(data)}", provider="openai")
        message = choices[0].get("message")
        if not isinstance(message, dict):
            raise LLMRequestError(f"{what}: choices[0] without a message: {short(data)}", provider="openai")
        text = _content_text(message.get("content"), what)
        usage = data.get("usage")
        if usage is not None and not isinstance(usage, dict):
            raise LLMRequestError(f"{what}: usage is not an object: {short(usage, 80)}", provider="openai")
        usage = usage or {}
        in_tok = token_count(usage.get("prompt_tokens"), "usage.prompt_tokens", what, provider="openai")
        out_tok = token_count(
            usage.get("completion_tokens"), "usage.completion_tokens", what, provider="openai"
        )
        if request.response_schema is not None and self.schema_form == "json_schema":
            text = _unwrapped(text, request)
        text = cap_text(text, self.max_response_chars)
        if in_tok is None:
            in_tok = sum(estimate_tokens(m.content) for m in request.messages)
        if out_tok is None:
            out_tok = estimate_tokens(text)
        return LLMResponse(
            text=text,
            input_tokens=in_tok,
            output_tokens=out_tok,
            model=model_name(data.get("model"), request.model),
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


def _unwrapped(text: str, request: LLMRequest) -> str:
    """The answer of a structured output whose schema `object_root_schema` wrapped, without the wrapper
    (text that is not such an object is left as it is: the agent's parser judges it)."""
    _, wrapped = object_root_schema(request)
    if not wrapped:
        return text
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return text
    inner = unwrap_answer(value, request, wrapped)
    return text if inner is value else json.dumps(inner, ensure_ascii=False)


def _content_text(content: Any, what: str) -> str:
    """`message.content`: a string, null (no text: ""), or a list of text parts, joined."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(
        isinstance(p, dict) and isinstance(p.get("text"), str) and p.get("type", "text") == "text"
        for p in content
    ):
        return "".join(p["text"] for p in content)
    raise LLMRequestError(
        f"{what}: message.content is a {type(content).__name__}, not text: {short(content, 120)}",
        provider="openai",
    )
