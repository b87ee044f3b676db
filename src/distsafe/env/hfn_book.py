"""The columnar order book of `env.hfn` and its batch clearing (sorts and cumulative sums, no loop per
order).

Clearing, for one batch: bids sorted by (limit descending, time key, sequence), asks by (limit ascending,
time key, sequence), the time key being the effective arrival time when priority goes by speed and the
sequence number otherwise. Only the crossing part of each side can trade (bids at or above the best ask,
asks at or below the best bid). The cumulative quantities Cb, Ca of the two sorted sides are merged into
segments [s, e) (the union of their breakpoints); segment k pairs bid i = #(Cb <= s) with ask j = #(Ca <= s)
and trades e - s at (bid_i + ask_j) / 2 while bid_i >= ask_j. Along the segments i and j never decrease, so
bid_i - ask_j never increases and the trading segments are a prefix: the fills follow price-time priority
on both sides, and each fill's price lies between its own pair's limits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_I64 = np.int64


class Book:
    """One side's resting orders as columns: account, remaining quantity (micro-units), limit price,
    effective arrival time (ms), sequence number."""

    def __init__(self) -> None:
        self.agent = np.zeros(0, dtype=_I64)
        self.qty = np.zeros(0, dtype=_I64)
        self.price = np.zeros(0, dtype=np.float64)
        self.eff = np.zeros(0, dtype=np.float64)
        self.seq = np.zeros(0, dtype=_I64)

    @property
    def n(self) -> int:
        return int(self.agent.shape[0])

    def add(
        self, agent: np.ndarray, qty: np.ndarray, price: np.ndarray, eff: np.ndarray, seq: np.ndarray
    ) -> None:
        self.agent = np.concatenate([self.agent, agent.astype(_I64)])
        self.qty = np.concatenate([self.qty, qty.astype(_I64)])
        self.price = np.concatenate([self.price, price.astype(np.float64)])
        self.eff = np.concatenate([self.eff, eff.astype(np.float64)])
        self.seq = np.concatenate([self.seq, seq.astype(_I64)])

    def keep(self, mask: np.ndarray) -> None:
        for name in ("agent", "qty", "price", "eff", "seq"):
            setattr(self, name, getattr(self, name)[mask])

    def drop(self, who: np.ndarray) -> int:
        """Remove the orders of the accounts where `who` is True; returns how many."""
        out = who[self.agent] if self.n else np.zeros(0, dtype=bool)
        k = int(out.sum())
        if k:
            self.keep(~out)
        return k

    def best(self, side: int) -> float:
        """Best limit: the highest bid (side +1) or the lowest ask (-1); nan when empty."""
        if self.n == 0:
            return float("nan")
        return float(self.price.max() if side > 0 else self.price.min())

    def held(self, n_accounts: int, bids: bool) -> np.ndarray:
        """What each account's resting orders reserve: cash ceil(q x limit) for bids, q for asks."""
        need = np.ceil(self.qty * self.price).astype(_I64) if bids else self.qty
        out = np.zeros(n_accounts, dtype=_I64)
        np.add.at(out, self.agent, need)
        return out


@dataclass
class Fills:
    """One clearing's fills, in priority order: accounts, quantity (micro-units), price, the pair's limits
    and sequence numbers, and the cash paid (micro-units; set by the engine)."""

    buyer: np.ndarray
    seller: np.ndarray
    qty: np.ndarray
    price: np.ndarray
    bid_price: np.ndarray
    ask_price: np.ndarray
    bid_seq: np.ndarray
    ask_seq: np.ndarray
    pay: np.ndarray

    @property
    def n(self) -> int:
        return int(self.buyer.shape[0])

    @classmethod
    def empty(cls) -> Fills:
        i, f = np.zeros(0, dtype=_I64), np.zeros(0, dtype=np.float64)
        return cls(i, i, i, f, f, f, i, i, i)


def priority(book: Book, side: int, by_speed: bool) -> np.ndarray:
    """The book's order positions in priority order (side +1: bids, -1: asks)."""
    tkey = book.eff if by_speed else book.seq
    return np.lexsort((book.seq, tkey, -side * book.price))


def clear_book(bids: Book, asks: Book, by_speed: bool) -> Fills:
    """Match the crossing part of the book (see the module docstring); removes what filled from both
    books and returns the fills."""
    if bids.n == 0 or asks.n == 0:
        return Fills.empty()
    ob, oa = priority(bids, 1, by_speed), priority(asks, -1, by_speed)
    bp, ap = bids.price[ob], asks.price[oa]
    if bp[0] < ap[0]:
        return Fills.empty()
    nb = int(np.searchsorted(-bp, -ap[0], side="right"))  # bids at or above the best ask
    na = int(np.searchsorted(ap, bp[0], side="right"))  # asks at or below the best bid
    ob, oa, bp, ap = ob[:nb], oa[:na], bp[:nb], ap[:na]
    cb, ca = np.cumsum(bids.qty[ob]), np.cumsum(asks.qty[oa])
    ends = np.sort(np.concatenate([cb, ca]), kind="stable")  # both sorted: the merge of breakpoints
    ends = ends[np.concatenate([[True], ends[1:] != ends[:-1]])]
    starts = np.concatenate([[0], ends[:-1]])
    i = np.searchsorted(cb, starts, side="right")
    j = np.searchsorted(ca, starts, side="right")
    ok = (i < nb) & (j < na)
    ok &= bp[np.minimum(i, nb - 1)] >= ap[np.minimum(j, na - 1)]
    k = int(ok.size if ok.all() else np.argmin(ok))
    i, j = i[:k], j[:k]
    qty = (ends[:k] - starts[:k]).astype(_I64)
    fills = Fills(
        buyer=bids.agent[ob[i]], seller=asks.agent[oa[j]], qty=qty, price=(bp[i] + ap[j]) / 2.0,
        bid_price=bp[i], ask_price=ap[j], bid_seq=bids.seq[ob[i]], ask_seq=asks.seq[oa[j]],
        pay=np.zeros(k, dtype=_I64),
    )  # fmt: skip
    fb, fa = np.zeros(nb, dtype=_I64), np.zeros(na, dtype=_I64)
    np.add.at(fb, i, qty)
    np.add.at(fa, j, qty)
    bids.qty[ob] -= fb
    asks.qty[oa] -= fa
    bids.keep(bids.qty > 0)
    asks.keep(asks.qty > 0)
    return fills
