"""Test-data helpers: deterministic synthetic interaction generators."""

from distsafe.testing.generators import generate_batch_columns, generate_mixed_batch

__all__ = ["generate_batch_columns", "generate_mixed_batch"]
