"""Which components a run has: one factory per config section, run in this order (the order fixes the
order of their draws, events and epoch fields). A factory returns None when its section is off."""

from __future__ import annotations

from collections.abc import Callable

from distsafe.core.components import Component
from distsafe.core.config import OrchestratorConfig
from distsafe.core.parts import (
    contracts,
    dynamic_toxicity,
    hfn,
    identity,
    motifs,
    permeability,
    perturbations,
    spawn,
)
from distsafe.core.parts.auction import make_auction
from distsafe.core.parts.market import market_component
from distsafe.core.parts.mission import make_mission

#: config -> the component, or None when the run does not switch it on
FACTORIES: list[Callable[[OrchestratorConfig], Component | None]] = []
FACTORIES.append(hfn.build)  # seed 003's order book (`hfn:`)
FACTORIES.append(make_auction)  # seed 003's Dworkin auctions (`auction:`)
FACTORIES.append(make_mission)  # seed 003's mission economy (`missions:`)
FACTORIES.append(market_component)  # seed 002's marketplace (`marketplace:`)
FACTORIES.append(motifs.build)  # seed 002's Moltbook motifs (core.parts.motifs)
FACTORIES.append(identity.build)  # seed 003's identities (before permeability, which reads trust scores)
FACTORIES.append(permeability.build)  # seed 003's sandbox boundary
FACTORIES.append(dynamic_toxicity.build)
FACTORIES.append(contracts.build)  # the reference's contract markets (`contracts:`)
FACTORIES.append(spawn.build)  # the reference's recursive spawning (`spawn:`)
FACTORIES.append(perturbations.build)  # the reference's perturbations (core.parts.perturbations)


def build_components(config: OrchestratorConfig) -> list[Component]:
    """The run's components, in `FACTORIES` order."""
    out = []
    for factory in FACTORIES:
        comp = factory(config)
        if comp is not None:
            out.append(comp)
    return out
