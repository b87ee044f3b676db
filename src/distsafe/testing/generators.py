"""Deterministic synthetic interactions for tests, examples and benchmarks.

Benign interactions get strong observables (progress, engagement, few reworks or rejections), toxic
ones weak observables and misuse flags; `v_hat` and `p` come from the real `ProxyComputer` (by default with
the seeds' sigmoid, k = 2 and no bias, as the seeds' fixtures: the engine's fitted calibration belongs to
the engine's signal model, not to these synthetic signals), so benign rows have high p and toxic rows
low p. Ground truth is +1 for benign and -1 for toxic rows, each flipped with probability `label_noise`.
Acceptance is noisy: P(accept) = 0.5 + acceptance_bias * (p - 0.5), so acceptance_bias = 0 accepts by
coin flip and 1 accepts with probability p; with any value below 1 some toxic interactions are accepted
and some benign ones rejected.

Agents: indices 0 .. n_honest - 1 (the first `1 - toxic_fraction` share of `n_agents`, at least one)
initiate the benign interactions, the rest initiate the toxic ones; counterparties are uniform.
"""

from __future__ import annotations

import numpy as np

from distsafe.core.payoff import SoftPayoffEngine
from distsafe.core.proxy import ProxyComputer
from distsafe.models.columns import InteractionBatch, interactions_from_batch
from distsafe.models.interaction import InteractionType, SoftInteraction

_N_TYPES = len(InteractionType)


def _check(
    count: int, toxic_fraction: float, acceptance_bias: float, label_noise: float, n_agents: int
) -> None:
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    if not 0.0 <= toxic_fraction <= 1.0:
        raise ValueError(f"toxic_fraction must be in [0, 1], got {toxic_fraction}")
    if not 0.0 <= acceptance_bias <= 1.0:
        raise ValueError(f"acceptance_bias must be in [0, 1], got {acceptance_bias}")
    if not 0.0 <= label_noise <= 1.0:
        raise ValueError(f"label_noise must be in [0, 1], got {label_noise}")
    if n_agents < 2:
        raise ValueError(f"n_agents must be >= 2, got {n_agents}")


def _split_agents(n_agents: int, toxic_fraction: float) -> int:
    """Number of honest agents (indices below it initiate benign interactions)."""
    n_honest = int(round(n_agents * (1.0 - toxic_fraction)))
    return min(max(n_honest, 1), n_agents - 1)


def _poisson(rng: np.random.Generator, n: int, lam: float, bad: np.ndarray, lam_bad: float) -> np.ndarray:
    """Poisson counts with rate `lam`, and `lam_bad` at the rows `bad` (scalar rates draw faster)."""
    out = rng.poisson(lam, n).astype(np.int16)
    out[bad] = rng.poisson(lam_bad, bad.shape[0])
    return out


def _uniform(
    u: np.ndarray, lo_width: tuple[float, float], bad: np.ndarray, bad_lo_width: tuple[float, float]
) -> np.ndarray:
    """lo + width * u, with the other (lo, width) at the rows `bad`; u is consumed in place."""
    lo, width = bad_lo_width
    out_bad = lo + width * u[bad]
    lo, width = lo_width
    u *= width
    u += lo
    u[bad] = out_bad
    return u


def _columns(
    rng: np.random.Generator,
    n: int,
    toxic_fraction: float,
    acceptance_bias: float,
    label_noise: float,
    n_agents: int,
    proxy: ProxyComputer | None,
) -> dict[str, np.ndarray]:
    """All generated columns (vectorized)."""
    toxic = rng.random(n) < toxic_fraction
    bad = np.flatnonzero(toxic)
    u = [rng.random(n) for _ in range(4)]  # separate arrays: columns must not pin each other
    progress = _uniform(u[0], (0.3, 0.7), bad, (-0.9, 0.8))
    engagement = _uniform(u[1], (0.1, 0.7), bad, (-0.9, 0.7))
    rework = _poisson(rng, n, 0.3, bad, 1.5)
    rejections = _poisson(rng, n, 0.1, bad, 1.0)
    misuse = _poisson(rng, n, 0.02, bad, 0.8)
    seed_proxy = ProxyComputer(sigmoid_k=2.0)
    v_hat, p = (proxy or seed_proxy).compute_arrays(progress, rework, rejections, misuse, engagement)
    v = np.ones(n, dtype=np.int8)
    v[bad] = -1
    v[u[2] < label_noise] *= -1
    accepted = u[3] < 0.5 + acceptance_bias * (p - 0.5)
    n_honest = _split_agents(n_agents, toxic_fraction)
    initiator = rng.integers(0, n_honest, n, dtype=np.int32)
    initiator[bad] = rng.integers(n_honest, n_agents, bad.shape[0], dtype=np.int32)
    counterparty = rng.integers(0, n_agents - 1, n, dtype=np.int32)
    counterparty += counterparty >= initiator  # never self-interaction
    itype = rng.integers(0, _N_TYPES, n, dtype=np.int8)
    return {
        "initiator": initiator,
        "counterparty": counterparty,
        "itype": itype,
        "accepted": accepted,
        "v": v,
        "task_progress_delta": progress,
        "rework_count": rework,
        "verifier_rejections": rejections,
        "tool_misuse_flags": misuse,
        "counterparty_engagement_delta": engagement,
        "v_hat": v_hat,
        "p": p,
    }


def generate_mixed_batch(
    count: int = 100,
    toxic_fraction: float = 0.3,
    seed: int | None = 0,
    acceptance_bias: float = 0.8,
    label_noise: float = 0.1,
    n_agents: int = 10,
    proxy: ProxyComputer | None = None,
) -> list[SoftInteraction]:
    """`count` `SoftInteraction`s, about `toxic_fraction` of them toxic; same seed, same list.

    Agents are named ``agent_<index>``; interaction ids are ``int_<row>``; timestamp and step are the
    row number. Payoff terms (tau, c, r) are zero and no payoffs are stored in metadata, so metrics
    compute them with their payoff engine. `seed=None` draws fresh entropy (not reproducible).
    """
    _check(count, toxic_fraction, acceptance_bias, label_noise, n_agents)
    rng = np.random.default_rng(seed)
    cols = _columns(rng, count, toxic_fraction, acceptance_bias, label_noise, n_agents, proxy)
    step = np.arange(count, dtype=np.int32)
    batch = InteractionBatch.from_columns(step=step, **cols)
    return interactions_from_batch(
        batch,
        [f"agent_{k}" for k in range(n_agents)],
        ids=[f"int_{i}" for i in range(count)],
        timestamps=[float(i) for i in range(count)],
        metadata=False,
        validate=True,
        columns={"step", *cols},
    )


def generate_batch_columns(
    n: int,
    toxic_fraction: float = 0.3,
    seed: int | None = 0,
    acceptance_bias: float = 0.8,
    label_noise: float = 0.1,
    n_agents: int = 100,
    payoff_engine: SoftPayoffEngine | None = None,
    proxy: ProxyComputer | None = None,
) -> InteractionBatch:
    """The same distribution as `generate_mixed_batch`, as an `InteractionBatch`, fully vectorized.

    Payoff columns are filled by `payoff_engine` (default `SoftPayoffEngine()`), zero for rejected rows;
    epoch is 0 and step is the row number. Suited to benchmarks (10^7 rows in a few seconds).
    """
    _check(n, toxic_fraction, acceptance_bias, label_noise, n_agents)
    rng = np.random.default_rng(seed)
    cols = _columns(rng, n, toxic_fraction, acceptance_bias, label_noise, n_agents, proxy)
    batch = InteractionBatch.from_columns(step=np.arange(n, dtype=np.int32), **cols)
    (payoff_engine or SoftPayoffEngine()).apply_to_batch(batch)
    return batch
