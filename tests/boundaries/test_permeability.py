"""boundaries.permeability: the adaptive formula, the boundary's draws, containment and the optimum."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from distsafe.boundaries.permeability import PermeabilityConfig, PermeabilityModel
from distsafe.models.interaction import SoftInteraction


def test_effective_permeability_values() -> None:
    m = PermeabilityModel(PermeabilityConfig(base_permeability=0.5, threat_sensitivity=1.0))
    assert m.compute_effective_permeability(0.3, 0.8) == pytest.approx(0.5 * 0.7 * 0.9)
    assert m.state.effective_permeability == pytest.approx(0.315) and m.state.threat_level == 0.3
    assert m.compute_effective_permeability(1.5, 1.0) == 0.0  # threat factor clipped at 0
    out = m.compute_effective_permeability(np.array([0.0, 0.5]), np.array([0.0, 1.0]))
    assert out.tolist() == pytest.approx([0.25, 0.25])
    fixed = PermeabilityModel(PermeabilityConfig(base_permeability=0.4, adaptive=False))
    assert fixed.compute_effective_permeability(0.9, 0.0) == pytest.approx(0.4)


def test_crossing_and_contagion_probabilities() -> None:
    m = PermeabilityModel(PermeabilityConfig(contagion_rate=0.2))
    assert m.crossing_probability(0.5, 1.0) == pytest.approx(0.5)
    assert m.crossing_probability(0.5, 0.0) == pytest.approx(0.25)
    assert m.contagion_probability(0.25, 0.5) == pytest.approx(0.2 * 0.75 * 0.5)


@settings(max_examples=60, deadline=None)
@given(
    p=st.lists(st.floats(0, 1), min_size=1, max_size=60),
    rate=st.floats(0, 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_sealed_boundary_spills_nothing_and_open_boundary_lets_every_flow_cross(
    p: list[float], rate: float, seed: int
) -> None:
    arr, acc = np.array(p), np.ones(len(p), dtype=bool)
    sealed = PermeabilityModel(PermeabilityConfig(contagion_rate=rate), seed=seed)
    res = sealed.spill(arr, acc, 0.0)
    assert not res.crossed.any() and not res.contagious.any() and res.harm.sum() == 0.0
    assert sealed.state.cumulative_external_harm == 0.0 and sealed.containment_rate() == 1.0
    open_ = PermeabilityModel(PermeabilityConfig(contagion_rate=rate), seed=seed)
    res = open_.spill(arr, acc, 1.0)
    assert res.crossed.all() and not res.blocked.any()
    assert np.array_equal(res.spilled, res.contagious)


def test_spillover_statistics_and_state() -> None:
    cfg = PermeabilityConfig(contagion_rate=1.0, spillover_amplification=2.0, information_decay=0.1)
    m = PermeabilityModel(cfg, seed=1)
    n = 20000
    p = np.full(n, 0.2)
    res = m.spill(p, np.arange(n) % 2 == 0, 0.5)  # odd rows not accepted: no flows
    assert not (res.crossed[1::2].any() or res.contagious[1::2].any())
    # contagion 1 * 0.8 * 0.5 = 0.4, crossing 0.5 ** (2 / 1.2) = 0.315
    assert res.contagious[::2].mean() == pytest.approx(0.4, abs=0.02)
    assert res.crossed[::2].mean() == pytest.approx(0.5 ** (2 / 1.2), abs=0.02)
    assert res.harm[res.spilled] == pytest.approx(np.full(res.spilled.sum(), 1.6))
    st_ = m.state
    assert st_.total_spillovers == res.spilled.sum() and st_.total_blocked == res.blocked.sum()
    assert st_.cumulative_external_harm == pytest.approx(1.6 * res.spilled.sum())
    assert m.containment_rate() == pytest.approx(res.blocked.sum() / res.contagious.sum())
    assert np.nanmax(res.external_p) == pytest.approx(0.18)


def test_simulate_spillover_on_interactions_and_the_optimum() -> None:
    items = [SoftInteraction(p=0.1, accepted=True) for _ in range(50)]
    items += [SoftInteraction(p=0.9, accepted=False) for _ in range(5)]
    m = PermeabilityModel(PermeabilityConfig(contagion_rate=1.0, base_permeability=1.0), seed=0)
    events = m.simulate_spillover(items)
    assert len(events) == sum(1 for _ in events) and all(not e.blocked for e in events)
    assert {e.source_interaction_id for e in events} <= {x.interaction_id for x in items[:50]}
    assert m.compute_spillover_harm() == pytest.approx(len(events) * 0.9 * 1.5)
    # harmful flows only: every open setting loses more than it gains at a high harm weight
    assert m.optimal_permeability(items, external_harm_weight=10.0) == 0.0
    good = [SoftInteraction(p=0.95, accepted=True) for _ in range(20)]
    assert m.optimal_permeability(good, external_harm_weight=1.0, n_samples=4) == 1.0
    with pytest.raises(ValueError, match="n_samples"):
        m.optimal_permeability(good, n_samples=0)


def test_same_seed_same_draws() -> None:
    p = np.linspace(0, 1, 200)
    a = PermeabilityModel(PermeabilityConfig(contagion_rate=0.5), seed=9).spill(p, np.ones(200, bool), 0.6)
    b = PermeabilityModel(PermeabilityConfig(contagion_rate=0.5), seed=9).spill(p, np.ones(200, bool), 0.6)
    assert np.array_equal(a.crossed, b.crossed) and np.array_equal(a.contagious, b.contagious)


@pytest.mark.parametrize(
    "field, value",
    [("base_permeability", 1.5), ("contagion_rate", -0.1), ("spillover_amplification", -1.0),
     ("threat_sensitivity", float("inf")), ("information_decay", 2.0)],
)  # fmt: skip
def test_bad_config_is_rejected(field: str, value: float) -> None:
    with pytest.raises(ValidationError, match=field):
        PermeabilityConfig(**{field: value})


def test_bad_permeability_is_rejected() -> None:
    m = PermeabilityModel()
    with pytest.raises(ValueError, match="permeability must be"):
        m.spill(np.array([0.5]), np.array([True]), float("nan"))
