"""The engine's glue for recursive spawning (env.spawn, the reference's `spawn:` section): every agent row
is a root of the run's spawn tree at the start (rows that join later too); each step the component finds
which agents may spawn (the reference's per-observation `can_spawn`) and counts them; epoch fields
`spawn_*` (metrics.epoch SECTION_METRICS["spawn"]); the summary holds the reference's `spawn_metrics`
(total spawned, deepest level, agents per depth, tree sizes per root).

No distsafe agent type asks to spawn (in the reference only its `tierra` agents do), so the tree keeps
its roots, as the reference's does for the same agent types; env.spawn's docstring has the rules a spawn
follows. No draws (no random stream)."""

from __future__ import annotations

from typing import Any

import numpy as np

from distsafe.core.components import Component, ComponentWork
from distsafe.core.config import OrchestratorConfig
from distsafe.core.state import EngineState
from distsafe.env.spawn import SpawnConfig, SpawnTree
from distsafe.models.columns import InteractionBatch


class Spawn(Component):
    name = "spawn"

    def __init__(self, config: SpawnConfig):
        self.config = config
        self.tree = SpawnTree(config)
        self.eligible_sum = 0
        self.steps = 0

    def _cover(self, state: EngineState) -> None:
        """Rows added since the tree last looked (population entry) join as roots."""
        missing = len(state.agents) - len(self.tree)
        if missing > 0:
            self.tree.add_roots(missing)

    def start(self, state: EngineState) -> None:
        self._cover(state)

    def begin_epoch(self, state: EngineState) -> None:
        self._cover(state)
        self.eligible_sum = 0
        self.steps = 0

    def step(self, state: EngineState) -> ComponentWork | None:
        self._cover(state)
        can = self.tree.eligible(state.agents.resources, state.env.time)
        self.eligible_sum += int(np.count_nonzero(can))
        self.steps += 1
        return None

    def end_epoch(self, state: EngineState, batch: InteractionBatch) -> dict[str, float]:
        return {
            "spawn_total": float(self.tree.total_spawned),
            "spawn_max_depth": float(self.tree.depth.max(initial=0)),
            "spawn_eligible": self.eligible_sum / self.steps if self.steps else 0.0,
        }

    def summary(self) -> dict[str, Any]:
        sizes = self.tree.tree_sizes()
        roots = np.flatnonzero(self.tree.parent < 0)
        return {
            "total_spawned": self.tree.total_spawned,
            "max_depth": int(self.tree.depth.max(initial=0)),
            "depth_distribution": self.tree.depth_distribution(),
            "tree_sizes": [int(sizes[r]) for r in roots.tolist()],
        }


def build(config: OrchestratorConfig) -> Component | None:
    cfg = config.spawn_config
    return Spawn(cfg) if cfg is not None and cfg.enabled else None
