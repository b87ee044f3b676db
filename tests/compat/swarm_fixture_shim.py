"""Stand-ins for the reference implementation's `tests/fixtures/interactions.py` (its repository has it, its
sdist does not), written for distsafe's `SoftInteraction`: the harness in test_swarm_reference_tests.py
copies this file into the run folder as `tests/fixtures/interactions.py`.

The distributions are those the reference's tests rely on: benign interactions with p uniform in
[min_p, max_p] (default 0.7-0.95) and ground truth +1; toxic ones with p in [0.1, 0.4] and ground truth -1;
uncertain ones with p within `band` of 0.5 and no ground truth; a mixed batch interleaves benign and toxic.
Acceptance is a coin with the given rate. Small positive governance costs and reputation changes, as there.
"""

from __future__ import annotations

import random

from distsafe.models.interaction import InteractionType, SoftInteraction

_TYPES = list(InteractionType)


def _one(
    rng: random.Random, i: int, p: float, accepted: bool, truth: int | None, good: bool
) -> SoftInteraction:
    return SoftInteraction(
        interaction_id=f"int_{i}_{rng.getrandbits(32):08x}",
        initiator=f"agent_{rng.randint(1, 10)}",
        counterparty=f"agent_{rng.randint(11, 20)}",
        interaction_type=rng.choice(_TYPES),
        accepted=accepted,
        task_progress_delta=rng.uniform(0.5, 1.0) if good else rng.uniform(-0.5, 0.1),
        rework_count=0 if good else rng.randint(1, 3),
        verifier_rejections=0 if good else rng.randint(0, 2),
        tool_misuse_flags=0 if good else rng.randint(0, 2),
        counterparty_engagement_delta=rng.uniform(0.3, 0.8) if good else rng.uniform(-0.5, 0.0),
        v_hat=(p - 0.5) * 2,
        p=p,
        tau=rng.uniform(-0.1, 0.1),
        c_a=rng.uniform(0.01, 0.05),
        c_b=rng.uniform(0.01, 0.05),
        r_a=rng.uniform(0.1, 0.3) if good else rng.uniform(-0.3, -0.1),
        r_b=rng.uniform(0.05, 0.2) if good else rng.uniform(-0.2, -0.05),
        ground_truth=truth,
    )


def generate_benign_batch(
    count: int = 50,
    min_p: float = 0.7,
    max_p: float = 0.95,
    acceptance_rate: float = 0.8,
    seed: int | None = None,
) -> list[SoftInteraction]:
    rng = random.Random(seed)
    return [
        _one(rng, i, rng.uniform(min_p, max_p), rng.random() < acceptance_rate, 1, True) for i in range(count)
    ]


def generate_toxic_batch(
    count: int = 50,
    min_p: float = 0.1,
    max_p: float = 0.4,
    acceptance_rate: float = 0.6,
    seed: int | None = None,
) -> list[SoftInteraction]:
    rng = random.Random(seed)
    return [
        _one(rng, i, rng.uniform(min_p, max_p), rng.random() < acceptance_rate, -1, False)
        for i in range(count)
    ]


def generate_uncertain_batch(
    count: int = 50, band: float = 0.15, seed: int | None = None
) -> list[SoftInteraction]:
    rng = random.Random(seed)
    return [
        _one(rng, i, rng.uniform(0.5 - band, 0.5 + band), rng.random() < 0.5, None, rng.random() < 0.5)
        for i in range(count)
    ]


def generate_mixed_batch(
    count: int = 100, toxic_fraction: float = 0.3, seed: int | None = None
) -> list[SoftInteraction]:
    n_toxic = int(count * toxic_fraction)
    mixed = generate_benign_batch(count - n_toxic, seed=seed) + generate_toxic_batch(
        n_toxic, seed=None if seed is None else seed + 1000
    )
    random.Random(None if seed is None else seed + 2000).shuffle(mixed)
    return mixed
