"""The value side of seed 003's missions (env.mission): the objective metrics of a set of contributions,
the mission score, and Shapley values of the coalition game v(S) = reward_pool * score(S's contributions),
exact or by sampled member orders (the properties each keeps are in env.mission's docstring).

Every function works on coalitions' summed statistics (count, sum of p, min p, accepted count), so a
score is a function of those four numbers only: members with identical statistics are interchangeable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from distsafe.env.mission import MissionObjective

OBJECTIVE_METRICS = ("avg_p", "min_p", "total_count", "acceptance_rate", "total_welfare")


@dataclass
class MemberStats:
    """Per member (in `members` order): contributions, sum of p, min p (inf: none), accepted count."""

    members: list[str]
    count: np.ndarray
    sum_p: np.ndarray
    min_p: np.ndarray
    n_accepted: np.ndarray


def objective_values(metric: str, count: Any, sum_p: Any, min_p: Any, n_acc: Any) -> np.ndarray:
    """`metric` of coalitions given their statistics (arrays of one length); 0 for an empty coalition."""
    c = np.asarray(count, dtype=np.float64)
    safe = np.where(c > 0, c, 1.0)
    if metric == "avg_p":
        return np.where(c > 0, np.asarray(sum_p) / safe, 0.0)
    if metric == "min_p":
        return np.where(c > 0, np.asarray(min_p), 0.0)
    if metric == "total_count":
        return c
    if metric == "acceptance_rate":
        return np.where(c > 0, np.asarray(n_acc) / safe, 0.0)
    return 3.0 * np.asarray(sum_p, dtype=np.float64) - c  # total_welfare: sum p*2 - (1-p)*1


def mission_scores(
    objectives: Sequence[MissionObjective], count: Any, sum_p: Any, min_p: Any, n_acc: Any
) -> np.ndarray:
    """The weighted mean over the objectives of 1 (met) or actual / target, for each coalition."""
    total = np.zeros(np.asarray(count).shape[0])
    weights = 0.0
    for o in objectives:
        actual = objective_values(o.target_metric, count, sum_p, min_p, n_acc)
        total += o.weight * np.where(actual >= o.target_value, 1.0, actual / o.target_value)
        weights += o.weight
    return total / weights if weights > 0 else total


def shapley_values(
    stats: MemberStats,
    value: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    exact_max: int,
    samples: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, str]:
    """Shapley values of the members for the game v(S) = value(S's summed statistics), and the method
    ("exact" or "sampled"): see the module docstring for the properties each keeps."""
    n = len(stats.members)
    cols = (stats.count.astype(np.float64), stats.sum_p, stats.min_p, stats.n_accepted.astype(np.float64))
    if n == 0:
        return np.zeros(0), "exact"
    if n <= exact_max:
        masks = np.arange(1 << n)
        member = ((masks[:, None] >> np.arange(n)[None, :]) & 1).astype(bool)
        v = value(member @ cols[0], member @ cols[1], np.where(member, cols[2][None, :], np.inf).min(axis=1),
                  member @ cols[3])  # fmt: skip
        size = member.sum(axis=1)
        fact = np.array([math.factorial(k) for k in range(n + 1)], dtype=np.float64)
        phi = np.zeros(n)
        for i in range(n):
            without = masks[~member[:, i]]
            s = size[without]
            w = fact[s] * fact[n - s - 1] / fact[n]
            phi[i] = float(np.dot(w, v[without | (1 << i)] - v[without]))
        return phi, "exact"
    order = rng.permuted(np.tile(np.arange(n), (samples, 1)), axis=1)
    prefix = [np.cumsum(cols[0][order], axis=1), np.cumsum(cols[1][order], axis=1),
              np.minimum.accumulate(cols[2][order], axis=1), np.cumsum(cols[3][order], axis=1)]  # fmt: skip
    v = value(*(p.ravel() for p in prefix)).reshape(samples, n)
    empty = value(np.zeros(1), np.zeros(1), np.full(1, np.inf), np.zeros(1))[0]
    marginal = np.diff(np.concatenate([np.full((samples, 1), empty), v], axis=1), axis=1)
    phi = np.zeros(n)
    np.add.at(phi, order.ravel(), marginal.ravel())
    phi /= samples
    keys = np.stack(cols, axis=1)
    _, group = np.unique(keys, axis=0, return_inverse=True)
    group = group.ravel()
    phi = (np.bincount(group, weights=phi) / np.bincount(group))[group]  # identical members: one value
    return phi, "sampled"
