"""Which components a run has: one factory per config section, run in this order (the order fixes the
order of their draws, events and epoch fields). A factory returns None when its section is off."""

from __future__ import annotations

from collections.abc import Callable

from distsafe.core.components import Component
from distsafe.core.config import OrchestratorConfig
from distsafe.core.parts import dynamic_toxicity

#: config -> the component, or None when the run does not switch it on
FACTORIES: list[Callable[[OrchestratorConfig], Component | None]] = []
FACTORIES.append(dynamic_toxicity.build)


def build_components(config: OrchestratorConfig) -> list[Component]:
    """The run's components, in `FACTORIES` order."""
    out = []
    for factory in FACTORIES:
        comp = factory(config)
        if comp is not None:
            out.append(comp)
    return out
