"""Which path each LLM decision took, and the valid-action rates built from it.

A decision that asked the model ends on exactly one path (`PATHS`):

- `schema_first_time`: the request carried the action schema (the provider enforces it) and the first
  answer was a valid action;
- `parsed_first_time`: no schema was sent (a provider without one, or `structured_output: false`) and the
  first answer was a valid action after post-hoc extraction and validation;
- `repaired`: the first answer was invalid, the one repair request gave a valid action;
- `invalid_noop`: both answers were invalid: a recorded no-op;
- `error_noop`: the provider failed after its retries: a recorded no-op.

A frozen agent asks nothing and is on no path. `valid_action_rate` = (first time + repaired) / asked,
`first_time_rate` = first time / asked (None, or nan in epoch metrics, when nothing was asked). The agents
count paths (`DecisionPaths`); the run report, manifest.json and the epoch metrics read these functions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

PATHS: tuple[str, ...] = ("schema_first_time", "parsed_first_time", "repaired", "invalid_noop", "error_noop")
FIRST_TIME: tuple[str, ...] = ("schema_first_time", "parsed_first_time")
#: Keys an epoch's metrics get when the run has LLM agents (values for that epoch's decisions).
EPOCH_KEYS: tuple[str, ...] = (
    "llm_decisions",
    "llm_first_time",
    "llm_repaired",
    "llm_noops",
    "llm_first_time_rate",
    "llm_valid_action_rate",
)


@dataclass
class DecisionPaths:
    """Counts per path of one agent's decisions."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PATHS, 0))

    def add(self, path: str) -> None:
        if path not in self.counts:
            raise ValueError(f"unknown decision path {path!r}; expected one of {', '.join(PATHS)}")
        self.counts[path] += 1

    def as_dict(self) -> dict[str, int]:
        return dict(self.counts)


def rates(counts: Mapping[str, int]) -> dict[str, Any]:
    """Asked, first-time, repaired, no-op counts and the two rates (None when nothing was asked)."""
    asked = sum(int(counts.get(p, 0)) for p in PATHS)
    first = sum(int(counts.get(p, 0)) for p in FIRST_TIME)
    repaired = int(counts.get("repaired", 0))
    noops = int(counts.get("invalid_noop", 0)) + int(counts.get("error_noop", 0))
    return {
        "asked": asked,
        "first_time": first,
        "schema_first_time": int(counts.get("schema_first_time", 0)),
        "repaired": repaired,
        "noops": noops,
        "first_time_rate": first / asked if asked else None,
        "valid_action_rate": (first + repaired) / asked if asked else None,
    }


def total_paths(per_agent: Mapping[str, Mapping[str, Any]] | Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """The path counts summed over agents' `usage_stats()` (those without `decision_paths` add nothing)."""
    rows = list(per_agent.values()) if isinstance(per_agent, Mapping) else list(per_agent)
    out = dict.fromkeys(PATHS, 0)
    for r in rows:
        for p, n in (r.get("decision_paths") or {}).items():
            if p in out:
                out[p] += int(n)
    return out


def run_valid_actions(per_agent: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The run's valid-action summary: totals and rates over every agent, and each agent's rates."""
    total = rates(total_paths(per_agent))
    total["by_agent"] = {
        aid: rates(s.get("decision_paths") or {}) for aid, s in per_agent.items() if "decision_paths" in s
    }
    return total


def epoch_metrics(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, float]:
    """`EPOCH_KEYS` for the decisions between two path totals (rates nan when none was asked)."""
    delta = {p: int(after.get(p, 0)) - int(before.get(p, 0)) for p in PATHS}
    r = rates(delta)
    nan = math.nan
    return {
        "llm_decisions": float(r["asked"]),
        "llm_first_time": float(r["first_time"]),
        "llm_repaired": float(r["repaired"]),
        "llm_noops": float(r["noops"]),
        "llm_first_time_rate": nan if r["first_time_rate"] is None else float(r["first_time_rate"]),
        "llm_valid_action_rate": nan if r["valid_action_rate"] is None else float(r["valid_action_rate"]),
    }


def report_rows(per_agent: Mapping[str, Mapping[str, Any]], max_agents: int = 12) -> list[tuple[str, str]]:
    """Rows for the run report: the run's rates, then each agent's (the first `max_agents`)."""
    summary = run_valid_actions(per_agent)
    if not summary["by_agent"]:
        return []

    def line(r: Mapping[str, Any]) -> str:
        if not r["asked"]:
            return "no decisions asked"
        return (
            f"{r['valid_action_rate']:.1%} of {r['asked']}: {r['first_time']} first time "
            f"({r['schema_first_time']} schema), {r['repaired']} repaired, {r['noops']} no-op"
        )

    rows = [("LLM valid actions (run)", line(summary))]
    items = list(summary["by_agent"].items())
    rows += [(f"LLM valid actions {aid}", line(r)) for aid, r in items[:max_agents]]
    if len(items) > max_agents:
        rows.append(("LLM valid actions (more agents)", f"{len(items) - max_agents} more in manifest.json"))
    return rows
