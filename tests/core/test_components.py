"""The component hooks (core.components): a component's interactions go through the whole pipeline,
its hooks run in order, its epoch fields reach the record and its summary the run's."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from distsafe.core.components import Component, ComponentWork, work_quality
from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.core.parts import registry
from distsafe.core.state import EngineState
from distsafe.models.columns import InteractionBatch
from distsafe.models.schema import InteractionType


class Pairs(Component):
    """Each step: agent 0 trades with agent 1 (agreed) and proposes to agent 2 (agent 2 decides)."""

    name = "pairs"

    def __init__(self, agreed: bool) -> None:
        self.agreed = agreed
        self.calls: list[str] = []
        self.seen: list[tuple[int, int, bool]] = []
        self.epoch_rows = 0

    def start(self, state: EngineState) -> None:
        self.calls.append("start")

    def begin_epoch(self, state: EngineState) -> None:
        self.calls.append(f"begin{state.env.epoch}")

    def step(self, state: EngineState) -> ComponentWork | None:
        self.calls.append("step")
        return ComponentWork(
            initiator=np.array([0]), counterparty=np.array([1]), tau=np.array([2.0]), agreed=self.agreed,
            itype=InteractionType.TRADE,
        )  # fmt: skip

    def resolved(self, state: EngineState, batch: InteractionBatch, rows: slice) -> None:
        for j in range(rows.start, rows.stop):
            self.seen.append((int(batch.initiator[j]), int(batch.counterparty[j]), bool(batch.accepted[j])))
            self.epoch_rows += 1

    def end_epoch(self, state: EngineState, batch: InteractionBatch) -> dict[str, float]:
        self.calls.append("end")
        out = {"pairs_rows": float(self.epoch_rows)}
        self.epoch_rows = 0
        return out

    def summary(self) -> dict[str, Any]:
        return {"rows": len(self.seen)}


@pytest.fixture
def with_pairs(monkeypatch: pytest.MonkeyPatch):
    made: list[Pairs] = []

    def use(agreed: bool) -> list[Pairs]:
        def factory(cfg: OrchestratorConfig) -> Pairs:
            made.append(Pairs(agreed))
            return made[-1]

        monkeypatch.setattr(registry, "FACTORIES", [factory])
        return made

    return use


def _run(n_epochs: int = 2, steps: int = 3) -> Orchestrator:
    orch = Orchestrator(OrchestratorConfig(n_epochs=n_epochs, steps_per_epoch=steps, seed=3))
    orch.add_population("honest", 2)
    orch.add_population("adversarial", 1)
    return orch


def test_hooks_run_in_order_and_rows_are_resolved(with_pairs) -> None:
    made = with_pairs(True)
    orch = _run()
    orch.run()
    comp = made[0]
    assert comp.calls == [
        "start",
        "begin0",
        "step",
        "step",
        "step",
        "end",
        "begin1",
        "step",
        "step",
        "step",
        "end",
    ]
    assert len(comp.seen) == 6
    assert all(s == (0, 1, True) for s in comp.seen)  # agreed: accepted (nobody is frozen)
    assert [m.values["pairs_rows"] for m in orch.epoch_metrics] == [3.0, 3.0]
    assert orch.summary()["components"] == {"pairs": {"rows": 6}}
    assert orch.get_component("pairs") is comp
    with pytest.raises(KeyError, match="no component 'hfn'"):
        orch.get_component("hfn")


def test_component_interactions_are_paid_like_any_other(with_pairs) -> None:
    """With only the component's trades accepted, agent 0 pays tau and both get the soft payoff."""
    with_pairs(True)
    orch = Orchestrator(OrchestratorConfig(n_epochs=1, steps_per_epoch=4, seed=1))
    # agents that never act on their own: every interaction of the run is the component's
    orch.add_population(
        "honest", 3, params={"p_interact": 0, "p_post": 0, "p_reply": 0, "p_vote": 0, "p_claim": 0}
    )
    orch.run()
    m = orch.epoch_metrics[0].values
    assert m["n_interactions"] == 4
    assert m["n_accepted"] == 4
    a = orch.agents
    assert a.n_initiated[0] == 4 and a.n_received[1] == 4
    assert a.resources[0] != a.resources[2] and a.resources[1] != a.resources[2]


def test_work_quality_reads_each_policy() -> None:
    orch = _run()
    effort, boost = work_quality(orch.engine_state, np.array([0, 2]))
    honest = orch.engine_state.groups[0].policy.params.effort
    adversarial = orch.engine_state.groups[1].policy.params.effort
    assert effort.tolist() == [honest, adversarial]
    assert boost.shape == (2,)
