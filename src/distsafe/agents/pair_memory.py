"""What a scripted group remembers about each partner: sums per (own row, other row), vectorized.

The reference implementation's deceptive and opportunistic agents keep per-counterparty records (how many
proposals came from whom, how many interactions with whom were accepted, the quality p of past interactions
with whom). `PairMemory` holds such records for a whole group at once: one sorted int64 key per pair that has
met (own row << 32 | other row) and one float64 column per named field. It is sparse: its size is the number
of distinct pairs that actually met (at most members x agents), never a dense members x agents matrix.
Rows are the agent table's rows.
"""

from __future__ import annotations

import numpy as np

_SHIFT = np.int64(32)


def pair_keys(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """The int64 key of each (own row, other row) pair."""
    out: np.ndarray = (own.astype(np.int64) << _SHIFT) | other.astype(np.int64)
    return out


def earlier_duplicates(keys: np.ndarray) -> np.ndarray:
    """Per entry, how many earlier entries of `keys` have the same key (0 for the first of each)."""
    n = keys.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    start = np.r_[True, k[1:] != k[:-1]]
    first = np.maximum.accumulate(np.where(start, np.arange(n), 0))
    out = np.empty(n, dtype=np.int64)
    out[order] = np.arange(n) - first
    return out


class PairMemory:
    """Named float sums per pair of rows; absent pairs read as 0."""

    def __init__(self, fields: tuple[str, ...]):
        self.fields = fields
        self.keys = np.zeros(0, dtype=np.int64)
        self.values = {f: np.zeros(0, dtype=np.float64) for f in fields}

    def __len__(self) -> int:
        return int(self.keys.shape[0])

    def add(self, own: np.ndarray, other: np.ndarray, **amounts: np.ndarray) -> None:
        """Add `amounts[field]` (one value per pair, pairs may repeat) to each pair's sums."""
        if own.shape[0] == 0:
            return
        new = np.unique(pair_keys(own, other))
        missing = new[~np.isin(new, self.keys, assume_unique=True)]
        if missing.size:
            keys = np.concatenate([self.keys, missing])
            order = np.argsort(keys, kind="stable")
            self.keys = keys[order]
            for f in self.fields:
                self.values[f] = np.concatenate([self.values[f], np.zeros(missing.size)])[order]
        pos = np.searchsorted(self.keys, pair_keys(own, other))
        for f, amount in amounts.items():
            np.add.at(self.values[f], pos, np.broadcast_to(np.asarray(amount, dtype=np.float64), pos.shape))

    def get(self, own: np.ndarray, other: np.ndarray, field: str) -> np.ndarray:
        """Each pair's sum of `field` (0 for pairs that never met); `own` and `other` broadcast."""
        own_b, other_b = np.broadcast_arrays(np.asarray(own, np.int64), np.asarray(other, np.int64))
        key = pair_keys(own_b, other_b)
        if self.keys.shape[0] == 0:
            return np.zeros(key.shape)
        pos = np.minimum(np.searchsorted(self.keys, key), self.keys.shape[0] - 1)
        out: np.ndarray = np.where(self.keys[pos] == key, self.values[field][pos], 0.0)
        return out

    def per_owner(self, own: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Per row of `own`: the sum over its stored pairs of `weights` (one value per stored pair, in the
        order of `self.keys`: e.g. a field's column, or a mask of the pairs that pass a test)."""
        owners = self.keys >> _SHIFT
        if owners.shape[0] == 0:
            return np.zeros(own.shape[0])
        uniq, inv = np.unique(owners, return_inverse=True)
        totals = np.bincount(inv, weights=np.asarray(weights, np.float64), minlength=uniq.shape[0])
        pos = np.minimum(np.searchsorted(uniq, own), uniq.shape[0] - 1)
        out: np.ndarray = np.where(uniq[pos] == own, totals[pos], 0.0)
        return out
