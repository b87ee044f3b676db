"""Test-data helpers: deterministic synthetic interaction generators, and conformance checks for custom
agents and levers (`distsafe.testing.conformance.check_agent`, `check_lever`)."""

from distsafe.testing.generators import generate_batch_columns, generate_mixed_batch

__all__ = ["generate_batch_columns", "generate_mixed_batch"]
