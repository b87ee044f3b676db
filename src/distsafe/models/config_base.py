"""`ConfigModel`: the base of every config model a scenario file, a `-o` override or the Python API fills.

One mechanism for the numbers that enter from outside. Every field of a `ConfigModel` (and every value
nested inside a free-form `dict`/`list` field such as an agent's `params` or `llm.provider_options`) is
checked against the storage it goes to and the arithmetic it feeds:

  - floats must be finite (no NaN, no +-inf) and within +-`MAX_CONFIG_MAGNITUDE` (1e12);
  - integers must fit a signed 64-bit integer (numpy's int64 columns, SQLite, Parquet).

Why 1e12: the largest product the engine forms from config numbers is a payoff term, at most three config
factors deep (e.g. `w_rep * rate * (2p - 1)`, `theta * p * s_plus`, `rate * |tau|`); with every factor
<= 1e12 a single payoff is below 1e37 and a run's sum over any number of interactions that fits in
memory (< 1e15) below 1e52, far from float64's 1.8e308. Individual fields add tighter ranges of their
own (`ge`, `le`) where their meaning needs them. The check is a wildcard field validator, so a subclass
gets it by inheriting; `allow_inf_nan=False` makes pydantic itself refuse NaN/inf on float fields with
its usual message.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

#: the largest magnitude a float config value may have (see the module docstring for the reasoning)
MAX_CONFIG_MAGNITUDE = 1e12
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
#: nesting allowed inside a free-form value (params, provider_options) before it is refused
MAX_VALUE_DEPTH = 32


def number_problem(value: Any, depth: int = 0) -> tuple[list[str], str] | None:
    """Why `value` (or a number nested in it) cannot be stored: (path inside `value`, reason); None if
    it can."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return [], f"must be a finite number, not {value!r}"
        if abs(value) > MAX_CONFIG_MAGNITUDE:
            return [], f"{value:g} is out of range (|value| <= {MAX_CONFIG_MAGNITUDE:g})"
    elif isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            return [], f"{value} does not fit a 64-bit integer"
    elif isinstance(value, dict | list | tuple):
        if depth >= MAX_VALUE_DEPTH:
            return [], f"nested deeper than {MAX_VALUE_DEPTH} levels"
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            found = number_problem(item, depth + 1)
            if found is not None:
                return [str(key), *found[0]], found[1]
    return None


def check_number(value: Any) -> None:
    """Raise ValueError (one line) if `value`, or any number nested in it, is out of range for storage."""
    found = number_problem(value)
    if found is not None:
        path, reason = found
        raise ValueError(f"{'.'.join(path)}: {reason}" if path else reason)


class ConfigModel(BaseModel):
    """Base of the config models: unknown fields refused, numbers checked finite and in range."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _numbers_in_range(cls, value: Any) -> Any:
        check_number(value)
        return value
