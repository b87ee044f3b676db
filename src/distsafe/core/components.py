"""Engine components: parts of the world a run switches on (seed 003's economies, seed 002's marketplace
and motifs), each driven by the engine at fixed points of the loop.

    start(state)                        the run starts (after the population and the network exist)
    begin_epoch(state)                  each epoch's start, after governance's epoch hooks and new tasks
    may_act(state, order) -> order      each step's start: the scheduled rows it lets act (agent dropout)
    step(state) -> ComponentWork|None   each step, after the agents' actions and before resolution: the
                                        interactions this component adds to the step's batch
    before_payoffs(state, batch)        the same step, every interaction of the batch labelled (p, r_a,
                                        r_b set), before governance's costs and the payoffs: a component
                                        that changes the terms of all interactions (contract markets)
    resolved(state, batch, rows)        the same step, after its interactions were labelled and paid:
                                        `rows` is the slice of the step's batch that are its own
    end_epoch(state, batch) -> dict     each epoch's end: its metrics for the epoch record
    summary() -> dict                   at the run's end: its totals (the run summary's `components`)

A component's interactions go through the same pipeline as every other interaction (acceptance, hidden
outcome and observables, p, governance costs, payoffs, reputation, the log): a trade on the order book, an
accepted bounty bid or a mission contribution is measured like a proposal. `ComponentWork.agreed` says
whether both sides already agreed (a matched order): then only a frozen counterparty refuses; otherwise the
counterparty decides as it does for a proposal.

Components are built from the run's config by the factories of `core.parts.registry` (one per config
section; a factory returns None when its section is off), in that order, so the order of their draws and
columns is fixed. Each uses its own random stream (`core.state.STREAMS`) and its epoch fields are declared
in `metrics.epoch.SECTION_METRICS` under its name. The glue of each component (this interface over the
component's own module in `env`, `boundaries`, `models` ...) lives in `core.parts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from distsafe.core.state import EngineState
from distsafe.models.columns import InteractionBatch
from distsafe.models.schema import InteractionType


@dataclass
class ComponentWork:
    """Interactions a component adds to this step's batch (arrays of one length; rows are agent rows)."""

    initiator: np.ndarray
    counterparty: np.ndarray
    #: transfer from initiator to counterparty (< 0: the counterparty pays the initiator, as for a bounty)
    tau: np.ndarray
    #: P(v=+1) of the work delivered (the hidden outcome's draw) and signal gaming; default: each
    #: initiator's own (`work_quality`)
    effort: np.ndarray | None = None
    boost: np.ndarray | None = None
    itype: InteractionType = InteractionType.TRADE
    #: True: both sides already agreed (only a frozen counterparty refuses); False: the counterparty decides
    agreed: bool = False

    def __len__(self) -> int:
        return int(np.asarray(self.initiator).shape[0])


class Component:
    """Base class of an engine component; a subclass overrides the hooks it needs."""

    #: the component's name: its config section, and the prefix of its events
    name: ClassVar[str] = ""

    def start(self, state: EngineState) -> None:
        return None

    def begin_epoch(self, state: EngineState) -> None:
        return None

    def may_act(self, state: EngineState, order: np.ndarray) -> np.ndarray:
        """The rows of this step's schedule (`order`, not frozen) that this component lets act."""
        return order

    def step(self, state: EngineState) -> ComponentWork | None:
        return None

    def before_payoffs(self, state: EngineState, batch: InteractionBatch) -> None:
        return None

    def resolved(self, state: EngineState, batch: InteractionBatch, rows: slice) -> None:
        return None

    def end_epoch(self, state: EngineState, batch: InteractionBatch) -> dict[str, float]:
        return {}

    def summary(self) -> dict[str, Any]:
        return {}


def work_quality(state: EngineState, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's own effort and signal gaming, as its policy sets them (`PolicyParams.effort`,
    `signal_boost`); an object agent without a policy works at effort 0.5 with no gaming."""
    rows = np.asarray(rows, dtype=np.int64)
    effort = np.full(rows.shape[0], 0.5)
    boost = np.zeros(rows.shape[0])
    if rows.size == 0:
        return effort, boost
    gid = state.agents.group[rows]
    for g in np.unique(gid).tolist():
        group = state.groups[int(g)]
        policy = group.policy if group.policy is not None else getattr(group.agent, "policy", None)
        params = getattr(policy, "params", None)
        if params is None:
            continue
        mask = gid == g
        effort[mask] = float(params.effort)
        boost[mask] = float(getattr(params, "signal_boost", 0.0))
    return effort, boost
