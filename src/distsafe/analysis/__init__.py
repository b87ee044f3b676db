"""Analysis across runs: scenario comparison over seeds."""

from distsafe.analysis.compare import (
    ScenarioComparison,
    compare_scenarios,
    comparison_markdown,
    comparison_table,
)

__all__ = ["ScenarioComparison", "compare_scenarios", "comparison_markdown", "comparison_table"]
