"""Analysis across runs: scenario comparison over seeds; seed 001's sweep API, re-exported.

`SweepConfig`, `SweepParameter` and `SweepRunner` live in `distsafe.experiments` (the layer above this
one); seed 001 imports them from here (`from src.analysis import SweepConfig, SweepParameter,
SweepRunner`). They are resolved on first access (PEP 562 `__getattr__`), so importing `distsafe.analysis`
never imports the experiment layer, and no module of this package uses it: the one upward import is this
re-export, declared in .importlinter's layers contract (`ignore_imports`).
"""

from typing import Any

from distsafe.analysis.compare import (
    ScenarioComparison,
    compare_scenarios,
    comparison_markdown,
    comparison_table,
)

_SWEEP_API = ("SweepConfig", "SweepParameter", "SweepRunner", "SweepResult")


def __getattr__(name: str) -> Any:
    if name in _SWEEP_API:
        from distsafe.experiments import sweep_api

        return getattr(sweep_api, name)
    raise AttributeError(f"module 'distsafe.analysis' has no attribute {name!r}")


__all__ = [
    "ScenarioComparison",
    "SweepConfig",
    "SweepParameter",
    "SweepResult",
    "SweepRunner",
    "compare_scenarios",
    "comparison_markdown",
    "comparison_table",
]
