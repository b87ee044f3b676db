"""Observation noise: what the agents see of each other is noisy (the reference implementation's
`simulation.observation_noise_probability` / `observation_noise_std`).

There (swarm/core/observation_builder.py `apply_noise`), each numeric field of each agent record in an
observation gets, with probability `observation_noise_probability`, Gaussian noise of standard deviation
`observation_noise_std`. The field distsafe's agents decide on is the other agents' public reputation
(whom to propose to, whether to accept: agents/policies.py), so that is what is noised here: during the
scripted groups' decisions of a step, and again (fresh draws) during their acceptance decisions, each
agent's reputation as seen is `reputation + N(0, std)` with probability `probability`, else the true
value. The true reputations are put back as soon as the decisions are taken: nothing else (payoffs,
levers, metrics, the log) ever reads a noisy value. One draw per observed agent per decision phase, shared
by the observers of that phase (the reference draws per observer; the marginal per observation is the
same). Draws come from the run's own `observation_noise` stream (core/state.py STREAMS); off (either
number 0, the default) nothing is drawn.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from distsafe.core.state import EngineState


def noisy(values: np.ndarray, probability: float, std: float, rng: np.random.Generator) -> np.ndarray:
    """`values` with N(0, std) added to each entry with probability `probability` (a new array)."""
    out = values.astype(np.float64, copy=True)
    if probability <= 0 or std <= 0 or out.size == 0:
        return out
    hit = rng.random(out.size) < probability
    out[hit] += rng.normal(0.0, std, int(hit.sum()))
    return out


@contextmanager
def observed_reputation(state: EngineState) -> Iterator[int]:
    """While open, `state.agents.reputation` holds the reputations as the agents see them (noisy where the
    run has observation noise); yields how many were noised; the true values are restored on exit."""
    cfg = state.config
    p, std = cfg.observation_noise_probability, cfg.observation_noise_std
    if p <= 0 or std <= 0 or len(state.agents) == 0:
        yield 0
        return
    rep = state.agents.reputation
    true = rep.copy()
    seen = noisy(true, p, std, state.rngs["observation_noise"])
    rep[:] = seen
    try:
        yield int(np.count_nonzero(seen != true))
    finally:
        rep[:] = true
