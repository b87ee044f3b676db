"""Fixtures for the lever tests: a small agent table, a context over it, hand-made interaction batches."""

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from distsafe.governance import GovernanceContext
from distsafe.models.agent import AgentType
from distsafe.models.agent_table import AgentTable
from distsafe.models.columns import InteractionBatch


@pytest.fixture
def make_table() -> Callable[..., AgentTable]:
    """make_table(n=4, resources=100.0): n honest agents a_1 .. a_n."""

    def make(n: int = 4, resources: float = 100.0) -> AgentTable:
        t = AgentTable()
        t.add(AgentType.HONEST, 0, prefix="a", count=n, resources=resources)
        return t

    return make


@pytest.fixture
def make_ctx() -> Callable[..., GovernanceContext]:
    """make_ctx(table, epoch=0, seed=0): a governance context with its own seeded generator."""

    def make(table: AgentTable, epoch: int = 0, seed: int = 0) -> GovernanceContext:
        return GovernanceContext(agents=table, epoch=epoch, step=0, rng=np.random.default_rng(seed))

    return make


@pytest.fixture
def make_batch() -> Callable[..., InteractionBatch]:
    """make_batch(**columns): an InteractionBatch; unnamed columns are zero."""

    def make(**cols: Any) -> InteractionBatch:
        return InteractionBatch.from_columns(**cols)

    return make
