"""Object path vs batch path: the same scenario at N=200, run one `act()` call per agent (scripted
objects registered with `as_group=False`) and as vectorized groups, gives per-epoch toxicity, quality
gap and welfare whose means over 20 seeds agree within their 95% confidence intervals.

The two paths share one set of rules (`ScriptedAgent.act` runs the group policy on a group of one) but
not their random streams, so they are compared statistically, not bit for bit. One behaviour differs by
construction: adversarial coordination needs group membership (a standalone object knows no allies);
it does not move these aggregates beyond noise, and `test_adversarial_coordination_is_batch_only`
documents it.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from distsafe.agents.registry import SCRIPTED_AGENTS
from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig

SEEDS = range(20)
N_EPOCHS, N_STEPS = 4, 4
MIX = {"honest": 80, "opportunistic": 40, "deceptive": 40, "adversarial": 40}  # N = 200, 40/20/20/20
KEYS = ("toxicity_rate", "quality_gap", "total_welfare")


def _run(seed: int, objects: bool, mix: dict[str, int] = MIX) -> np.ndarray:
    """Per-epoch (toxicity, quality gap, welfare) of one run: array [epochs, 3]."""
    o = Orchestrator(
        OrchestratorConfig(n_epochs=N_EPOCHS, steps_per_epoch=N_STEPS, seed=seed, scheduling="random")
    )
    if objects:
        k = 0
        for kind, count in mix.items():
            for i in range(count):
                k += 1
                o.register_agent(
                    SCRIPTED_AGENTS[kind](f"{kind}_{i + 1}", seed=seed * 100_000 + k), as_group=False
                )
    else:
        for kind, count in mix.items():
            o.add_population(kind, count)
    return np.array([[m.values[k] for k in KEYS] for m in o.run()], dtype=float)


def _ci(x: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% t interval over the seeds where the metric is defined (quality gap is nan when no
    interaction was rejected)."""
    x = x[~np.isnan(x)]
    mean = float(np.mean(x))
    half = float(stats.t.ppf(0.975, len(x) - 1) * stats.sem(x))
    return mean, mean - half, mean + half


@pytest.fixture(scope="module")
def runs() -> dict[str, np.ndarray]:
    return {
        "object": np.stack([_run(s, True) for s in SEEDS]),
        "batch": np.stack([_run(s, False) for s in SEEDS]),
    }


@pytest.mark.parametrize("key", KEYS)
def test_run_means_agree(runs, key):
    """Mean over a run's epochs, one value per seed: the two 95% t intervals overlap."""
    j = KEYS.index(key)
    obj = _ci(np.nanmean(runs["object"][:, :, j], axis=1))
    bat = _ci(np.nanmean(runs["batch"][:, :, j], axis=1))
    assert obj[1] <= bat[2] and bat[1] <= obj[2], f"{key}: object {obj} vs batch {bat}"


@pytest.mark.parametrize("key", KEYS)
def test_per_epoch_means_agree(runs, key):
    """Each epoch separately (the deceptive agents switch to exploiting at epoch 3)."""
    j = KEYS.index(key)
    for e in range(N_EPOCHS):
        o, b = runs["object"][:, e, j], runs["batch"][:, e, j]
        if min(np.count_nonzero(~np.isnan(o)), np.count_nonzero(~np.isnan(b))) < 5:
            continue  # defined in too few seeds for an interval
        obj, bat = _ci(o), _ci(b)
        assert obj[1] <= bat[2] and bat[1] <= obj[2], f"{key} epoch {e}: object {obj} vs batch {bat}"


def test_deceptive_switch_shows_in_both_paths(runs):
    """Toxicity rises when the deceptive agents start exploiting (epoch 3), whichever path runs them."""
    j = KEYS.index("toxicity_rate")
    for path in ("object", "batch"):
        tox = runs[path][:, :, j].mean(axis=0)
        assert tox[3] > tox[:3].max(), (path, tox)


def test_adversarial_coordination_is_batch_only():
    """Adversaries coordinate through group membership: in the batch path every adversarial trade of a
    step targets the same (at most two) outsiders; standalone objects know no allies and spread out."""
    from distsafe.models.interaction import InteractionType

    def targets_per_step(objects: bool) -> int:
        o = Orchestrator(OrchestratorConfig(n_epochs=2, steps_per_epoch=3, seed=3))
        mix = {"honest": 60, "adversarial": 20}
        if objects:
            for kind, count in mix.items():
                for i in range(count):
                    o.register_agent(SCRIPTED_AGENTS[kind](f"{kind}_{i + 1}", seed=i), as_group=False)
        else:
            for kind, count in mix.items():
                o.add_population(kind, count)
        got = []
        o.interaction_sink = got.append
        o.run()
        adv = o.agents.type_code == SCRIPTED_AGENTS["adversarial"].agent_type.code
        most = 0
        for b in got:
            trade = (b.itype == InteractionType.TRADE.code) & adv[b.initiator]
            for step in np.unique(b.step[trade]):
                most = max(most, np.unique(b.counterparty[trade & (b.step == step)]).size)
        return most

    assert targets_per_step(objects=False) <= 2
    assert targets_per_step(objects=True) > 2
