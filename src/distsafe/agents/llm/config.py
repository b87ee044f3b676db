"""`LLMConfig`, `LLMProvider`, `PersonaType`, and the YAML `llm:` block.

```yaml
agents:
  - type: llm
    count: 2
    llm:
      provider: dry_run          # anthropic | openai | ollama | dry_run
      model: claude-sonnet-4-20250514
      persona: open              # honest | strategic | adversarial | open
      temperature: 0.7
      max_tokens: 512
      cost_tracking: true
      base_url: null             # e.g. http://127.0.0.1:8000/v1 for an OpenAI-compatible server
```

Secrets: `api_key` is never written out. Wherever the config is dumped (`to_dict`, the event log header's
population record, a run's scenario.yaml) a given key appears as `api_key: <redacted>`, and so do
`provider_options` whose names look secret (`*key*`, `*token*`, `*secret*`, `*password*`, `*auth*`,
`*header*`) and a password in `base_url`; loading such a dump treats `<redacted>` as not given (the key is
then read from the environment).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import (
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from distsafe.llm import DEFAULT_MAX_RESPONSE_CHARS, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_S, MAX_TOKEN_COUNT
from distsafe.models.config_base import ConfigModel

#: What a dumped config shows in place of a secret; read back as "not given".
REDACTED = "<redacted>"
_SECRET_OPTION = re.compile(r"key|token|secret|passw|auth|credential|header|cookie", re.IGNORECASE)


class LLMProvider(str, Enum):
    ANTHROPIC = "anthropic"
    OPENAI = "openai"
    OLLAMA = "ollama"
    DRY_RUN = "dry_run"


class PersonaType(str, Enum):
    HONEST = "honest"
    STRATEGIC = "strategic"
    ADVERSARIAL = "adversarial"
    OPEN = "open"


DEFAULT_MODELS: dict[LLMProvider, str] = {
    LLMProvider.ANTHROPIC: "claude-sonnet-4-20250514",
    LLMProvider.OPENAI: "gpt-4o-mini",
    LLMProvider.OLLAMA: "llama3",
    LLMProvider.DRY_RUN: "dry-run",
}


def _enum(cls: type[Enum], value: Any, what: str) -> Any:
    """`cls(value)`, forgiving case, spaces and dashes ("Dry-Run" is dry_run)."""
    if isinstance(value, cls):
        return value
    key = str(value).strip().lower().replace("-", "_")
    try:
        return cls(key)
    except ValueError:
        choices = ", ".join(str(m.value) for m in cls)
        raise ValueError(f"unknown {what} {value!r}; expected one of {choices}") from None


class LLMConfig(ConfigModel):
    """How one LLM agent talks to its model. Every field can be set from the YAML `llm:` block; an unknown
    key is an error (`extra="forbid"`), reported with its YAML line by the scenario loader."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False)

    provider: LLMProvider = LLMProvider.ANTHROPIC
    model: str = ""  # empty: the provider's default (DEFAULT_MODELS)
    persona: PersonaType = PersonaType.OPEN
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    max_tokens: int = Field(default=512, gt=0, le=MAX_TOKEN_COUNT)
    cost_tracking: bool = True
    base_url: str | None = None
    # Never written anywhere: dumps say `api_key: <redacted>` when one was given (else the env var is used).
    api_key: str | None = Field(default=None, repr=False, exclude=True)
    api_key_env: str | None = None  # read the key from this env var instead of the provider's default
    timeout: float = Field(default=DEFAULT_TIMEOUT_S, gt=0, le=86400)
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0, le=100)
    # Answers longer than this are cut to it, bodies far beyond it refused (a misbehaving server must not
    # fill memory or the recording). Dumped only when set to another value (log headers stay as they were).
    max_response_chars: int = Field(default=DEFAULT_MAX_RESPONSE_CHARS, ge=1, le=1 << 24)
    json_mode: bool = True
    compact_prompt: bool = False  # a short system prompt for small local models (fewer tokens to evaluate)
    system_prompt: str | None = None  # extra instructions appended to the persona prompt
    max_posts_in_prompt: int = Field(default=10, ge=0)
    max_content_chars: int = Field(default=400, ge=16)  # each post quoted in the prompt is cut to this
    price_input_per_mtok: float | None = Field(default=None, ge=0)  # overrides the price table (USD / 1M)
    price_output_per_mtok: float | None = Field(default=None, ge=0)
    provider_options: dict[str, Any] = Field(default_factory=dict)  # e.g. {"garbage_rate": 0.2} (dry_run)

    @model_validator(mode="before")
    @classmethod
    def _price_block(cls, data: Any) -> Any:
        """Accepted alias: a nested `price:` (or `prices:`) block with `input` and `output`."""
        if not isinstance(data, Mapping) or ("price" not in data and "prices" not in data):
            return data
        data = dict(data)
        price = data.pop("price", None) or data.pop("prices", None)
        if isinstance(price, Mapping):
            data.setdefault("price_input_per_mtok", price.get("input", price.get("input_per_mtok")))
            data.setdefault("price_output_per_mtok", price.get("output", price.get("output_per_mtok")))
        return data

    @field_validator("provider", mode="before")
    @classmethod
    def _provider(cls, v: Any) -> LLMProvider:
        return _enum(LLMProvider, v, "LLM provider")

    @field_validator("persona", mode="before")
    @classmethod
    def _persona(cls, v: Any) -> PersonaType:
        return _enum(PersonaType, v, "persona")

    @field_validator("model")
    @classmethod
    def _default_model(cls, v: str, info: ValidationInfo) -> str:
        provider = info.data.get("provider")
        return v or (DEFAULT_MODELS[provider] if provider is not None else v)

    @field_validator("provider_options", mode="before")
    @classmethod
    def _options(cls, v: Any) -> Any:
        if isinstance(v, Mapping):  # options redacted in a dump are not given
            return {k: x for k, x in v.items() if x != REDACTED}
        return {} if v is None else v

    @field_validator("api_key", mode="before")
    @classmethod
    def _api_key(cls, v: Any) -> Any:
        return None if v == REDACTED else v

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> dict[str, Any]:
        """Every dump: secrets redacted (with a note where one was given), `max_response_chars` only when
        it is not the default."""
        d: dict[str, Any] = handler(self)
        if d.get("max_response_chars") == DEFAULT_MAX_RESPONSE_CHARS:
            del d["max_response_chars"]
        if isinstance(d.get("provider_options"), dict):
            d["provider_options"] = {
                k: (REDACTED if _SECRET_OPTION.search(str(k)) else v)
                for k, v in d["provider_options"].items()
            }
        if isinstance(d.get("base_url"), str):
            d["base_url"] = redact_url(d["base_url"])
        if self.api_key is not None:
            d["api_key"] = REDACTED
        return d

    @model_validator(mode="after")
    def _prices_in_pairs(self) -> LLMConfig:
        if (self.price_input_per_mtok is None) != (self.price_output_per_mtok is None):
            raise ValueError("set both price_input_per_mtok and price_output_per_mtok, or neither")
        return self

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> LLMConfig:
        """Build from a YAML `llm:` block; unknown keys are an error (catches typos)."""
        data = dict(data or {})
        known = set(cls.model_fields) | {"price", "prices"}
        unknown = sorted(set(data) - known)
        if unknown:
            known_list = ", ".join(sorted(cls.model_fields))
            raise ValueError(f"unknown key(s) in llm config: {', '.join(unknown)}; known: {known_list}")
        return cls.model_validate(data)

    def to_dict(self) -> dict[str, Any]:
        """Plain values, without the API key (safe to write into a run's config record)."""
        d = self.model_dump()  # `api_key` is excluded by its field
        d["provider"] = self.provider.value
        d["persona"] = self.persona.value
        return d


def redact_url(url: str) -> str:
    """`url` with the password of its user-info part (`https://user:secret@host`) redacted."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:{REDACTED}@{host}"))
