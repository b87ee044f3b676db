"""Agent state as numpy columns: one row per agent, whether scripted (no Python object) or an object.

The engine, the governance levers and the metrics read and write these arrays; `AgentState` records
are produced on demand (`state_of`) for the seed's object API.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import Protocol

import numpy as np
import numpy.typing as npt

from distsafe.models.agent import AgentState, AgentType
from distsafe.models.column_store import Column, ColumnStore


class AgentNames(Protocol):
    """Anything that names agent rows by index: a `list[str]`, or `AgentIds`."""

    def __getitem__(self, i: int, /) -> str: ...


class AgentIds:
    """Names of agent rows without one Python string per agent.

    A population of k scripted agents is one segment `prefix_1 .. prefix_k`; named agents (objects)
    are segments of one. `ids[i]` and `ids.index_of(name)` are O(log segments).
    """

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._segments: list[tuple[str, int, bool]] = []  # (prefix or name, count, is_population)
        self._named: dict[str, int] = {}
        self._prefixes: dict[str, int] = {}  # prefix -> segment number
        self._names: list[str] | None = None  # every name, built on demand by __iter__
        self.n = 0

    def __len__(self) -> int:
        return self.n

    def add_named(self, name: str) -> int:
        if name in self._named or self._population_hit(name) is not None:
            raise ValueError(f"duplicate agent id {name!r}")
        self._starts.append(self.n)
        self._segments.append((name, 1, False))
        self._named[name] = self.n
        self.n += 1
        return self.n - 1

    def add_population(self, prefix: str, count: int) -> int:
        if prefix in self._prefixes:
            raise ValueError(f"duplicate population prefix {prefix!r}")
        for name in self._named:
            if name.startswith(prefix + "_") and name[len(prefix) + 1 :].isdigit():
                raise ValueError(f"population {prefix!r} would shadow agent id {name!r}")
        start = self.n
        self._starts.append(start)
        self._segments.append((prefix, count, True))
        self._prefixes[prefix] = len(self._segments) - 1
        self.n += count
        return start

    def _population_hit(self, name: str) -> int | None:
        prefix, _, num = name.rpartition("_")
        seg = self._prefixes.get(prefix)
        if seg is None or not num.isdigit():
            return None
        k = int(num)
        count = self._segments[seg][1]
        if 1 <= k <= count and str(k) == num:
            return self._starts[seg] + k - 1
        return None

    def index_of(self, name: str) -> int | None:
        i = self._named.get(name)
        return i if i is not None else self._population_hit(name)

    def __contains__(self, name: str) -> bool:
        return self.index_of(name) is not None

    def add_named_many(self, names: list[str]) -> int:
        """Append many named agents at once (same checks as `add_named`); returns the first row."""
        seen: set[str] = set()
        for name in names:
            if (
                name in seen
                or name in self._named
                or (self._prefixes and self._population_hit(name) is not None)
            ):
                raise ValueError(f"duplicate agent id {name!r}")
            seen.add(name)
        start = self.n
        self._starts.extend(range(start, start + len(names)))
        self._segments.extend((name, 1, False) for name in names)
        self._named.update(zip(names, range(start, start + len(names))))
        self.n += len(names)
        return start

    def __getitem__(self, i: int) -> str:
        i = int(i)
        if not 0 <= i < self.n:
            raise IndexError(i)
        if len(self._segments) == self.n:  # named agents only: one segment per row
            return self._segments[i][0]
        seg = bisect.bisect_right(self._starts, i) - 1
        label, _, is_pop = self._segments[seg]
        return f"{label}_{i - self._starts[seg] + 1}" if is_pop else label

    def __iter__(self) -> Iterator[str]:
        """All names in row order. The list is built on the first full iteration and kept until the next
        addition: event logs name every agent of each step's batch, and building 10^6 strings per step
        would cost more than the step."""
        if self._names is None or len(self._names) != self.n:
            self._names = [
                f"{label}_{k}" if is_pop else label
                for label, count, is_pop in self._segments
                for k in (range(1, count + 1) if is_pop else (0,))
            ]
        return iter(self._names)


class AgentTable(ColumnStore):
    """Struct-of-arrays agent state. `ids[i]` names row i; `ids.index_of(name)` finds it."""

    type_code: Column[np.int8] = Column(np.int8, 0, "AgentType code")
    group: Column[np.int32] = Column(np.int32, -1, "policy group the agent follows (-1: none)")
    reputation: Column[np.float64] = Column(np.float64, 0.0, "reputation")
    resources: Column[np.float64] = Column(np.float64, 100.0, "resources (money)")
    total_payoff: Column[np.float64] = Column(np.float64, 0.0, "payoff summed over the run")
    n_initiated: Column[np.int32] = Column(np.int32, 0, "interactions initiated")
    n_received: Column[np.int32] = Column(np.int32, 0, "interactions received as counterparty")
    posts: Column[np.int32] = Column(np.int32, 0, "posts and replies written")
    votes_cast: Column[np.int32] = Column(np.int32, 0, "votes cast")
    frozen_until: Column[np.int32] = Column(np.int32, -1, "the agent is frozen while epoch < frozen_until")
    # per-epoch counters (reset at each epoch start)
    epoch_posts: Column[np.int32] = Column(np.int32, 0, "posts this epoch")
    epoch_votes: Column[np.int32] = Column(np.int32, 0, "votes this epoch")
    epoch_claims: Column[np.int32] = Column(np.int32, 0, "task claims this epoch")
    epoch_interactions: Column[np.int32] = Column(np.int32, 0, "interactions this epoch")
    epoch_actions: Column[np.int32] = Column(np.int32, 0, "actions this epoch")
    epoch_spend: Column[np.float64] = Column(np.float64, 0.0, "transfers paid this epoch")

    def __init__(self) -> None:
        super().__init__()
        self.ids = AgentIds()

    @property
    def n(self) -> int:
        return len(self)

    def add(
        self,
        agent_type: AgentType,
        group: int,
        *,
        name: str | None = None,
        prefix: str | None = None,
        count: int = 1,
        resources: float = 100.0,
        reputation: float = 0.0,
    ) -> npt.NDArray[np.int64]:
        """Append one named agent (`name`) or a population of `count` (`prefix_1..prefix_count`)."""
        if name is not None:
            start = self.ids.add_named(name)
            k = 1
        else:
            if count < 1:
                raise ValueError(f"population count must be >= 1, got {count}")
            start = self.ids.add_population(prefix or agent_type.value, count)
            k = count
        self.append(k, type_code=agent_type.code, group=group, resources=resources, reputation=reputation)
        return np.arange(start, start + k)

    def add_named_batch(
        self,
        names: list[str],
        agent_type: AgentType,
        groups: npt.ArrayLike,
        reputations: npt.ArrayLike,
        resources: npt.ArrayLike,
    ) -> npt.NDArray[np.int64]:
        """Append many named agents (one slice assignment per column)."""
        start = self.ids.add_named_many(names)
        k = len(names)
        self.append(k, type_code=agent_type.code, group=groups, reputation=reputations, resources=resources)
        return np.arange(start, start + k)

    def frozen_mask(self, epoch: int) -> npt.NDArray[np.bool_]:
        return self.frozen_until > epoch

    def reset_epoch_counters(self) -> None:
        self.epoch_posts[:] = 0
        self.epoch_votes[:] = 0
        self.epoch_claims[:] = 0
        self.epoch_interactions[:] = 0
        self.epoch_actions[:] = 0
        self.epoch_spend[:] = 0.0

    def state_of(self, i: int, epoch: int = 0) -> AgentState:
        return AgentState(
            agent_id=self.ids[i],
            agent_type=AgentType.from_code(int(self.type_code[i])),
            reputation=float(self.reputation[i]),
            resources=float(self.resources[i]),
            total_payoff=float(self.total_payoff[i]),
            interactions_initiated=int(self.n_initiated[i]),
            interactions_received=int(self.n_received[i]),
            posts=int(self.posts[i]),
            votes_cast=int(self.votes_cast[i]),
            frozen_until_epoch=int(self.frozen_until[i]),
            is_frozen=bool(self.frozen_until[i] > epoch),
        )

    def memory_bytes(self) -> int:
        """Bytes of the agents' columns (live rows; the buffers may hold up to half as much again free)."""
        return self.nbytes()


# name -> (dtype, initial value), for code that lists the agent columns.
_COLUMNS: dict[str, tuple[type[np.generic], bool | int | float]] = {
    name: (col.dtype.type, col.default) for name, col in AgentTable.declared_columns().items()
}
