"""Red-teaming (seed 001): the attack library (`attacks`), the evaluator (`evaluator`), measurement against
ground truth (`metrics`) and the `distsafe redteam` command (`cli`). The names below are imported on first
use, so that the command line starts without the engine."""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "AttackLibrary": "distsafe.redteam.attacks",
    "AttackScenario": "distsafe.redteam.attacks",
    "RedTeamEvaluator": "distsafe.redteam.evaluator",
    "evaluate_scenario": "distsafe.redteam.evaluator",
    "EffectivenessReport": "distsafe.redteam.metrics",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'distsafe.redteam' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
