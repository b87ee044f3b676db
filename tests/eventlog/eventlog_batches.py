"""Random interaction batches shared by the event-log tests (every column filled, deterministic by seed)."""

from __future__ import annotations

import numpy as np

from distsafe.models.columns import COLUMNS, InteractionBatch


def random_batch(n: int, epoch: int, seed: int = 0, n_agents: int = 5, step: int | None = None,
                 uniform_p: bool = False) -> InteractionBatch:
    """n rows of epoch `epoch`: floats ~ N(0, 1), agents in [0, n_agents), counts in [0, 6).

    `step=None` draws the step column like the other counts; `uniform_p` redraws p in [0, 1) at the end."""
    rng = np.random.default_rng(seed)
    cols = {}
    for c, dt in COLUMNS.items():
        kind = np.dtype(dt).kind
        if kind == "f":
            cols[c] = rng.normal(size=n)
        elif c in ("initiator", "counterparty"):
            cols[c] = rng.integers(0, n_agents, n)
        elif c == "itype":
            cols[c] = rng.integers(0, 4, n)
        elif c == "accepted":
            cols[c] = rng.random(n) < 0.5
        elif c == "v":
            cols[c] = rng.choice([-1, 1], n)
        elif c == "epoch":
            cols[c] = np.full(n, epoch)
        elif c == "step" and step is not None:
            cols[c] = np.full(n, step)
        else:
            cols[c] = rng.integers(0, 6, n)
    if uniform_p:
        cols["p"] = rng.random(n)
    return InteractionBatch.from_columns(**cols)
