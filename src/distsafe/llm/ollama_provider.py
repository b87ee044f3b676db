"""Ollama's native chat endpoint (`POST {host}/api/chat`) over plain HTTP with httpx; no API key.

The host is `base_url`, else OLLAMA_HOST (which may lack a scheme or say 0.0.0.0, as `ollama serve`
accepts), else http://127.0.0.1:11434. Streaming is off (`"stream": false`); JSON mode sends
`"format": "json"`; temperature and max_tokens go to `options.temperature` / `options.num_predict`.
"""

from __future__ import annotations

import os
from typing import Any

from distsafe.llm._shared import (
    PerLoop,
    estimate_tokens,
    is_retryable_status,
    parse_retry_after,
    positive_timeout,
    short,
    transient_error,
)
from distsafe.llm.contract import DEFAULT_TIMEOUT_S, LLMClient, LLMRequest, LLMResponse
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
        self, *, base_url: str | None = None, api_key: str | None = None, timeout: float = DEFAULT_TIMEOUT_S
    ):
        self.timeout = positive_timeout(timeout)
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
        if request.json_mode:
            payload["format"] = "json"
        return payload

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """One attempt; `RetryingClient` retries."""
        data = await self._post(request)
        if "error" in data:
            raise LLMRequestError(f"ollama at {self.base_url}: {short(data['error'])}", provider="ollama")
        message = data.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("content"), str):
            raise LLMRequestError(
                f"ollama at {self.base_url}: response without message.content: {short(data)}",
                provider="ollama",
            )
        text = message["content"]
        in_tok = data.get("prompt_eval_count")
        out_tok = data.get("eval_count")
        if not isinstance(in_tok, int):
            in_tok = sum(estimate_tokens(m.content) for m in request.messages)
        if not isinstance(out_tok, int):
            out_tok = estimate_tokens(text)
        return LLMResponse(
            text=text,
            input_tokens=in_tok,
            output_tokens=out_tok,
            model=str(data.get("model") or request.model),
            provider="ollama",
        )

    async def _post(self, request: LLMRequest) -> dict[str, Any]:
        httpx = self._httpx
        what = f"ollama at {self.base_url}"
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        try:
            r = await self._http.get().post(self.url, json=self.build_payload(request), headers=headers)
        except httpx.TimeoutException as exc:
            raise transient_error(
                what,
                f"request to {self.url} timed out after {self.timeout:g}s",
                provider="ollama",
                connection=True,
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
            detail = _error_detail(r)
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
        try:
            data = r.json()
        except ValueError as exc:
            raise LLMRequestError(
                f"ollama at {self.base_url}: response is not JSON: {short(r.text)}", provider="ollama"
            ) from exc
        if not isinstance(data, dict):
            raise LLMRequestError(
                f"ollama at {self.base_url}: unexpected response {short(data)}", provider="ollama"
            )
        return data


def _error_detail(response: Any) -> str:
    try:
        data = response.json()
        if isinstance(data, dict) and "error" in data:
            err = data["error"]
            return short(err.get("message", err) if isinstance(err, dict) else err)
    except ValueError:
        pass
    return short(response.text or response.reason_phrase)
