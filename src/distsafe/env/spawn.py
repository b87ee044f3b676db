"""Recursive agent spawning: the reference implementation's `spawn:` section (swarm/core/spawn.py), its
config, its lineage tree and its rules, as arrays over agent rows.

The tree: one entry per agent row, `parent` (-1 for a root: every agent present at the start), `depth`
(root 0), `n_children`, `last_spawn` (global step of the agent's last spawn, -1 never) and `banned`.

Rules (the same as the reference's `SpawnTree`):

* **eligibility** (`eligible`): an agent may spawn when the section is on, it is not banned, its depth is
  below `max_depth`, it has fewer than `max_children` children, fewer than `max_total_spawned` agents were
  spawned in the run, its resources are at least `min_resources_to_spawn` and `spawn_cost`, and at least
  `spawn_cooldown_steps` global steps passed since its last spawn;
* **spawn** (`register`): the child is a new row with parent's depth + 1, reputation
  `parent reputation * reputation_inheritance_factor` (`inherited_reputation`) and
  `initial_child_resources`; the parent pays `spawn_cost`;
* **payoff attribution** (`attribute`): `leaf_only` keeps each payoff with its earner, `root_absorbs`
  gives it to the earner's root, `propagate_up` keeps (1 - f) with the earner and passes the rest up the
  ancestors geometrically (each keeps (1 - f) of what reaches it, the root the remainder): shares sum to
  the payoff;
* **cascade** (`subtree`): banning / freezing an agent reaches its whole subtree when `cascade_ban` /
  `cascade_freeze` is set;
* **observation noise** (`noise_std`): depth * `depth_noise_per_level`.

Who spawns: in the reference only its `tierra` agents ask to spawn (swarm/agents/tierra_agent.py; no other
agent type creates a SPAWN_SUBAGENT action), and its runner calls only eligibility, spawn and the metrics;
attribution, cascade and depth noise are defined there but called by nothing in its run loop. distsafe has
no agent type that asks to spawn, so a run's tree stays its roots, as the reference's does for the same
agent types (`core.parts.spawn`).
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import ConfigDict, Field

from distsafe.models.config_base import ConfigModel

AttributionMode = Literal["leaf_only", "propagate_up", "root_absorbs"]


class SpawnConfig(ConfigModel):
    """A scenario's `spawn:` block (the reference's names and defaults)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="a present section is on unless this is false")
    spawn_cost: float = Field(default=10.0, ge=0, description="resources a parent pays per child")
    max_depth: int = Field(default=3, ge=0, description="deepest level a child may have (roots are 0)")
    max_children: int = Field(default=3, ge=0, description="children per agent")
    max_total_spawned: int = Field(default=50, ge=0, description="children per run")
    attribution_mode: AttributionMode = "leaf_only"
    propagation_fraction: float = Field(default=0.3, ge=0, le=1, description="share passed up (propagate_up)")
    reputation_inheritance_factor: float = Field(
        default=0.5, ge=0, le=1, description="child reputation = parent's times this"
    )
    initial_child_resources: float = Field(default=50.0, ge=0, description="a child's starting resources")
    depth_noise_per_level: float = Field(default=0.05, ge=0, description="observation noise std per level")
    cascade_ban: bool = True
    cascade_freeze: bool = True
    min_resources_to_spawn: float = Field(default=20.0, ge=0, description="resources a parent needs")
    spawn_cooldown_steps: int = Field(default=5, ge=0, description="global steps between an agent's spawns")


def inherited_reputation(parent_reputation: npt.ArrayLike, factor: float) -> npt.NDArray[np.float64]:
    """A child's starting reputation: the parent's times `reputation_inheritance_factor`."""
    return np.asarray(parent_reputation, dtype=np.float64) * factor


class SpawnTree:
    """The lineage of a run's agents, one entry per row (see the module docstring)."""

    def __init__(self, config: SpawnConfig, n_roots: int = 0):
        self.config = config
        self.parent = np.full(n_roots, -1, dtype=np.int64)
        self.depth = np.zeros(n_roots, dtype=np.int64)
        self.n_children = np.zeros(n_roots, dtype=np.int64)
        self.last_spawn = np.full(n_roots, -1, dtype=np.int64)
        self.banned = np.zeros(n_roots, dtype=bool)
        self.total_spawned = 0

    def __len__(self) -> int:
        return int(self.parent.shape[0])

    def add_roots(self, count: int) -> None:
        """Rows that joined without a parent (at the start, or by population entry) are roots."""
        self._grow(count, parent=-1, depth=0)

    def _grow(self, count: int, parent: int, depth: int) -> None:
        self.parent = np.concatenate([self.parent, np.full(count, parent, dtype=np.int64)])
        self.depth = np.concatenate([self.depth, np.full(count, depth, dtype=np.int64)])
        self.n_children = np.concatenate([self.n_children, np.zeros(count, dtype=np.int64)])
        self.last_spawn = np.concatenate([self.last_spawn, np.full(count, -1, dtype=np.int64)])
        self.banned = np.concatenate([self.banned, np.zeros(count, dtype=bool)])

    def eligible(self, resources: npt.ArrayLike, global_step: int) -> npt.NDArray[np.bool_]:
        """Which rows may spawn now (`resources`: one entry per row of the tree)."""
        cfg = self.config
        res = np.asarray(resources, dtype=np.float64)
        if not cfg.enabled or self.total_spawned >= cfg.max_total_spawned:
            return np.zeros(len(self), dtype=bool)
        cooled = (self.last_spawn < 0) | (global_step - self.last_spawn >= cfg.spawn_cooldown_steps)
        out: npt.NDArray[np.bool_] = (
            ~self.banned
            & (self.depth < cfg.max_depth)
            & (self.n_children < cfg.max_children)
            & (res >= cfg.min_resources_to_spawn)
            & (res >= cfg.spawn_cost)
            & cooled
        )
        return out

    def register(self, parent: int, global_step: int) -> int:
        """Record a child of `parent` (the caller adds its agent row, the next one); returns its row."""
        if not 0 <= parent < len(self):
            raise ValueError(f"no agent row {parent} in the spawn tree")
        child = len(self)
        self._grow(1, parent=parent, depth=int(self.depth[parent]) + 1)
        self.n_children[parent] += 1
        self.last_spawn[parent] = global_step
        self.total_spawned += 1
        return child

    def ancestors(self, row: int) -> list[int]:
        """Parent, grandparent, ..., root."""
        out: list[int] = []
        cur = int(self.parent[row])
        while cur >= 0:
            out.append(cur)
            cur = int(self.parent[cur])
        return out

    def roots(self) -> npt.NDArray[np.int64]:
        """Each row's root (itself for a root)."""
        root = np.arange(len(self), dtype=np.int64)
        for _ in range(int(self.depth.max(initial=0))):
            up = self.parent[root]
            root = np.where(up >= 0, up, root)
        return root

    def subtree(self, row: int) -> npt.NDArray[np.int64]:
        """`row` and all its descendants, in row order."""
        inside = np.zeros(len(self), dtype=bool)
        inside[row] = True
        for i in range(row + 1, len(self)):  # a child's row always follows its parent's
            p = int(self.parent[i])
            inside[i] = p >= 0 and bool(inside[p])
        return np.flatnonzero(inside)

    def cascade_ban(self, row: int) -> npt.NDArray[np.int64]:
        """Ban `row` (and its subtree when `cascade_ban`); returns the rows banned."""
        rows = self.subtree(row) if self.config.cascade_ban else np.array([row], dtype=np.int64)
        self.banned[rows] = True
        return rows

    def cascade_freeze(self, row: int) -> npt.NDArray[np.int64]:
        """The rows to freeze when `row` is frozen: its subtree when `cascade_freeze`, else itself."""
        return self.subtree(row) if self.config.cascade_freeze else np.array([row], dtype=np.int64)

    def attribute(self, payoff: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Per-row payoffs after attribution (`payoff`: what each row earned); the total is kept."""
        pay = np.asarray(payoff, dtype=np.float64)
        mode = self.config.attribution_mode
        if mode == "leaf_only":
            return pay.copy()
        if mode == "root_absorbs":
            return np.bincount(self.roots(), weights=pay, minlength=len(self)).astype(np.float64)
        f = self.config.propagation_fraction
        out = pay.copy()
        if f == 0.0:
            return out
        for i in np.flatnonzero((self.parent >= 0) & (pay != 0.0)).tolist():
            chain = self.ancestors(i)
            out[i] -= f * pay[i]
            remaining = f * pay[i]
            for k, anc in enumerate(chain):
                if k == len(chain) - 1:
                    out[anc] += remaining
                else:
                    share = (1.0 - f) * remaining
                    out[anc] += share
                    remaining -= share
        return out

    def noise_std(self) -> npt.NDArray[np.float64]:
        """Extra observation-noise std per row: depth * depth_noise_per_level."""
        return self.depth.astype(np.float64) * float(self.config.depth_noise_per_level)

    def depth_distribution(self) -> dict[int, int]:
        return {int(k): int(v) for k, v in sorted(Counter(self.depth.tolist()).items())}

    def tree_sizes(self) -> npt.NDArray[np.int64]:
        """Agents in each root's tree, one entry per row (0 for non-roots)."""
        return np.bincount(self.roots(), minlength=len(self)).astype(np.int64) * (self.parent < 0)
