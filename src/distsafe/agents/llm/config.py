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
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from typing import Any, Mapping

from distsafe.llm.base import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_S


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
    if isinstance(value, cls):
        return value
    key = str(value).strip().lower().replace("-", "_")
    try:
        return cls(key)
    except ValueError:
        choices = ", ".join(m.value for m in cls)  # type: ignore[attr-defined]
        raise ValueError(f"unknown {what} {value!r}; expected one of {choices}") from None


@dataclass
class LLMConfig:
    """How one LLM agent talks to its model. Every field can be set from the YAML `llm:` block."""

    provider: LLMProvider = LLMProvider.ANTHROPIC
    model: str = ""  # empty: the provider's default (DEFAULT_MODELS)
    persona: PersonaType = PersonaType.OPEN
    temperature: float = 0.7
    max_tokens: int = 512
    cost_tracking: bool = True
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)  # else the provider's env var
    api_key_env: str | None = None  # read the key from this env var instead of the provider's default
    timeout: float = DEFAULT_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES
    json_mode: bool = True
    compact_prompt: bool = False  # a short system prompt for small local models (fewer tokens to evaluate)
    system_prompt: str | None = None  # extra instructions appended to the persona prompt
    max_posts_in_prompt: int = 10
    max_content_chars: int = 400  # each post quoted in the prompt is cut to this many characters
    price_input_per_mtok: float | None = None  # overrides the price table for this agent (USD / 1M tokens)
    price_output_per_mtok: float | None = None
    provider_options: dict[str, Any] = field(default_factory=dict)  # e.g. {"garbage_rate": 0.2} for dry_run

    def __post_init__(self) -> None:
        self.provider = _enum(LLMProvider, self.provider, "LLM provider")
        self.persona = _enum(PersonaType, self.persona, "persona")
        if not self.model:
            self.model = DEFAULT_MODELS[self.provider]
        self.temperature = float(self.temperature)
        if not 0.0 <= self.temperature <= 2.0:
            raise ValueError(f"temperature must be in [0, 2], got {self.temperature}")
        self.max_tokens = int(self.max_tokens)
        if self.max_tokens <= 0:
            raise ValueError(f"max_tokens must be positive, got {self.max_tokens}")
        if self.timeout <= 0:
            raise ValueError(f"timeout must be positive, got {self.timeout}")
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.max_posts_in_prompt < 0 or self.max_content_chars < 16:
            raise ValueError("max_posts_in_prompt must be >= 0 and max_content_chars >= 16")
        if (self.price_input_per_mtok is None) != (self.price_output_per_mtok is None):
            raise ValueError("set both price_input_per_mtok and price_output_per_mtok, or neither")
        self.provider_options = dict(self.provider_options or {})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "LLMConfig":
        """Build from a YAML `llm:` block; unknown keys are an error (catches typos)."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        # Accepted aliases: a nested price block.
        price = data.pop("price", None) or data.pop("prices", None)
        if isinstance(price, Mapping):
            data.setdefault("price_input_per_mtok", price.get("input", price.get("input_per_mtok")))
            data.setdefault("price_output_per_mtok", price.get("output", price.get("output_per_mtok")))
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown key(s) in llm config: {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """Plain values, without the API key (safe to write into a run's config record)."""
        d = asdict(self)
        d["provider"] = self.provider.value
        d["persona"] = self.persona.value
        d.pop("api_key", None)
        return d
