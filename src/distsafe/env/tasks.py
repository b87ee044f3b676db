"""The task pool: tasks are posted (with a bounty and a deadline), claimed, worked on with
collaborators, and verified by their poster.

Lifecycle: OPEN -> CLAIMED (first claim in schedule order) -> COMPLETED once `work_steps` steps have
passed (the claimer's work and each collaborator's help become interactions the poster verifies), or
EXPIRED when the deadline epoch ends before that. Later claims of a claimed task join it as
collaborators, up to `max_collaborators`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from pydantic import ConfigDict, Field

from distsafe.models.agent_table import AgentNames
from distsafe.models.column_store import Column, ColumnStore
from distsafe.models.config_base import ConfigModel
from distsafe.models.ids import task_id as format_task_id


class TaskStatus(IntEnum):
    OPEN = 0
    CLAIMED = 1
    COMPLETED = 2
    EXPIRED = 3


class TaskConfig(ConfigModel):
    model_config = ConfigDict(extra="forbid")

    tasks_per_agent_per_epoch: float = Field(default=0.1, ge=0, description="new tasks each epoch, per agent")
    bounty_mean: float = Field(default=2.0, ge=0)
    deadline_epochs: int = Field(default=2, ge=1, description="a task expires at the end of created + this")
    work_steps: int = Field(default=2, ge=1, description="steps between claim and completion")
    max_collaborators: int = Field(default=2, ge=0)
    visible_limit: int = Field(default=10, ge=1, description="open tasks shown to an agent")


@dataclass(frozen=True)
class Task:
    task_id: str
    poster_id: str
    bounty: float
    deadline_epoch: int
    status: TaskStatus
    claimer_id: str | None
    collaborators: tuple[str, ...]


class TaskPool(ColumnStore):
    """The live tasks as columns (open or claimed; finished tasks are dropped by `expire`)."""

    task_id: Column[np.int64] = Column(np.int64, 0, "task id (increasing)")
    poster: Column[np.int32] = Column(np.int32, 0, "poster's agent row")
    bounty: Column[np.float64] = Column(np.float64, 0.0, "paid on completion")
    difficulty: Column[np.float32] = Column(np.float32, 0.0, "in [0, 1)")
    deadline: Column[np.int32] = Column(np.int32, 0, "last epoch the task can be completed in")
    status: Column[np.int8] = Column(np.int8, int(TaskStatus.OPEN), "TaskStatus")
    claimer: Column[np.int32] = Column(np.int32, -1, "claimer's agent row (-1: none)")
    claimed_at: Column[np.int64] = Column(np.int64, -1, "simulation time of the claim")
    worker_effort: Column[np.float64] = Column(np.float64, 0.0, "the claimer's effort")
    worker_boost: Column[np.float64] = Column(np.float64, 0.0, "the claimer's signal boost")
    # matrix columns: one slot per collaborator (width `max_collaborators`)
    collab: Column[np.int32] = Column(np.int32, -1, "collaborators' agent rows (-1: free slot)")
    collab_effort: Column[np.float64] = Column(np.float64, 0.0, "collaborators' effort")

    def __init__(self, config: TaskConfig | None = None):
        self.config = config or TaskConfig()
        m = self.config.max_collaborators
        super().__init__(row_shapes={"collab": (m,), "collab_effort": (m,)})
        self.next_id = 0
        self.counts = {s.name.lower(): 0 for s in TaskStatus}

    def spawn(self, posters: np.ndarray, epoch: int, rng: np.random.Generator) -> np.ndarray:
        k = int(posters.shape[0])
        ids = np.arange(self.next_id, self.next_id + k, dtype=np.int64)
        self.next_id += k
        bounty = rng.exponential(self.config.bounty_mean, k)
        difficulty = rng.random(k)
        self.append(
            k,
            task_id=ids,
            poster=posters,
            bounty=bounty,
            difficulty=difficulty,
            deadline=epoch + self.config.deadline_epochs,
            status=TaskStatus.OPEN,
        )
        self.counts["open"] += k
        return ids

    def open_rows(self, limit: int | None = None) -> np.ndarray:
        """Open tasks, highest bounty first (at most `limit`)."""
        rows = np.flatnonzero(self.status == TaskStatus.OPEN)
        limit = limit or self.config.visible_limit
        if rows.size > limit:
            part = np.argpartition(-self.bounty[rows], limit - 1)[:limit]
            rows = rows[part]
        return rows[np.lexsort((self.task_id[rows], -self.bounty[rows]))]

    def rows_of(self, task_ids: np.ndarray) -> np.ndarray:
        if len(self) == 0:
            return np.full(task_ids.shape[0], -1, dtype=np.int64)
        rows = np.minimum(np.searchsorted(self.task_id, task_ids), len(self) - 1)
        return np.where(self.task_id[rows] == task_ids, rows, -1)

    def claim(
        self, agents: np.ndarray, task_ids: np.ndarray, effort: np.ndarray, boost: np.ndarray, now: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Process claims as if one by one in the given (schedule) order, vectorized.

        The first claim of an open task (not by its poster) claims it; every later claim of a claimed task
        (not by its poster or claimer, not by a current collaborator) joins it while slots remain.
        Returns (claimed_mask, joined_mask) aligned with `agents`."""
        k = agents.shape[0]
        claimed = np.zeros(k, dtype=bool)
        joined = np.zeros(k, dtype=bool)
        rows = self.rows_of(task_ids)
        ok = rows >= 0
        ok[ok] &= self.poster[rows[ok]] != agents[ok]
        ok[ok] &= (self.status[rows[ok]] == TaskStatus.OPEN) | (self.status[rows[ok]] == TaskStatus.CLAIMED)
        idx = np.flatnonzero(ok)
        if idx.size == 0:
            return claimed, joined
        r = rows[idx]
        # claims of open tasks: the first in schedule order wins
        open_ = self.status[r] == TaskStatus.OPEN
        cand = idx[open_]
        if cand.size:
            _, first = np.unique(rows[cand], return_index=True)
            win = cand[first]
            wr = rows[win]
            self.status[wr] = TaskStatus.CLAIMED
            self.claimer[wr] = agents[win]
            self.claimed_at[wr] = now
            self.worker_effort[wr] = effort[win]
            self.worker_boost[wr] = boost[win]
            self.counts["open"] -= int(win.size)
            self.counts["claimed"] += int(win.size)
            claimed[win] = True
        # everyone else joins as a collaborator while slots remain
        m = self.config.max_collaborators
        rest = idx[~claimed[idx]]
        if rest.size and m > 0:
            rr = rows[rest]
            fresh = (self.claimer[rr] != agents[rest]) & ~(self.collab[rr] == agents[rest][:, None]).any(
                axis=1
            )
            rest, rr = rest[fresh], rr[fresh]
            if rest.size:
                order = np.argsort(rr, kind="stable")  # keeps schedule order within a task
                rest, rr = rest[order], rr[order]
                starts = np.r_[0, np.flatnonzero(np.diff(rr)) + 1]
                rank = np.arange(rr.size) - np.repeat(starts, np.diff(np.r_[starts, rr.size]))
                slot = (self.collab[rr] >= 0).sum(axis=1) + rank
                take = slot < m
                jr, js, jj = rr[take], slot[take], rest[take]
                self.collab[jr, js] = agents[jj]
                self.collab_effort[jr, js] = effort[jj]
                joined[jj] = True
        return claimed, joined

    def due(self, now: int) -> np.ndarray:
        """Rows of claimed tasks whose work is done at time `now`."""
        return np.flatnonzero(
            (self.status == TaskStatus.CLAIMED) & (now - self.claimed_at >= self.config.work_steps)
        )

    def complete(self, rows: np.ndarray) -> None:
        self.status[rows] = TaskStatus.COMPLETED
        self.counts["claimed"] -= int(rows.size)
        self.counts["completed"] += int(rows.size)

    def expire(self, epoch: int) -> np.ndarray:
        """Expire open or claimed tasks whose deadline epoch has passed; drop finished rows."""
        late = np.flatnonzero(
            ((self.status == TaskStatus.OPEN) | (self.status == TaskStatus.CLAIMED)) & (self.deadline < epoch)
        )
        if late.size:
            self.counts["open"] -= int(np.count_nonzero(self.status[late] == TaskStatus.OPEN))
            self.counts["claimed"] -= int(np.count_nonzero(self.status[late] == TaskStatus.CLAIMED))
            self.status[late] = TaskStatus.EXPIRED
            self.counts["expired"] += int(late.size)
        expired_ids = self.task_id[late].copy()
        self.keep((self.status == TaskStatus.OPEN) | (self.status == TaskStatus.CLAIMED))
        return expired_ids

    def task(self, row: int, agent_ids: AgentNames) -> Task:
        return Task(
            task_id=format_task_id(int(self.task_id[row])),
            poster_id=agent_ids[int(self.poster[row])],
            bounty=float(self.bounty[row]),
            deadline_epoch=int(self.deadline[row]),
            status=TaskStatus(int(self.status[row])),
            claimer_id=agent_ids[int(self.claimer[row])] if self.claimer[row] >= 0 else None,
            collaborators=tuple(agent_ids[int(c)] for c in self.collab[row] if c >= 0),
        )
