"""Shared reductions behind `SoftMetrics`: one lazily evaluated `BatchStats` per batch.

The core counts and sums (and, when every row has known truth, the calibration bins) come from a
single pass over chunks of `CHUNK` rows with reused scratch buffers; the rarer reductions of
`compute_all` are chunked the same way. Chunking avoids allocating 10^7-row temporaries, whose page
faults cost as much as the arithmetic; products are summed with `einsum` rather than BLAS `dot`, whose
thread start-up dominates on a busy machine.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from distsafe.core.payoff import SoftPayoffEngine
from distsafe.models.columns import InteractionBatch
from distsafe.models.interaction import SoftInteraction

InteractionsLike = InteractionBatch | Sequence[SoftInteraction]

NAN = float("nan")

#: Rows per chunk of the reduction passes (scratch buffers of this length stay cache-resident).
CHUNK = 1 << 16


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """sum(a * b) without BLAS: numpy's own SIMD loop. BLAS ddot spawns threads, which on a busy
    machine costs more than the product itself."""
    return float(np.einsum("i,i->", a, b))


def div_or_nan(num: float, den: float) -> float:
    """num / den, or nan when den is 0 (mean over an empty set)."""
    return float(num) / float(den) if den else NAN


def gini(values: Any) -> float:
    """Gini coefficient of `values`, in [0, 1] (0 = perfectly equal).

    G = sum_i (2 i - n - 1) x_(i) / (n * sum_i x_(i)) over the ascending order statistics x_(1..n).
    Payoffs can be negative, so when min(x) < 0 the values are shifted by -min(x) first (the poorest
    agent then holds 0); the coefficient is then that of the shifted distribution. Empty input gives
    nan; all-equal input (sum 0 after the shift) gives 0. Non-finite values are ignored.
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    x = x[np.isfinite(x)]
    n = x.shape[0]
    if n == 0:
        return NAN
    lo = x.min()
    if lo < 0:
        x = x - lo
    total = x.sum()
    if total <= 0:
        return 0.0
    x = np.sort(x)
    ranks = np.arange(1, n + 1, dtype=np.float64)
    g = _dot(2.0 * ranks - n - 1.0, x) / float(n * total)
    return min(max(g, 0.0), 1.0)


def to_batch(
    data: InteractionsLike, payoff_engine: SoftPayoffEngine | None = None
) -> tuple[InteractionBatch, list[str] | None]:
    """An `InteractionBatch` for `data`, plus the agent-id list when `data` was a list.

    For a list whose payoff columns come out all zero, payoffs are computed with the engine's
    `payoff_arrays` (rejected interactions pay 0).
    """
    if isinstance(data, InteractionBatch):
        return data, None
    batch, names = InteractionBatch.from_interactions(list(data))
    if len(batch) and not (batch.payoff_a.any() or batch.payoff_b.any()):
        (payoff_engine or SoftPayoffEngine()).apply_to_batch(batch)
    return batch, names


@dataclass(frozen=True, kw_only=True)
class CoreSums:
    """The counts and sums of `BatchStats.core` (calibration bins only when every row has known truth)."""

    n_acc: int
    n_hard: int
    n_hard_acc: int
    n_pos: int
    n_hard_pos: int
    n_pos_acc: int
    sum_p: float
    sum_p_acc: float
    sum_p2: float
    sum_pa_acc: float
    sum_pb_acc: float
    bins: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class BatchStats:
    """Lazily computed sums over one batch, shared by all metrics computed on it."""

    def __init__(
        self,
        batch: InteractionBatch,
        engine: SoftPayoffEngine,
        threshold: float,
        ece_bins: int,
        uncertain_band: tuple[float, float],
    ):
        self.batch = batch
        self.engine = engine
        self.threshold = threshold
        self.ece_bins = ece_bins
        self.band = uncertain_band
        self.p = np.asarray(batch.p, dtype=np.float64)
        self.acc = np.asarray(batch.accepted, dtype=np.bool_)
        self.n = int(self.p.shape[0])

    # ---- one chunked pass for the core sums --------------------------------------------------------
    @cached_property
    def core(self) -> CoreSums:
        """Counts, sums and (when every row has known truth) calibration bins in one chunked pass.

        Chunks of `CHUNK` rows reuse small scratch buffers, so no 10^7-row temporaries are allocated
        (page faults on fresh temporaries cost as much as the arithmetic).
        """
        b, k, t, n = self.batch, self.ece_bins, self.threshold, self.n
        known = self.all_known
        P, A = self.p, self.acc
        PA = np.asarray(b.payoff_a, dtype=np.float64)
        PB = np.asarray(b.payoff_b, dtype=np.float64)
        c: dict[str, Any] = dict.fromkeys(
            ("n_acc", "n_hard", "n_hard_acc", "n_pos", "n_hard_pos", "n_pos_acc"), 0
        )
        f: dict[str, Any] = dict.fromkeys(("sum_p", "sum_p_acc", "sum_p2", "sum_pa_acc", "sum_pb_acc"), 0.0)
        counts = np.zeros(2 * k, dtype=np.int64)
        sums = np.zeros(2 * k)
        m = min(CHUNK, n)
        accf_buf, pk_buf, idx_buf = np.empty(m), np.empty(m), np.empty(m, dtype=np.intp)
        h_buf, x_buf, y_buf = (np.empty(m, dtype=np.bool_) for _ in range(3))
        for lo in range(0, n, CHUNK):
            p, acc = P[lo : lo + CHUNK], A[lo : lo + CHUNK]
            r = p.shape[0]
            accf = accf_buf[:r]
            accf[...] = acc
            c["n_acc"] += np.count_nonzero(acc)
            f["sum_p"] += p.sum()
            f["sum_p_acc"] += _dot(p, accf)
            f["sum_p2"] += _dot(p, p)
            f["sum_pa_acc"] += _dot(PA[lo : lo + CHUNK], accf)
            f["sum_pb_acc"] += _dot(PB[lo : lo + CHUNK], accf)
            h = np.greater_equal(p, t, out=h_buf[:r])
            c["n_hard"] += np.count_nonzero(h)
            c["n_hard_acc"] += np.count_nonzero(np.logical_and(h, acc, out=x_buf[:r]))
            if not known:
                continue
            y = np.greater(b.v[lo : lo + CHUNK], 0, out=y_buf[:r])
            c["n_pos"] += np.count_nonzero(y)
            c["n_hard_pos"] += np.count_nonzero(np.logical_and(h, y, out=x_buf[:r]))
            c["n_pos_acc"] += np.count_nonzero(np.logical_and(y, acc, out=x_buf[:r]))
            idx = idx_buf[:r]
            idx[...] = np.multiply(p, k, out=pk_buf[:r])
            np.clip(idx, 0, k - 1, out=idx)
            idx <<= 1
            idx += y
            counts += np.bincount(idx, minlength=2 * k)[: 2 * k]
            sums += np.bincount(idx, weights=p, minlength=2 * k)[: 2 * k]
        ints: dict[str, Any] = {key: int(v) for key, v in c.items()}
        floats: dict[str, Any] = {key: float(v) for key, v in f.items()}
        return CoreSums(
            **ints,
            **floats,
            bins=(counts[0::2] + counts[1::2], counts[1::2], sums[0::2] + sums[1::2], sums[1::2]),
        )

    @cached_property
    def accf(self) -> np.ndarray:
        return self.acc.astype(np.float64)

    @property
    def n_acc(self) -> int:
        return self.core.n_acc

    @property
    def sum_p(self) -> float:
        return self.core.sum_p

    @property
    def sum_p_acc(self) -> float:
        return self.core.sum_p_acc

    @property
    def n_hard(self) -> int:
        return self.core.n_hard

    @property
    def n_hard_acc(self) -> int:
        return self.core.n_hard_acc

    @property
    def sum_pa_acc(self) -> float:
        return self.core.sum_pa_acc

    @property
    def sum_pb_acc(self) -> float:
        return self.core.sum_pb_acc

    @property
    def sum_p2(self) -> float:
        return self.core.sum_p2

    # ---- ground truth -----------------------------------------------------------------------------
    # Rows with known truth (v != 0). When every row is known the chunked pass above covers them;
    # otherwise the quantities below are computed on the masked rows.
    @cached_property
    def all_known(self) -> bool:
        return bool(self.n) and not bool(np.any(self.batch.v == 0))

    @cached_property
    def _mask(self) -> np.ndarray:
        mask: np.ndarray = self.batch.v != 0
        return mask

    @cached_property
    def pk(self) -> np.ndarray:
        return self.p if self.all_known else self.p[self._mask]

    @cached_property
    def ypos(self) -> np.ndarray:
        """y = 1 (v = +1) as a boolean over the known rows."""
        v = self.batch.v if self.all_known else self.batch.v[self._mask]
        return v > 0

    @cached_property
    def n_known(self) -> int:
        return self.n if self.all_known else int(np.count_nonzero(self._mask))

    @cached_property
    def hk(self) -> np.ndarray:
        return self.pk >= self.threshold

    @cached_property
    def n_hk(self) -> int:
        """#(known rows with p >= t)."""
        return self.n_hard if self.all_known else int(np.count_nonzero(self.hk))

    @cached_property
    def n_pos(self) -> int:
        return self.core.n_pos if self.all_known else int(np.count_nonzero(self.ypos))

    @cached_property
    def n_hard_pos(self) -> int:
        """#(known rows with p >= t and v = +1)."""
        if self.all_known:
            return self.core.n_hard_pos
        return int(np.count_nonzero(self.hk & self.ypos))

    @cached_property
    def known_accepted(self) -> tuple[int, float, int, int]:
        """(n, sum p, #hard, #v=+1) over accepted rows with known truth."""
        if self.all_known:
            return self.n_acc, self.sum_p_acc, self.n_hard_acc, self.core.n_pos_acc
        a = self.acc[self._mask]
        return (
            int(np.count_nonzero(a)),
            _dot(self.pk, a.astype(np.float64)),
            int(np.count_nonzero(self.hk & a)),
            int(np.count_nonzero(self.ypos & a)),
        )

    @cached_property
    def bins(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(count, #v=+1, sum p, sum p over v=+1) per equal-width bin of p, known rows only.

        One unweighted and one weighted bincount over the joint index 2 * bin + y.
        """
        if self.all_known:
            return self.core.bins
        k = self.ece_bins
        idx = (self.pk * k).astype(np.intp)
        np.clip(idx, 0, k - 1, out=idx)
        idx <<= 1
        idx += self.ypos
        c = np.bincount(idx, minlength=2 * k)[: 2 * k]
        sp = np.bincount(idx, weights=self.pk, minlength=2 * k)[: 2 * k]
        return c[0::2] + c[1::2], c[1::2], sp[0::2] + sp[1::2], sp[1::2]

    @cached_property
    def sum_pk2(self) -> float:
        return self.sum_p2 if self.all_known else _dot(self.pk, self.pk)

    # ---- per agent ----------------------------------------------------------------------------------
    @cached_property
    def n_agents_seen(self) -> int:
        b = self.batch
        return int(max(b.initiator.max(), b.counterparty.max())) + 1 if self.n else 0

    def agent_payoffs(self, n_agents: int | None) -> np.ndarray:
        size = max(self.n_agents_seen, int(n_agents or 0))
        cache: dict[int, np.ndarray] = self.__dict__.setdefault("_agent_payoff_cache", {})
        if size not in cache:
            cache[size] = self._agent_payoffs(size)
        return cache[size].copy()

    def _agent_payoffs(self, size: int) -> np.ndarray:
        b = self.batch
        if size > CHUNK:  # per-chunk bincounts would each allocate `size` bins
            return np.bincount(b.initiator, weights=b.payoff_a * self.accf, minlength=size) + np.bincount(
                b.counterparty, weights=b.payoff_b * self.accf, minlength=size
            )
        out = np.zeros(size)
        for ini, cp, pa, pb, acc in self.chunks(
            b.initiator, b.counterparty, b.payoff_a, b.payoff_b, self.acc
        ):
            out += np.bincount(ini, weights=pa * acc, minlength=size)[:size]
            out += np.bincount(cp, weights=pb * acc, minlength=size)[:size]
        return out

    # ---- further chunked reductions (compute_all) ------------------------------------------------
    def chunks(self, *cols: np.ndarray) -> Iterator[tuple[np.ndarray, ...]]:
        """Aligned slices of `CHUNK` rows of the given equal-length columns."""
        for lo in range(0, cols[0].shape[0], CHUNK):
            yield tuple(c[lo : lo + CHUNK] for c in cols)

    @cached_property
    def sum_p2_acc(self) -> float:
        return sum(_dot(p * acc, p) for p, acc in self.chunks(self.p, self.acc))

    @cached_property
    def n_uncertain(self) -> int:
        lo, hi = self.band
        return sum(int(np.count_nonzero((p > lo) & (p < hi))) for (p,) in self.chunks(self.p))

    @cached_property
    def neg_log_likelihood(self) -> float:
        """-sum over known rows of log(p if y = 1 else 1 - p), p clipped to [1e-12, 1 - 1e-12]."""
        total = 0.0
        for p, y in self.chunks(self.pk, self.ypos):
            q = np.subtract(1.0, p)
            np.copyto(q, p, where=y)
            np.clip(q, 1e-12, 1.0 - 1e-12, out=q)
            total -= float(np.log(q, out=q).sum())
        return total


#: What every metric method accepts: interactions, or the `BatchStats` of a batch (to share reductions).
MetricInput = InteractionsLike | BatchStats
