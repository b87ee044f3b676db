"""Fixtures for the engine's tests: a small wired engine state and an event sink that keeps events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.core.state import EngineState
from distsafe.models.events import Event


class ListSink:
    """An in-memory event log: keeps the events and the interaction batches appended."""

    fmt = "jsonl"

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.batches: list[Any] = []
        self.closed = False

    def append(self, event: Event) -> None:
        self.events.append(event)

    def append_interactions(self, batch: Any, agent_ids: Any, timestamp: float) -> None:
        self.batches.append(batch)

    def close(self) -> None:
        self.closed = True

    def of_type(self, value: str) -> list[Event]:
        return [e for e in self.events if e.event_type.value == value]


@pytest.fixture
def sink() -> ListSink:
    return ListSink()


def _small_engine(n_honest: int = 6, **cfg: Any) -> tuple[Orchestrator, EngineState]:
    o = Orchestrator(OrchestratorConfig(n_epochs=1, steps_per_epoch=3, seed=1, **cfg))
    o.add_population("honest", n_honest)
    return o, o.engine_state


@pytest.fixture
def make_engine() -> Callable[..., tuple[Orchestrator, EngineState]]:
    """`make_engine(n_honest=6, **config)`: an orchestrator with a population of honest agents, and its
    engine state; more agents may be registered before the first step."""
    return _small_engine


@pytest.fixture
def engine() -> EngineState:
    """Six honest agents (rows 0-5), epoch 0, step 0, nothing run yet."""
    return _small_engine()[1]
