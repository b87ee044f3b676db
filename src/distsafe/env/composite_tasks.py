"""Composite tasks (seed 001's "Emergent Capability Measurement"): tasks made of subtasks that each need
one capability, so that no single agent can finish them alone, and the emergent metrics of the teams.

Agents hold capabilities as a bit mask per agent (`CapabilityBoard.mask`) and a skill per capability
(`skill`, agents x 8, 0.6 for a registered capability). Each step the engine (`core.social`):

  1. assigns every ready subtask (its dependencies done, nobody on it) to the most skilled free agent that
     holds its capability and is not frozen (ties broken by a draw from the `composite` stream), one
     vectorized pass over the agents per capability needed;
  2. lets every assignee that acts this step finish its subtask with quality
     q = clip(skill + flow_weight * (mean q of its dependencies - skill) + N(0, quality_noise), 0, 1);
  3. completes a task whose subtasks are all done: its bounty is paid to the contributors in proportion to
     the quality they delivered, and each contributor's skills move toward the team's best skill in every
     capability the team used (`skill_learning_rate`: knowledge transfer); a contributor whose skill in a
     capability it did not hold reaches `acquire_skill` acquires it (an emergent capability).

Each epoch a new task of a random type from `task_types` is spawned with probability `task_spawn_rate` while
fewer than `max_concurrent_tasks` are open; a task past its deadline expires.

Metrics of the completed tasks (cumulative over the run; docs/emergent.md has the formulas):
  coordination score   normalized entropy of the subtasks per contributor (1: every subtask a different
                       agent; 0: one agent did all)
  synergy score        q_team / (q_team + q_solo): the team's mean quality against what the contributors
                       deliver unaided, their starting skill `initial_skill` (0.5: the sum of the parts;
                       above: the team gained from information flow and knowledge transfer)
  information flow     mean over subtasks with dependencies of min(1, q / mean q of the dependencies)
  specialization index mean over contributors of (top capability's share of its subtasks - 1/8) / (7/8)
  complementarity      1 - mean Jaccard similarity of the capability sets of a team's contributors
  knowledge transfer   mean skill gained per contributor from collaboration (0+)
  capability concentration  the largest share of all completed subtasks done by one agent
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from itertools import count
from typing import Any, Literal, get_args

import numpy as np
from pydantic import ConfigDict, Field

from distsafe.models.config_base import ConfigModel


class CapabilityType(StrEnum):
    RESEARCH = "research"
    ANALYSIS = "analysis"
    PLANNING = "planning"
    EXECUTION = "execution"
    VERIFICATION = "verification"
    COORDINATION = "coordination"
    CREATIVITY = "creativity"
    COMMUNICATION = "communication"


CAPABILITIES: tuple[CapabilityType, ...] = tuple(CapabilityType)
CAP_INDEX: dict[CapabilityType, int] = {c: i for i, c in enumerate(CAPABILITIES)}
TaskType = Literal["research_synthesis", "planning_coordination", "problem_solving"]
_ids = count(1)


@dataclass
class Subtask:
    name: str
    required_capability: CapabilityType
    dependencies: list[str] = field(default_factory=list)
    assigned_agent: str | None = None
    quality: float | None = None
    completed_epoch: int | None = None
    #: what the assignee delivers unaided, its starting skill (the synergy score's baseline)
    solo_skill: float | None = None

    @property
    def done(self) -> bool:
        return self.quality is not None


@dataclass
class CompositeTask:
    name: str
    description: str
    subtasks: list[Subtask]
    bounty: float = 20.0
    deadline_epoch: int = 10
    min_agents: int = 2
    task_type: str = "custom"
    task_id: str = field(default_factory=lambda: f"ctask_{next(_ids)}")
    status: Literal["open", "completed", "expired"] = "open"
    #: subtask name -> the row of the agent on it (the engine's bookkeeping)
    rows: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def required_capabilities(self) -> set[CapabilityType]:
        return {s.required_capability for s in self.subtasks}

    @property
    def is_complete(self) -> bool:
        return all(s.done for s in self.subtasks)

    def ready_subtasks(self) -> list[Subtask]:
        done = {s.name for s in self.subtasks if s.done}
        return [
            s for s in self.subtasks
            if not s.done and s.assigned_agent is None and all(d in done for d in s.dependencies)
        ]  # fmt: skip

    @property
    def contributors(self) -> list[str]:
        return sorted({s.assigned_agent for s in self.subtasks if s.done and s.assigned_agent})


def _task(
    kind: str, name: str, parts: list[tuple[str, CapabilityType, list[str]]], **kw: Any
) -> CompositeTask:
    return CompositeTask(
        name=name, description=kind.replace("_", " "), task_type=kind,
        subtasks=[Subtask(n, c, list(d)) for n, c, d in parts], **kw,
    )  # fmt: skip


def create_research_synthesis_task(
    topic: str, deadline_epoch: int = 10, bounty: float = 30.0
) -> CompositeTask:
    """Research, analysis, communication, verification; at least 2 agents."""
    C = CapabilityType
    return _task("research_synthesis", f"Research synthesis: {topic}", [
        ("literature_review", C.RESEARCH, []), ("data_analysis", C.ANALYSIS, ["literature_review"]),
        ("report_writing", C.COMMUNICATION, ["data_analysis"]),
        ("review", C.VERIFICATION, ["report_writing"]),
    ], deadline_epoch=deadline_epoch, bounty=bounty, min_agents=2)  # fmt: skip


def create_planning_coordination_task(
    goal: str, deadline_epoch: int = 15, bounty: float = 35.0
) -> CompositeTask:
    """Planning, coordination, analysis, verification; at least 3 agents."""
    C = CapabilityType
    return _task("planning_coordination", f"Planning coordination: {goal}", [
        ("situation_analysis", C.ANALYSIS, []), ("strategy", C.PLANNING, ["situation_analysis"]),
        ("task_assignment", C.COORDINATION, ["strategy"]),
        ("validation", C.VERIFICATION, ["task_assignment"]),
    ], deadline_epoch=deadline_epoch, bounty=bounty, min_agents=3)  # fmt: skip


def create_problem_solving_task(
    problem: str, deadline_epoch: int = 20, bounty: float = 40.0
) -> CompositeTask:
    """Analysis, creativity, planning, execution, verification, with parallel work; at least 3 agents."""
    C = CapabilityType
    return _task("problem_solving", f"Problem solving: {problem}", [
        ("problem_analysis", C.ANALYSIS, []), ("brainstorming", C.CREATIVITY, ["problem_analysis"]),
        ("planning", C.PLANNING, ["problem_analysis"]),
        ("implementation", C.EXECUTION, ["brainstorming", "planning"]),
        ("verification", C.VERIFICATION, ["implementation"]),
    ], deadline_epoch=deadline_epoch, bounty=bounty, min_agents=3)  # fmt: skip


TEMPLATES = {
    "research_synthesis": create_research_synthesis_task,
    "planning_coordination": create_planning_coordination_task,
    "problem_solving": create_problem_solving_task,
}


class InitialTask(ConfigModel):
    """One task of `composite_tasks.initial_tasks`; `topic`, `goal` and `problem` are the templates'
    subjects (any one of them names the task)."""

    model_config = ConfigDict(extra="forbid")

    type: TaskType
    topic: str | None = None
    goal: str | None = None
    problem: str | None = None
    deadline_offset: int = Field(default=10, ge=1)
    bounty: float = Field(default=30.0, ge=0)

    def build(self, epoch: int) -> CompositeTask:
        subject = self.topic or self.goal or self.problem or self.type
        return TEMPLATES[self.type](subject, deadline_epoch=epoch + self.deadline_offset, bounty=self.bounty)


class CompositeTaskConfig(ConfigModel):
    """A scenario's `composite_tasks:` block (and `OrchestratorConfig.composite_task_config`)."""

    model_config = ConfigDict(extra="forbid")

    initial_tasks: list[InitialTask] = Field(default_factory=list)
    task_spawn_rate: float = Field(default=0.3, ge=0, le=1)
    max_concurrent_tasks: int = Field(default=5, ge=1)
    task_types: list[TaskType] = Field(
        default_factory=lambda: list(get_args(TaskType)),
        min_length=1,
    )
    spawn_deadline_offset: int = Field(default=10, ge=1)
    spawn_bounty: float = Field(default=30.0, ge=0)
    initial_skill: float = Field(default=0.6, ge=0, le=1)
    quality_noise: float = Field(default=0.1, ge=0)
    flow_weight: float = Field(default=0.3, ge=0, le=1)
    skill_learning_rate: float = Field(default=0.05, ge=0, le=1)
    acquire_skill: float = Field(default=0.5, ge=0, le=1)


@dataclass
class CapabilityMetrics:
    """`orchestrator.get_capability_metrics()`: the emergent metrics of the completed tasks so far."""

    tasks_completed: int = 0
    tasks_expired: int = 0
    subtasks_completed: int = 0
    avg_coordination_score: float = float("nan")
    avg_synergy_score: float = float("nan")
    avg_information_flow: float = float("nan")
    specialization_index: float = float("nan")
    complementarity_score: float = float("nan")
    knowledge_transfer: float = 0.0
    capability_concentration: float = float("nan")

    @property
    def completion_rate(self) -> float:
        ended = self.tasks_completed + self.tasks_expired
        return self.tasks_completed / ended if ended else float("nan")


class CompositeTaskPool:
    """The open and finished composite tasks and the agents' capabilities and skills (columns)."""

    def __init__(self, config: CompositeTaskConfig | None = None) -> None:
        self.config = config or CompositeTaskConfig()
        self.tasks: list[CompositeTask] = []
        #: per agent: capability bit mask, skill per capability, skill gained from collaboration
        self.mask = np.zeros(0, dtype=np.int16)
        self.skill = np.zeros((0, len(CAPABILITIES)))
        self.gained = np.zeros(0)
        #: per agent: subtasks completed per capability (specialization, concentration)
        self.done_by = np.zeros((0, len(CAPABILITIES)), dtype=np.int64)
        self.busy = np.zeros(0, dtype=bool)
        #: this epoch's completions (for the epoch record)
        self.epoch_completed = 0
        self.epoch_subtasks = 0

    def grow(self, n: int) -> None:
        """Make room for n agents (new agents hold no capability)."""
        k = self.mask.shape[0]
        if n <= k:
            return
        self.mask = np.concatenate([self.mask, np.zeros(n - k, dtype=np.int16)])
        self.skill = np.concatenate([self.skill, np.zeros((n - k, len(CAPABILITIES)))])
        self.gained = np.concatenate([self.gained, np.zeros(n - k)])
        self.done_by = np.concatenate([self.done_by, np.zeros((n - k, len(CAPABILITIES)), dtype=np.int64)])
        self.busy = np.concatenate([self.busy, np.zeros(n - k, dtype=bool)])

    def register(self, rows: np.ndarray, capabilities: set[CapabilityType] | list[CapabilityType]) -> None:
        """Give agents `rows` these capabilities (skill `initial_skill` in each new one)."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size:
            self.grow(int(rows.max()) + 1)
        for cap in capabilities:
            j = CAP_INDEX[CapabilityType(cap)]
            new = (self.mask[rows] & (1 << j)) == 0
            self.skill[rows[new], j] = self.config.initial_skill
            self.mask[rows] |= np.int16(1 << j)

    def add(self, task: CompositeTask) -> None:
        self.tasks.append(task)

    @property
    def open_tasks(self) -> list[CompositeTask]:
        return [t for t in self.tasks if t.status == "open"]

    def begin_epoch(self, epoch: int, rng: np.random.Generator) -> list[tuple[str, CompositeTask]]:
        """Expire overdue tasks, maybe spawn one; returns (what, task) for the log."""
        out: list[tuple[str, CompositeTask]] = []
        for t in self.open_tasks:
            if epoch > t.deadline_epoch:
                t.status = "expired"
                self._release(t)
                out.append(("expired", t))
        cfg = self.config
        if rng.random() < cfg.task_spawn_rate and len(self.open_tasks) < cfg.max_concurrent_tasks:
            kind = cfg.task_types[int(rng.integers(0, len(cfg.task_types)))]
            task = TEMPLATES[kind](kind.replace("_", " "), deadline_epoch=epoch + cfg.spawn_deadline_offset,
                                   bounty=cfg.spawn_bounty)  # fmt: skip
            self.add(task)
            out.append(("created", task))
        return out

    def _release(self, task: CompositeTask) -> None:
        """Free the agents still on an expired task's unfinished subtasks."""
        busy = [task.rows[s.name] for s in task.subtasks if not s.done and s.name in task.rows]
        if busy:
            self.busy[np.array(busy, dtype=np.int64)] = False

    def step(
        self, acting: np.ndarray, frozen: np.ndarray, epoch: int, rng: np.random.Generator, ids: Any
    ) -> tuple[list[tuple[str, CompositeTask, Any]], np.ndarray, np.ndarray]:
        """Assign, work, complete (module docstring). Returns the events (what, task, detail) and the
        bounty payments (rows, amounts)."""
        self.grow(len(ids))
        cfg = self.config
        events: list[tuple[str, CompositeTask, Any]] = []
        pay_rows: list[int] = []
        pay_amounts: list[float] = []
        acts = np.zeros(self.mask.shape[0], dtype=bool)
        acts[acting] = True
        for task in self.open_tasks:
            rows_of = task.rows
            for sub in task.ready_subtasks():  # 1. assign
                j = CAP_INDEX[sub.required_capability]
                free = ((self.mask & (1 << j)) != 0) & ~self.busy & ~frozen[: self.mask.shape[0]]
                cand = np.flatnonzero(free)
                if cand.size == 0:
                    continue
                score = self.skill[cand, j] + rng.random(cand.size) * 1e-6
                r = int(cand[int(np.argmax(score))])
                sub.assigned_agent, sub.solo_skill = ids[r], cfg.initial_skill
                rows_of[sub.name] = r
                self.busy[r] = True
            by_name = {s.name: s for s in task.subtasks}
            for sub in task.subtasks:  # 2. work
                r = rows_of.get(sub.name, -1)
                if sub.done or r < 0 or not acts[r]:
                    continue
                j = CAP_INDEX[sub.required_capability]
                s = float(self.skill[r, j])
                deps = [by_name[d].quality for d in sub.dependencies]
                dep_q = float(np.mean([q for q in deps if q is not None])) if deps else s
                q = s + cfg.flow_weight * (dep_q - s) + float(rng.normal(0.0, cfg.quality_noise))
                sub.quality, sub.completed_epoch = float(np.clip(q, 0.0, 1.0)), epoch
                self.busy[r] = False
                self.done_by[r, j] += 1
                events.append(("subtask", task, sub))
            if task.is_complete:  # 3. complete
                task.status = "completed"
                rows = np.array([rows_of[t.name] for t in task.subtasks], dtype=np.int64)
                quals = np.array([t.quality or 0.0 for t in task.subtasks])
                share = quals / quals.sum() if quals.sum() > 0 else np.full(quals.size, 1.0 / quals.size)
                pay_rows.extend(rows.tolist())
                pay_amounts.extend((task.bounty * share).tolist())
                team = np.unique(rows)
                used = [CAP_INDEX[s.required_capability] for s in task.subtasks]
                best = self.skill[team][:, used].max(axis=0)
                before = self.skill[team][:, used].copy()
                after = before + cfg.skill_learning_rate * np.maximum(best[None, :] - before, 0.0)
                for k, jj in enumerate(used):
                    self.skill[team, jj] = after[:, k]
                self.gained[team] += (after - before).sum(axis=1)
                # a capability learned up to the starting skill is acquired: the agent can now be assigned it
                for k, jj in enumerate(used):
                    learned = team[after[:, k] >= cfg.acquire_skill]
                    self.mask[learned] |= np.int16(1 << jj)
                events.append(("completed", task, team))
        return events, np.array(pay_rows, dtype=np.int64), np.array(pay_amounts)
