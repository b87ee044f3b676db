"""Sub-community measures (seed 002, "Sub-communities & Culture"): community partitioning of an agent graph,
modularity, and meme diffusion over an adoption forest (R0, cascade sizes). Pure functions over numpy arrays.

Graph functions take an undirected weighted edge list (`src`, `dst`, `weight`, rows 0..n-1); repeated
edges add up, self-loops are dropped.

    label_propagation   each node takes the label of greatest total edge weight among its neighbours
                        (itself included with weight `self_weight`, which damps the oscillation of the
                        synchronous update; ties go to the smallest label), until nothing changes
    modularity          Q = sum_c [ L_c / m - (d_c / 2m)^2 ]   (L_c: weight inside community c, d_c: the
                        summed degree of its nodes, m: the total weight); in [-1/2, 1]

An adoption forest is one array `parent` over its nodes (an adoption: an agent taking up a meme, myth or
position from a post it read), `parent[i]` the node whose post node i adopted from, -1 for a seed (the
meme's first telling). Parents come before their children (`parent[i] < i`).

    cascade_sizes       for each seed, the number of nodes in its tree (the seed included); they sum to
                        the number of nodes
    offspring           the number of direct children of each node
    r0                  mean offspring of the seeds: the adoptions a first telling causes directly in a
                        population that has not heard it (the basic reproduction number)
    mean_offspring      mean offspring over every node: (nodes - seeds) / nodes
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse


def _sym_matrix(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray | None) -> sparse.csr_matrix:
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    w = np.ones(src.shape[0]) if weight is None else np.asarray(weight, dtype=np.float64)
    if src.shape != dst.shape or w.shape != src.shape:
        raise ValueError("src, dst and weight must have one length")
    if src.size and (min(int(src.min()), int(dst.min())) < 0 or max(int(src.max()), int(dst.max())) >= n):
        raise ValueError(f"edge endpoints must be rows 0..{n - 1}")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError("edge weights must be finite and >= 0")
    keep = src != dst
    s, d, w = src[keep], dst[keep], w[keep]
    m = sparse.coo_matrix((np.concatenate([w, w]), (np.concatenate([s, d]), np.concatenate([d, s]))), (n, n))
    out: sparse.csr_matrix = m.tocsr()
    out.sum_duplicates()
    return out


def label_propagation(
    n: int,
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray | None = None,
    self_weight: float = 0.5,
    max_iter: int = 100,
) -> np.ndarray:
    """Community label of each of the n nodes (0..k-1, numbered by first appearance); an isolated node is
    its own community. Deterministic: the same graph gives the same labels."""
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    adj = _sym_matrix(n, src, dst, weight).tocoo()
    rows, cols, w = adj.row.astype(np.int64), adj.col.astype(np.int64), adj.data
    label = np.arange(n, dtype=np.int64)
    selfs = np.arange(n, dtype=np.int64)
    for _ in range(max_iter):
        node = np.concatenate([rows, selfs])
        lab = np.concatenate([label[cols], label])
        wt = np.concatenate([w, np.full(n, self_weight)])
        key = node * n + lab
        uniq, inv = np.unique(key, return_inverse=True)
        tot = np.bincount(inv, weights=wt)
        u_node, u_lab = uniq // n, uniq % n
        # per node: the label of greatest weight, the smallest label on a tie (sorted by node, -weight, label)
        order = np.lexsort((u_lab, -tot, u_node))
        first = np.ones(order.size, dtype=bool)
        first[1:] = u_node[order][1:] != u_node[order][:-1]
        new = label.copy()
        new[u_node[order][first]] = u_lab[order][first]
        if np.array_equal(new, label):
            break
        label = new
    _, first_seen, inv = np.unique(label, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first_seen))
    return rank[inv].astype(np.int64)


def modularity(
    n: int, src: np.ndarray, dst: np.ndarray, labels: np.ndarray, weight: np.ndarray | None = None
) -> float:
    """Newman's modularity of the partition `labels` of the undirected weighted graph; nan without edges."""
    adj = _sym_matrix(n, src, dst, weight).tocoo()
    labels = np.asarray(labels, dtype=np.int64)
    if labels.shape[0] != n:
        raise ValueError("labels must give one community per node")
    two_m = float(adj.data.sum())
    if two_m <= 0:
        return float("nan")
    k = int(labels.max()) + 1 if n else 0
    deg = np.asarray(adj.sum(axis=1)).ravel()
    d_c = np.bincount(labels, weights=deg, minlength=k)
    same = labels[adj.row] == labels[adj.col]
    inside = np.bincount(labels[adj.row[same]], weights=adj.data[same], minlength=k)  # 2 L_c
    return float(np.sum(inside / two_m - (d_c / two_m) ** 2))


def check_forest(parent: np.ndarray) -> np.ndarray:
    """`parent` as int64 if it is an adoption forest (each parent -1 or an earlier node); else ValueError."""
    p = np.asarray(parent, dtype=np.int64)
    idx = np.arange(p.shape[0])
    if np.any((p < -1) | (p >= idx)):
        raise ValueError("an adoption forest's parent must be -1 or an earlier node")
    return p


def roots_of(parent: np.ndarray) -> np.ndarray:
    """The seed (root) of each node's tree, by pointer jumping (log2(depth) vectorized passes)."""
    p = check_forest(parent)
    up = np.where(p >= 0, p, np.arange(p.shape[0], dtype=np.int64))
    while True:
        nxt = up[up]
        if np.array_equal(nxt, up):
            return up
        up = nxt


def offspring(parent: np.ndarray) -> np.ndarray:
    """Number of direct children of each node."""
    p = check_forest(parent)
    return np.bincount(p[p >= 0], minlength=p.shape[0]).astype(np.int64)


def cascade_sizes(parent: np.ndarray) -> np.ndarray:
    """Size of each seed's tree (seeds in node order), the seed included."""
    p = check_forest(parent)
    if p.size == 0:
        return np.zeros(0, dtype=np.int64)
    size = np.bincount(roots_of(p), minlength=p.shape[0])
    return np.asarray(size[p == -1], dtype=np.int64)


def r0(parent: np.ndarray) -> float:
    """Mean number of direct children of the seeds; nan without seeds."""
    p = check_forest(parent)
    seeds = p == -1
    return float(offspring(p)[seeds].mean()) if seeds.any() else float("nan")


def mean_offspring(parent: np.ndarray) -> float:
    """Mean number of direct children over all nodes; nan for an empty forest."""
    p = check_forest(parent)
    return float(offspring(p).mean()) if p.size else float("nan")


def shannon_entropy(counts: np.ndarray) -> float:
    """Entropy in bits of the distribution the nonnegative `counts` give; 0 for one category, nan if empty."""
    c = np.asarray(counts, dtype=np.float64)
    c = c[c > 0]
    if c.size == 0:
        return float("nan")
    q = c / c.sum()
    return float(max(0.0, -np.sum(q * np.log2(q))))


def polarization(x: np.ndarray) -> float:
    """Mean absolute difference of the stances `x` in [-1, 1] over all n^2 ordered pairs: 0 when all agree,
    at most 1, reached when half stand at -1 and half at +1. O(n log n) through the sorted values."""
    v = np.sort(np.asarray(x, dtype=np.float64))
    n = v.shape[0]
    if n < 2:
        return float("nan") if n == 0 else 0.0
    i = np.arange(n)
    # sum_{i<j} (v_j - v_i) = sum_j v_j (2j - n + 1)
    pair_sum = float(np.sum(v * (2 * i - n + 1)))
    if math.isnan(pair_sum):
        return float("nan")
    return float(min(1.0, max(0.0, 2.0 * pair_sum / (n * n))))  # clipped: rounding of equal stances


def consensus(x: np.ndarray, width: float = 0.25) -> float:
    """Share of the stances within `width` of their median; nan if empty."""
    v = np.asarray(x, dtype=np.float64)
    if v.size == 0:
        return float("nan")
    return float(np.mean(np.abs(v - np.median(v)) <= width))
