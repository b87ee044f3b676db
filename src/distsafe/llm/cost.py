"""Token and cost accounting: a price table (USD per million tokens) that users can override, and a
per-agent `UsageTracker` whose `stats()` feed `agent.usage_stats()` and `total_usage(...)`.

Prices are estimates for budgeting, not billing. Models are matched by the longest key that prefixes the
model name (`claude-sonnet-4` covers `claude-sonnet-4-20250514`), first under "provider/model" keys,
then under plain model keys. Dry-run and Ollama cost nothing; an unknown model costs 0 and is counted in
`unpriced_requests`. Override with `PriceTable.set(...)`, a JSON/YAML file (`PriceTable.from_file`, or
the DISTSAFE_LLM_PRICES env var read by `default_price_table()`), or per agent in `LLMConfig`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distsafe.llm.contract import LLMResponse

#: USD per 1M tokens (input, output). Public list prices at the time of writing; override as needed.
DEFAULT_PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "claude-opus-4": (15.0, 75.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-3-7-sonnet": (3.0, 15.0),
    "claude-3-5-sonnet": (3.0, 15.0),
    "claude-3-5-haiku": (0.8, 4.0),
    "claude-haiku-4": (1.0, 5.0),
    "claude-3-haiku": (0.25, 1.25),
    "claude-3-opus": (15.0, 75.0),
    "gpt-4o-mini": (0.15, 0.6),
    "gpt-4o": (2.5, 10.0),
    "gpt-4.1-nano": (0.1, 0.4),
    "gpt-4.1-mini": (0.4, 1.6),
    "gpt-4.1": (2.0, 8.0),
    "gpt-4-turbo": (10.0, 30.0),
    "gpt-3.5-turbo": (0.5, 1.5),
    "o3-mini": (1.1, 4.4),
    "o4-mini": (1.1, 4.4),
}
FREE_PROVIDERS = frozenset({"dry_run", "ollama"})
PRICES_ENV_VAR = "DISTSAFE_LLM_PRICES"


@dataclass(frozen=True)
class Price:
    input_per_mtok: float
    output_per_mtok: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1_000_000


class PriceTable:
    def __init__(self, prices: Mapping[str, Any] | None = None, include_defaults: bool = True):
        self._prices: dict[str, Price] = {}
        if include_defaults:
            self.update(DEFAULT_PRICES_PER_MTOK)
        if prices:
            self.update(prices)

    @staticmethod
    def _as_price(value: Any) -> Price:
        if isinstance(value, Price):
            return value
        if isinstance(value, Mapping):
            inp = value.get("input", value.get("input_per_mtok"))
            out = value.get("output", value.get("output_per_mtok"))
        else:
            inp, out = value
        if inp is None or out is None or float(inp) < 0 or float(out) < 0:
            raise ValueError(
                f"a price needs non-negative input and output (USD per 1M tokens), got {value!r}"
            )
        return Price(float(inp), float(out))

    def set(
        self, model: str, input_per_mtok: float, output_per_mtok: float, provider: str | None = None
    ) -> None:
        key = f"{provider}/{model}" if provider else model
        self._prices[key] = self._as_price((input_per_mtok, output_per_mtok))

    def update(self, prices: Mapping[str, Any]) -> None:
        for key, value in prices.items():
            self._prices[str(key)] = self._as_price(value)

    @classmethod
    def from_file(cls, path: str | Path, include_defaults: bool = True) -> PriceTable:
        """JSON or YAML mapping `model` (or `provider/model`) -> {input, output} or [input, output]."""
        text = Path(path).read_text(encoding="utf-8")
        if str(path).endswith((".yaml", ".yml")):
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            data = json.loads(text)
        if not isinstance(data, Mapping):
            raise ValueError(f"price file {path} must hold a mapping of model -> price")
        return cls(data, include_defaults=include_defaults)

    def price(self, provider: str, model: str) -> Price | None:
        """Longest-prefix match, first among "provider/model" keys, then among plain model keys."""
        if provider in FREE_PROVIDERS and not any(k.startswith(f"{provider}/") for k in self._prices):
            return Price(0.0, 0.0)
        for scoped in (True, False):
            best, best_len = None, -1
            for key, price in self._prices.items():
                if scoped != ("/" in key):
                    continue
                if scoped:
                    key_provider, name = key.split("/", 1)
                    if key_provider != provider:
                        continue
                else:
                    name = key
                if model.startswith(name) and len(name) > best_len:
                    best, best_len = price, len(name)
            if best is not None:
                return best
        return Price(0.0, 0.0) if provider in FREE_PROVIDERS else None

    def cost(self, provider: str, model: str, input_tokens: int, output_tokens: int) -> float | None:
        p = self.price(provider, model)
        return None if p is None else p.cost(input_tokens, output_tokens)

    def as_dict(self) -> dict[str, tuple[float, float]]:
        return {k: (v.input_per_mtok, v.output_per_mtok) for k, v in self._prices.items()}


def default_price_table() -> PriceTable:
    """The built-in table, overlaid with the file named by DISTSAFE_LLM_PRICES when set."""
    path = os.environ.get(PRICES_ENV_VAR)
    return PriceTable.from_file(path) if path else PriceTable()


class UsageTracker:
    """Counts requests, tokens and estimated cost for one agent (per provider/model and in total)."""

    def __init__(self, prices: PriceTable | None = None, enabled: bool = True):
        self.prices = prices or default_price_table()
        self.enabled = enabled
        self.total_requests = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.estimated_cost_usd = 0.0
        self.replayed_requests = 0
        self.unpriced_requests = 0
        self.by_model: dict[str, dict[str, Any]] = {}

    def record(self, response: LLMResponse, provider: str | None = None, model: str | None = None) -> float:
        provider = provider or response.provider
        model = model or response.model
        self.total_requests += 1
        self.input_tokens += response.input_tokens
        self.output_tokens += response.output_tokens
        if response.cached:
            self.replayed_requests += 1
        cost = 0.0
        if self.enabled:
            c = self.prices.cost(provider, model, response.input_tokens, response.output_tokens)
            if c is None:
                self.unpriced_requests += 1
            else:
                cost = c
        self.estimated_cost_usd += cost
        row = self.by_model.setdefault(
            f"{provider}/{model}",
            {
                "provider": provider,
                "model": model,
                "requests": 0,
                "input_tokens": 0,
                "output_tokens": 0,
                "estimated_cost_usd": 0.0,
            },
        )
        row["requests"] += 1
        row["input_tokens"] += response.input_tokens
        row["output_tokens"] += response.output_tokens
        row["estimated_cost_usd"] += cost
        return cost

    def stats(self) -> dict[str, Any]:
        """Identical for a run and its replay (`replayed_requests` is an attribute, not part of it)."""
        return {
            "total_requests": self.total_requests,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "total_tokens": self.input_tokens + self.output_tokens,
            "estimated_cost_usd": round(self.estimated_cost_usd, 10),
            "unpriced_requests": self.unpriced_requests,
            "by_model": {k: dict(v) for k, v in self.by_model.items()},
        }


def total_usage(per_agent: Mapping[str, Mapping[str, Any]] | Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Totals over `{agent_id: usage_stats}` (or a list of stats), with a per-provider breakdown."""
    rows = list(per_agent.values()) if isinstance(per_agent, Mapping) else list(per_agent)
    keys = ("total_requests", "input_tokens", "output_tokens", "parse_failures", "repairs", "noops", "errors")
    out: dict[str, Any] = {k: sum(int(r.get(k, 0)) for r in rows) for k in keys}
    out["estimated_cost_usd"] = round(sum(float(r.get("estimated_cost_usd", 0.0)) for r in rows), 10)
    out["agents"] = len(rows)
    by_provider: dict[str, dict[str, Any]] = {}
    for r in rows:
        p = by_provider.setdefault(
            str(r.get("provider", "")),
            {
                "agents": 0,
                "total_requests": 0,
                "input_tokens": 0,
                "output_tokens": 0,
                "estimated_cost_usd": 0.0,
            },
        )
        p["agents"] += 1
        for k in ("total_requests", "input_tokens", "output_tokens"):
            p[k] += int(r.get(k, 0))
        p["estimated_cost_usd"] += float(r.get("estimated_cost_usd", 0.0))
    out["by_provider"] = by_provider
    return out
