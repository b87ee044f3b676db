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
from distsafe.llm.local_server import LOCAL_MODELS
from distsafe.models.config_base import ConfigModel

#: What a dumped config shows in place of a secret; read back as "not given".
REDACTED = "<redacted>"
#: Fields added after logs were first written: a dump leaves them out while they hold these defaults, so
#: the population record of a log header (and its golden) reads as before.
QUIET_DEFAULTS: dict[str, Any] = {
    "max_response_chars": DEFAULT_MAX_RESPONSE_CHARS,
    "structured_output": True,
    "schema_content_chars": 200,
    "local_model": None,
}
#: Providers that enforce an answer schema (`distsafe.llm` sends it in each one's own form).
SCHEMA_PROVIDERS = frozenset({"openai", "anthropic", "ollama"})
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
    # Send the action schema to providers that enforce one (openai, anthropic, ollama); false: free text
    # (or JSON mode) validated after the fact. The dry-run provider never gets it.
    structured_output: bool = True
    # Longest `content` a schema-constrained answer may write (small models then end inside max_tokens).
    schema_content_chars: int = Field(default=200, ge=1, le=1000)
    # A model the run serves itself on 127.0.0.1 (llama-cpp-python's server, the [llm-local] extra), e.g.
    # `smollm2-135m`; needs `provider: openai` and no base_url. Replays need neither server nor extra.
    local_model: str | None = None

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
        for name, default in QUIET_DEFAULTS.items():
            if name in d and d[name] == default:
                del d[name]
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

    @model_validator(mode="before")
    @classmethod
    def _local_model_name(cls, data: Any) -> Any:
        """`local_model:` names a known model and serves it to the OpenAI provider; `model` defaults to
        the server's alias for it."""
        if not isinstance(data, Mapping) or data.get("local_model") in (None, ""):
            return data
        name = str(data["local_model"]).strip().lower()
        if name not in LOCAL_MODELS:
            raise ValueError(f"unknown local_model {data['local_model']!r}; known: {', '.join(LOCAL_MODELS)}")
        if _enum(LLMProvider, data.get("provider", "openai"), "LLM provider") != LLMProvider.OPENAI:
            raise ValueError("local_model is served to the openai provider: set provider: openai")
        if data.get("base_url"):
            raise ValueError("local_model and base_url exclude each other (the run picks the server's URL)")
        return {**data, "local_model": name, "model": data.get("model") or LOCAL_MODELS[name]}

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

    @property
    def sends_schema(self) -> bool:
        """True when this agent's requests carry the action schema."""
        return self.structured_output and self.provider.value in SCHEMA_PROVIDERS

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
