"""The provider contract: what every LLM provider is and what it is asked and answers.

A provider is an `LLMClient`: one async method, `complete(LLMRequest) -> LLMResponse`, and `aclose()`.
Requests and responses are frozen dataclasses, so that a request can be hashed (`request_key`) for exact
recording and replay. Retries and recording are wrappers around any client (`distsafe.llm.retry`,
`distsafe.llm.recording`); failures are the `distsafe.llm.errors` classes.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_TIMEOUT_S = 60.0
#: The most characters of answer text a provider passes on (longer answers are cut to it); a setting of
#: `LLMConfig` (`max_response_chars`). Keeps a misbehaving server from filling memory or a recording.
DEFAULT_MAX_RESPONSE_CHARS = 65536
#: The largest token count one response may report (10^8: far above any context window). A server that
#: reports more, a negative count or a non-integer is misbehaving; its answer becomes an `LLMRequestError`.
MAX_TOKEN_COUNT = 100_000_000


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
    #: A JSON Schema the answer must satisfy, sent in the provider's own form by providers that enforce
    #: one (OpenAI structured outputs, llama.cpp's `response_format` schema, Ollama's `format`, an Anthropic
    #: tool); None: free text (or JSON mode). Part of the request key only when given.
    response_schema: dict[str, Any] | None = field(default=None, hash=False)
    #: The schema's name (OpenAI's `json_schema.name`, the Anthropic tool's name, the key under which a
    #: provider that needs an object at the root wraps a schema that is not one).
    schema_name: str = "action"

    def __post_init__(self) -> None:
        if self.response_schema is not None and not isinstance(self.response_schema, dict):
            raise TypeError("LLMRequest.response_schema must be a dict (a JSON Schema) or None")
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
        out: dict[str, Any] = {
            "provider": self.provider,
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in self.messages],
            "temperature": float(self.temperature),
            "max_tokens": int(self.max_tokens),
            "json_mode": bool(self.json_mode),
        }
        if self.response_schema is not None:  # absent otherwise: keys of schema-less requests unchanged
            out["response_schema"] = self.response_schema
            out["schema_name"] = self.schema_name
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LLMRequest:
        return cls(
            provider=data["provider"],
            model=data["model"],
            messages=tuple(ChatMessage(m["role"], m["content"]) for m in data["messages"]),
            temperature=float(data.get("temperature", 0.7)),
            max_tokens=int(data.get("max_tokens", 512)),
            json_mode=bool(data.get("json_mode", True)),
            response_schema=data.get("response_schema"),
            schema_name=str(data.get("schema_name", "action")),
        )


@dataclass(frozen=True)
class LLMResponse:
    text: str
    input_tokens: int
    output_tokens: int
    model: str
    provider: str
    cached: bool = False  # served from a recording

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise TypeError(f"LLMResponse.text must be a str, got {type(self.text).__name__}")
        for name in ("input_tokens", "output_tokens"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_TOKEN_COUNT:
                raise ValueError(
                    f"LLMResponse.{name} must be an integer in [0, {MAX_TOKEN_COUNT}], got {v!r}"
                )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LLMResponse:
        return cls(
            text=data["text"],
            input_tokens=data["input_tokens"],
            output_tokens=data["output_tokens"],
            model=str(data["model"]),
            provider=str(data["provider"]),
            cached=bool(data.get("cached", False)),
        )


def request_key(request: LLMRequest) -> str:
    """SHA-256 over provider, model, messages, sampling parameters and the answer schema (canonical JSON)."""
    canonical = json.dumps(request.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def object_root_schema(request: LLMRequest) -> tuple[dict[str, Any], bool]:
    """The request's schema with an object at its root, as OpenAI's strict mode and Anthropic's tool input
    require, and whether it had to be wrapped (a union at the root goes under `schema_name`)."""
    schema = request.response_schema or {}
    if schema.get("type") == "object" and not any(k in schema for k in ("anyOf", "oneOf", "allOf")):
        return schema, False
    wrapped = {
        "type": "object",
        "properties": {request.schema_name: schema},
        "required": [request.schema_name],
        "additionalProperties": False,
    }
    return wrapped, True


def unwrap_answer(value: Any, request: LLMRequest, wrapped: bool) -> Any:
    """The answer inside a wrapper that `object_root_schema` added (the value itself when not wrapped, or
    when the server did not wrap it)."""
    if wrapped and isinstance(value, dict) and set(value) == {request.schema_name}:
        return value[request.schema_name]
    return value


class LLMClient(ABC):
    """One provider endpoint (or a wrapper around one). Safe to share across agents within one event loop."""

    provider_name: str = ""

    @abstractmethod
    async def complete(self, request: LLMRequest) -> LLMResponse:
        """Send one chat request; return the model's text and token counts. Failures raise `LLMError`."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release connections (optional)."""
        return None
