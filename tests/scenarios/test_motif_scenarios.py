"""Seed 002's success criterion "at least 3 Moltbook-like motifs reproducible": each motif scenario, run on
several seeds, produces its motif's measure (docs/motifs.md), and every motif scenario's criteria pass at
its shipped seed."""

from __future__ import annotations

import functools
import math

import pytest

from distsafe.scenarios.builder import build_orchestrator
from distsafe.scenarios.loader import load_scenario
from distsafe.scenarios.runner import run_scenario

SEEDS = (0, 1, 2)


@functools.cache
def _epochs(name: str, seed: int, overrides: tuple[str, ...] = ()) -> list[dict]:
    spec = load_scenario(
        f"scenarios/{name}.yaml", [f"simulation.seed={seed}", "simulation.n_epochs=6", *overrides]
    )
    return [m.to_dict() for m in build_orchestrator(spec).run()]


#: meta_discourse's control: one polarizer instead of four, no backfire
CONTROL = ("motifs.backfire=0.0", "agents.3.count=1")


def _polarized(ep: list[dict], seed: int) -> bool:
    """Stances moved (position shifts) and ended more polarized, less in consensus, than the control's."""
    ctl = _epochs("meta_discourse", seed, CONTROL)[-1]
    moved = sum(e["motif_adoptions"] for e in ep) > 0
    return (
        moved
        and ep[-1]["stance_polarization"] > ctl["stance_polarization"]
        and (ep[-1]["stance_consensus"] < ctl["stance_consensus"])
    )


#: motif scenario -> (what its motif produces, checked on the last epoch or over the run)
MOTIFS = {
    # the myths converge: one family is held by at least 40% of the agents, the entropy is low
    "myth_making": lambda ep, seed: ep[-1]["dominant_share"] >= 0.4 and ep[-1]["narrative_entropy"] < 2.0,
    # memes spread: each seed causes more than one adoption directly, a cascade of at least 5
    "meme_warfare": lambda ep, seed: ep[-1]["meme_r0"] > 1.0 and ep[-1]["max_cascade"] >= 5,
    # the polarizers and backfire keep the debate apart: more polarized than without them (CONTROL)
    "meta_discourse": _polarized,
    # rules are adopted and then broken by the flooders (the rails block the acts)
    "norm_drafting": lambda ep, seed: (
        ep[-1]["rules_adopted"] >= 1 and sum(e["rule_violations"] for e in ep) > 0
    ),
}


@pytest.mark.parametrize("name", sorted(MOTIFS))
def test_motif_reproducible_over_seeds(name: str) -> None:
    for seed in SEEDS:
        ep = _epochs(name, seed)
        assert MOTIFS[name](ep, seed), (name, seed)


def test_at_least_three_motifs_reproducible() -> None:
    """The seed's criterion, counted: motifs whose measure holds on every seed (status_game is the fifth)."""
    held = [name for name, check in MOTIFS.items() if all(check(_epochs(name, s), s) for s in SEEDS[:2])]
    assert len(held) >= 3, held


@pytest.mark.parametrize(
    "name", ["myth_making", "meme_warfare", "meta_discourse", "norm_drafting", "adversarial_attack"]
)
def test_motif_scenario_criteria_pass(name: str) -> None:
    result = run_scenario(load_scenario(f"scenarios/{name}.yaml"))
    assert result.criteria, name
    for crit, ok, detail in result.criteria:
        assert ok, f"{name}: {crit} {detail}"
        assert not (isinstance(detail, float) and math.isnan(detail))
