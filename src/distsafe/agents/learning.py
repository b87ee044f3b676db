"""Learning from realized payoffs: a group's values of its strategy variants, updated between epochs.

Each proposal a member makes is tagged with the variant it chose (`record`); the realized payoff of the
proposal (0 if refused, else the initiator's payoff with its costs, taxes and penalties) is credited to that
variant. At the epoch end each variant that was played moves toward its mean realized payoff:

    Q_k <- Q_k + learning_rate * (mean realized payoff of k this epoch - Q_k)

(the averaging update of a multi-armed bandit / experience-weighted attraction with one weight). Q starts
at the model's expected payoffs, so before any experience the group decides exactly as without learning;
the choice stays a softmax (logit) over Q minus each agent's own risk terms. No random draws: the update
is deterministic given the run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


class VariantLearner:
    def __init__(self, n_variants: int, learning_rate: float) -> None:
        self.lr = float(learning_rate)
        self.q: npt.NDArray[np.float64] | None = None  # set from the model at the first decision
        self.sums = np.zeros(n_variants)
        self.counts = np.zeros(n_variants, dtype=np.int64)
        self.choice = np.zeros(0, dtype=np.int16)  # the variant each agent row chose this step (-1: none)

    def values(self, model: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The values the group decides on: Q, started at the model's `model` values."""
        if self.q is None:
            self.q = np.array(model, dtype=np.float64)
        return self.q

    def remember(
        self, rows: npt.NDArray[np.integer], variant: npt.NDArray[np.integer], n_agents: int
    ) -> None:
        if self.choice.shape[0] < n_agents:
            grown = np.full(n_agents, -1, dtype=np.int16)
            grown[: self.choice.shape[0]] = self.choice
            self.choice = grown
        self.choice[rows] = variant

    def record(self, rows: npt.NDArray[np.integer], payoffs: npt.NDArray[np.float64]) -> None:
        """Credit realized payoffs of proposals made by `rows` this step to the variants they chose."""
        inside = rows < self.choice.shape[0]
        rows, payoffs = rows[inside], payoffs[inside]
        k = self.choice[rows].astype(np.int64)
        ok = k >= 0
        n = self.sums.shape[0]
        self.sums += np.bincount(k[ok], weights=payoffs[ok], minlength=n)
        self.counts += np.bincount(k[ok], minlength=n)

    def end_epoch(self) -> dict[str, Any] | None:
        """Apply the update; returns what changed (for the `strategy_updated` event) or None."""
        if self.q is None or not self.counts.any():
            self.sums[:] = 0.0
            self.counts[:] = 0
            return None
        played = self.counts > 0
        mean = np.divide(self.sums, np.maximum(self.counts, 1))
        self.q[played] += self.lr * (mean[played] - self.q[played])
        out = {
            "values": [round(float(x), 6) for x in self.q],
            "plays": [int(x) for x in self.counts],
        }
        self.sums[:] = 0.0
        self.counts[:] = 0
        return out
