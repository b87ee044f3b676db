"""Caps on what a run may ask for, checked before anything is allocated (issue 9, finding 12).

`Limits` holds the caps. Their values come from, in order of precedence:

  1. `distsafe run --limit NAME=VALUE` (repeatable), or `Limits(...)` in Python;
  2. the environment: `DISTSAFE_<NAME>` (e.g. `DISTSAFE_MAX_AGENTS=5000000`);
  3. the defaults below.

A scenario's own `limits:` block may only lower them: a file someone else wrote must not be able to lift
the caps that protect the machine it runs on. The YAML caps bound the scenario file itself (its size, the
number of nodes after alias expansion, its nesting depth) and are applied while it is parsed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationError

from distsafe.models.config_base import ConfigModel

ENV_PREFIX = "DISTSAFE_"


class Limits(ConfigModel):
    """The caps (defaults sized from docs/scale.md: 10^6 agents x 10 steps is ~1.5 GB and a minute)."""

    max_agents: int = Field(default=1_000_000, ge=1, description="agents in one run")
    max_epochs: int = Field(default=1_000_000, ge=1, description="epochs in one run")
    max_steps_per_epoch: int = Field(default=100_000, ge=1, description="steps in one epoch")
    max_agent_epochs: int = Field(
        default=1_000_000_000, ge=1, description="agents x epochs (run time grows with it)"
    )
    max_agent_steps_per_epoch: int = Field(
        default=20_000_000,
        ge=1,
        description="agents x steps_per_epoch (an epoch's interactions are held in memory)",
    )
    max_yaml_bytes: int = Field(default=1_048_576, ge=1, description="size of a scenario file")
    max_yaml_nodes: int = Field(
        default=100_000, ge=1, description="YAML nodes of a scenario, counted after alias expansion"
    )
    max_yaml_depth: int = Field(default=64, ge=1, description="nesting depth of a scenario's YAML")

    @classmethod
    def env_name(cls, field: str) -> str:
        return ENV_PREFIX + field.upper()

    @classmethod
    def current(cls, overrides: Mapping[str, Any] | None = None) -> Limits:
        """The caps in force: `overrides` (e.g. from `--limit`), else the environment, else the defaults.
        A bad value raises ValueError with one line naming the setting."""
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = os.environ.get(cls.env_name(name))
            if raw is not None and raw.strip():
                values[name] = _parse_int(raw, cls.env_name(name))
        for name, value in (overrides or {}).items():
            if name not in cls.model_fields:
                raise ValueError(f"unknown limit {name!r}; known: {', '.join(cls.model_fields)}")
            values[name] = _parse_int(value, f"--limit {name}") if isinstance(value, str) else value
        try:
            return cls(**values)
        except ValidationError as e:
            first = e.errors()[0]
            raise ValueError(f"limit {first['loc'][0]}: {first['msg']}") from None

    def how_to_raise(self, field: str) -> str:
        return f"raise it with --limit {field}=N or {self.env_name(field)}=N"

    def exceeded(self, field: str, value: int, what: str) -> str:
        """The one-line message for `what` (= `value`) over the cap `field`."""
        return (
            f"{what} is {value:,}, over the cap {field}={getattr(self, field):,} ({self.how_to_raise(field)})"
        )

    def run_problem(self, n_agents: int, n_epochs: int, steps_per_epoch: int) -> tuple[str, str] | None:
        """(field, message) for the first run cap that a run of this size exceeds; None if it fits."""
        checks = (
            ("max_agents", n_agents, "the number of agents"),
            ("max_epochs", n_epochs, "n_epochs"),
            ("max_steps_per_epoch", steps_per_epoch, "steps_per_epoch"),
            ("max_agent_epochs", n_agents * n_epochs, "agents x epochs"),
            ("max_agent_steps_per_epoch", n_agents * steps_per_epoch, "agents x steps_per_epoch"),
        )
        for field, value, what in checks:
            if value > getattr(self, field):
                return field, self.exceeded(field, value, what)
        return None

    def lowered(self, caps: Mapping[str, int | None]) -> Limits:
        """These caps, lowered by a scenario's `limits:` block (which may not raise any: ValueError)."""
        update: dict[str, int] = {}
        for name, value in caps.items():
            if value is None:
                continue
            if value > getattr(self, name):
                raise ValueError(
                    f"{name}: {value:,} is above the cap in force ({getattr(self, name):,}); a scenario can "
                    f"only lower caps ({self.how_to_raise(name)})"
                )
            update[name] = value
        return self.model_copy(update=update)


class ScenarioLimits(ConfigModel):
    """A scenario's `limits:` block: run caps it lowers for itself (never raises)."""

    max_agents: int | None = Field(default=None, ge=1)
    max_epochs: int | None = Field(default=None, ge=1)
    max_steps_per_epoch: int | None = Field(default=None, ge=1)
    max_agent_epochs: int | None = Field(default=None, ge=1)
    max_agent_steps_per_epoch: int | None = Field(default=None, ge=1)


def _parse_int(raw: Any, where: str) -> int:
    text = str(raw).strip().replace("_", "").replace(",", "")
    try:
        value = int(float(text)) if ("e" in text.lower() and text.lower() != "inf") else int(text)
    except (ValueError, OverflowError):
        raise ValueError(f"{where}: {raw!r} is not a whole number") from None
    return value
