"""Ollama's native chat endpoint (`POST {host}/api/chat`) over plain HTTP with httpx; no API key.

The host is `base_url`, else OLLAMA_HOST (which may lack a scheme or say 0.0.0.0, as `ollama serve`
accepts), else http://127.0.0.1:11434. Streaming is off (`"stream": false`); JSON mode sends
`"format": "json"`, and a request with a `response_schema` sends the schema itself as `format` (Ollama
compiles it to a grammar); temperature and max_tokens go to `options.temperature` / `options.num_predict`.
The body is read with a size cap and checked field by field: a 200 answer that is not JSON, too large,
without `message.content` text or with token counts that are not non-negative integers is an
`LLMRequestError`, never a traceback.
"""

from __future__ import annotations

import json
import os
from typing import Any

from distsafe.llm._shared import (
    PerLoop,
    body_limit,
    cap_text,
    estimate_tokens,
    is_retryable_status,
    model_name,
    parse_json_body,
    parse_retry_after,
    positive_int,
    positive_timeout,
    read_capped,
    redact,
    short,
    token_count,
    transient_error,
)
from distsafe.llm.contract import (
    DEFAULT_MAX_RESPONSE_CHARS,
    DEFAULT_TIMEOUT_S,
    LLMClient,
    LLMRequest,
    LLMResponse,
)
from distsafe.llm.errors import LLMConfigError, LLMRequestError

DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"


def normalize_host(host: str) -> str:
    host = host.strip().rstrip("/")
    if "://" not in host:
        host = "http://" + host
    scheme, rest = host.split("://", 1)
    if rest.startswith("0.0.0.0"):
        rest = "127.0.0.1" + rest[len("0.0.0.0") :]
    if ":" not in rest.split("/", 1)[0]:
        netloc, _, path = rest.partition("/")
        rest = f"{netloc}:11434" + (f"/{path}" if path else "")
    return f"{scheme}://{rest}"


class OllamaClient(LLMClient):
    provider_name = "ollama"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        max_response_chars: int = DEFAULT_MAX_RESPONSE_CHARS,
    ):
        self.timeout = positive_timeout(timeout)
        self.max_response_chars = positive_int(max_response_chars, "max_response_chars")
        try:
            import httpx
        except ImportError as exc:
            raise LLMConfigError(
                "the `httpx` package is not installed: pip install 'distsafe[llm]'", provider="ollama"
            ) from exc
        self._httpx = httpx
        self.base_url = normalize_host(base_url or os.environ.get("OLLAMA_HOST") or DEFAULT_OLLAMA_HOST)
        self._api_key = api_key  # Ollama itself needs none; a proxy in front of it might.
        self._http = PerLoop(lambda: self._httpx.AsyncClient(timeout=self.timeout))

    async def aclose(self) -> None:
        client = self._http.current()
        self._http.clear()
        if client is not None:
            await client.aclose()

    @property
    def url(self) -> str:
        return f"{self.base_url}/api/chat"

    @staticmethod
    def build_payload(request: LLMRequest) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": False,
            "options": {"temperature": request.temperature, "num_predict": request.max_tokens},
        }
        if request.response_schema is not None:
            payload["format"] = request.response_schema
        elif request.json_mode:
            payload["format"] = "json"
        return payload

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """One attempt; `RetryingClient` retries."""
        data = await self._post(request)
        what = f"ollama at {self.base_url}"
        if "error" in data:
            raise LLMRequestError(
                f"{what}: {short(redact(str(data['error']), self._api_key))}", provider="ollama"
            )
        message = data.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("content"), str):
            raise LLMRequestError(
                f"{what}: response without message.content text: {short(data)}", provider="ollama"
            )
        text = cap_text(message["content"], self.max_response_chars)
        in_tok = token_count(data.get("prompt_eval_count"), "prompt_eval_count", what, provider="ollama")
        out_tok = token_count(data.get("eval_count"), "eval_count", what, provider="ollama")
        if in_tok is None:
            in_tok = sum(estimate_tokens(m.content) for m in request.messages)
        if out_tok is None:
            out_tok = estimate_tokens(text)
        return LLMResponse(
            text=text,
            input_tokens=in_tok,
            output_tokens=out_tok,
            model=model_name(data.get("model"), request.model),
            provider="ollama",
        )

    async def _post(self, request: LLMRequest) -> dict[str, Any]:
        httpx = self._httpx
        what = f"ollama at {self.base_url}"
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        limit = body_limit(self.max_response_chars)
        try:
            async with self._http.get().stream(
                "POST", self.url, json=self.build_payload(request), headers=headers
            ) as r:
                raw = await read_capped(r.aiter_bytes(), limit, what, provider="ollama")
        except httpx.TimeoutException as exc:
            raise transient_error(
                what,
                f"request to {self.url} timed out after {self.timeout:g}s",
                provider="ollama",
                connection=True,
            ) from exc
        except httpx.DecodingError as exc:
            raise LLMRequestError(
                f"{what}: undecodable response body ({short(exc, 100)})", provider="ollama"
            ) from exc
        except httpx.TransportError as exc:
            raise transient_error(
                what,
                f"cannot reach the Ollama server at {self.base_url} ({short(exc, 100)}); is `ollama "
                f"serve` running? set OLLAMA_HOST or base_url",
                provider="ollama",
                connection=True,
            ) from exc
        if r.status_code != 200:
            detail = redact(_error_detail(raw, r.reason_phrase), self._api_key)
            if is_retryable_status(r.status_code):
                raise transient_error(
                    what,
                    f"HTTP {r.status_code} from {self.url}: {detail}",
                    provider="ollama",
                    status=r.status_code,
                    retry_after=parse_retry_after(r.headers.get("retry-after")),
                )
            if r.status_code == 404:
                raise LLMConfigError(
                    f"ollama at {self.base_url}: {detail} (HTTP 404; try `ollama pull {request.model}`)",
                    provider="ollama",
                    status=404,
                )
            if r.status_code in (401, 403):
                raise LLMConfigError(
                    f"ollama at {self.base_url} refused the request (HTTP {r.status_code}): {detail}",
                    provider="ollama",
                    status=r.status_code,
                )
            raise LLMRequestError(
                f"ollama at {self.base_url} rejected the request (HTTP {r.status_code}): {detail}",
                provider="ollama",
                status=r.status_code,
            )
        return parse_json_body(raw, what, provider="ollama")


def _error_detail(raw: bytes, reason: str) -> str:
    """The message of an error answer: its JSON `error` (or `error.message`), else its text."""
    text = raw.decode("utf-8", "replace")
    try:
        data = json.loads(text)
        if isinstance(data, dict) and "error" in data:
            err = data["error"]
            return short(err.get("message", err) if isinstance(err, dict) else err)
    except (ValueError, RecursionError):
        pass
    return short(text or reason)
