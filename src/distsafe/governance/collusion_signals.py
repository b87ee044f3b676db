"""The collusion detector's statistical signals (docs/collusion.md), vectorized over pairs: the frequency
signal, the pair- and group-level reciprocal-harm signals, and the group-size filter. Used by
`governance.collusion.CollusionDetector`."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

#: an interaction is harmful work when its p is below this (its expected outcome v is negative)
HARM_P = 0.5
#: a pair is an edge of the group-level harm graph when each direction's harmful count is this unlikely
#: (uncorrected binomial tail) under the population's share of harmful work
EDGE_P = 0.05


def in_large_group(lo: np.ndarray, hi: np.ndarray, flag: np.ndarray, min_size: int) -> np.ndarray:
    """True for the flagged pairs whose connected component of flagged pairs has >= min_size agents."""
    fl, fh = lo[flag], hi[flag]
    nodes, inv = np.unique(np.concatenate([fl, fh]), return_inverse=True)
    k = nodes.shape[0]
    g = sparse.coo_matrix((np.ones(fl.shape[0]), (inv[: fl.shape[0]], inv[fl.shape[0] :])), shape=(k, k))
    _, label = csgraph.connected_components(g, directed=False)
    size = np.bincount(label)
    keep = np.zeros(flag.shape[0], dtype=bool)
    keep[np.flatnonzero(flag)] = size[label[inv[: fl.shape[0]]]] >= min_size
    return keep


def frequency_z(
    k_ab: np.ndarray, k_ba: np.ndarray, e_ab: np.ndarray, e_ba: np.ndarray, n_tests: int
) -> np.ndarray:
    """The pair's frequency signal: for each direction the Poisson tail P(X >= k | mean e) of its count,
    the larger of the two (both sides must seek the other out), Bonferroni-corrected for the `n_tests`
    pairs tested, as the normal quantile z = isf(min(1, n_tests * p)), clipped to [-40, 40]."""
    from scipy import special

    # P(X >= k) = P(X > k - 1) for X ~ Poisson(e): pdtrc(k - 1, e) (1 for k <= 0)
    p_ab = np.where(k_ab > 0, special.pdtrc(np.maximum(k_ab - 1, 0), e_ab), 1.0)
    p_ba = np.where(k_ba > 0, special.pdtrc(np.maximum(k_ba - 1, 0), e_ba), 1.0)
    q = np.minimum(1.0, np.maximum(p_ab, p_ba) * n_tests)
    z: np.ndarray = np.clip(-special.ndtri(q), -40.0, 40.0)  # the normal quantile with upper tail q
    return z


def binom_tail(k: np.ndarray, n: np.ndarray, b: float) -> np.ndarray:
    """P(X >= k) for X ~ Binomial(n, b), 1 where k <= 0: the regularized incomplete beta I_b(k, n - k + 1)."""
    from scipy import special

    kk = np.maximum(k, 1.0)
    out: np.ndarray = np.where(k > 0, special.betainc(kk, np.maximum(n - kk, 0.0) + 1.0, b), 1.0)
    return out


def harm_z(
    h_ab: np.ndarray, h_ba: np.ndarray, n_ab: np.ndarray, n_ba: np.ndarray, base: float, n_tests: int
) -> np.ndarray:
    """The pair's reciprocal-harm signal: for each direction, the binomial tail P(X >= h | n, base) of the
    h harmful interactions (p < `HARM_P`) among the n accepted ones that side started, against the
    population's share `base` of harmful work among accepted interactions; the larger of the two (each side
    must accept the other's harmful work more often than the population does), Bonferroni-corrected for
    `n_tests` pairs, as the normal quantile, clipped to [-40, 40]."""
    from scipy import special

    b = min(max(base, 1e-12), 1.0 - 1e-12)
    p_ab = binom_tail(h_ab, n_ab, b)
    p_ba = binom_tail(h_ba, n_ba, b)
    q = np.minimum(1.0, np.maximum(p_ab, p_ba) * n_tests)
    z: np.ndarray = np.clip(-special.ndtri(q), -40.0, 40.0)
    return z


def group_harm_z(
    lo: np.ndarray, hi: np.ndarray, h_lo: np.ndarray, h_hi: np.ndarray, n_lo: np.ndarray, n_hi: np.ndarray,
    base: float, n_agents: int,
) -> np.ndarray:  # fmt: skip
    """The group-level reciprocal-harm signal, per pair: the pairs in which each side's share of harmful
    work among the accepted interactions it started exceeds the population's `base` (and is non-zero) are
    the edges of a graph; in each of its connected components of at least 3 agents the harmful interactions
    inside are pooled and tested as in `harm_z` (binomial tail against `base`, Bonferroni-corrected for the
    number of such components); each edge gets its component's z, every other pair -40. A ring whose
    members each trade a few harmful interactions with each other is significant as a group when no single
    pair is."""
    from scipy import special

    out = np.full(lo.shape[0], -40.0)
    b = min(max(base, 1e-12), 1.0 - 1e-12)
    p_lo = binom_tail(h_lo, n_lo, b)
    p_hi = binom_tail(h_hi, n_hi, b)
    edge = np.maximum(p_lo, p_hi) <= EDGE_P
    if not edge.any():
        return out
    el, eh = lo[edge], hi[edge]
    nodes, inv = np.unique(np.concatenate([el, eh]), return_inverse=True)
    k, m = nodes.shape[0], el.shape[0]
    g = sparse.coo_matrix((np.ones(m), (inv[:m], inv[m:])), shape=(k, k))
    n_comp, label = csgraph.connected_components(g, directed=False)
    size = np.bincount(label, minlength=n_comp)
    comp = label[inv[:m]]
    hs = np.bincount(comp, weights=h_lo[edge] + h_hi[edge], minlength=n_comp)
    ns = np.bincount(comp, weights=n_lo[edge] + n_hi[edge], minlength=n_comp)
    big = size >= 3
    p = binom_tail(hs, ns, b)
    q = np.minimum(1.0, p * max(int(np.count_nonzero(big)), 1))
    z = np.where(big, np.clip(-special.ndtri(q), -40.0, 40.0), -40.0)
    out[np.flatnonzero(edge)] = z[comp]
    return out
