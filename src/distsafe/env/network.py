"""Who can interact with whom: seed 001's network topology (`NetworkConfig`, `NetworkTopology`) and the
engine's view of it (`AgentNetwork`).

The network is built once with networkx (complete, ring, star, Erdos-Renyi, small-world, scale-free, or a
custom edge list) and then held as two numpy columns: the undirected edges as sorted int64 keys
`(lo << 32) | hi` and their weights. The engine reads it as a CSR neighbour structure (`indptr`, `indices`),
rebuilt only when the edge set changes (pruning, disconnection), so each step costs O(interactions log E):

  - scripted agents sample partner candidates among their neighbours (`agents.policies.sample_peers`);
  - object agents' observations list neighbours only (`core.turns.observation_for`);
  - proposals to a non-neighbour are rejected (`RejectReason.NOT_NEIGHBOUR`, `core.resolve`);
  - accepted interactions strengthen their edge (`strengthen`), capped at `max_edge_weight`;
  - at each epoch's end edges decay by `edge_decay_rate`, those below `min_edge_weight` are pruned, and
    agents whose reputation fell below `reputation_disconnect_threshold` lose their edges (`end_epoch`).

`get_metrics()` is the seed's table (n_edges, avg_degree, avg_clustering, n_components, avg_path_length,
density), computed with scipy.sparse in O(N + E + sum of squared degrees); the average path length is over
connected pairs, exact from every source up to `path_length_sources` agents and estimated from that many
sampled sources above it (docs/network.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import numpy as np
import scipy.sparse as sp
from pydantic import ConfigDict, Field, model_validator
from scipy.sparse import csgraph

from distsafe.models.config_base import ConfigModel

_MASK = np.int64((1 << 32) - 1)
#: a complete topology is held edge by edge: above this many edges it is refused (use `random` with p)
MAX_COMPLETE_EDGES = 20_000_000


class NetworkTopology(StrEnum):
    COMPLETE = "complete"
    RING = "ring"
    STAR = "star"
    RANDOM = "random"  # Erdos-Renyi G(n, p)
    SMALL_WORLD = "small_world"  # Watts-Strogatz
    SCALE_FREE = "scale_free"  # Barabasi-Albert
    CUSTOM = "custom"


class NetworkParams(ConfigModel):
    """The YAML `params:` block: the seed's short names (`k`, `p`, `m`, `edges`)."""

    model_config = ConfigDict(extra="forbid")

    k: int | None = Field(default=None, ge=1, description="small_world/ring: neighbours per agent")
    p: float | None = Field(default=None, ge=0, le=1, description="small_world: rewiring; random: edge")
    m: int | None = Field(default=None, ge=1, description="scale_free: edges per new agent")
    hub: str | None = Field(default=None, description="star: the hub's agent id (default: the first agent)")
    edges: list[tuple[str, str]] | None = Field(default=None, description="custom: pairs of agent ids")


class NetworkConfig(ConfigModel):
    """A scenario's `network:` block and `OrchestratorConfig.network_config` (seed 001's names)."""

    model_config = ConfigDict(extra="forbid")

    topology: NetworkTopology = NetworkTopology.COMPLETE
    params: NetworkParams = Field(default_factory=NetworkParams)
    #: the Python spellings of the params (the seed's Quick Start); `params:` wins when both are set
    k_neighbors: int = Field(default=4, ge=1)
    rewire_probability: float = Field(default=0.1, ge=0, le=1)
    edge_probability: float = Field(default=0.1, ge=0, le=1)
    m_edges: int = Field(default=2, ge=1)
    edges: list[tuple[str, str]] = Field(default_factory=list)
    dynamic: bool = False
    initial_edge_weight: float = Field(default=1.0, gt=0)
    edge_strengthen_rate: float = Field(default=0.1, ge=0)
    edge_decay_rate: float = Field(default=0.05, ge=0, le=1)
    min_edge_weight: float = Field(default=0.1, ge=0)
    max_edge_weight: float = Field(default=1.0, gt=0)
    reputation_disconnect_threshold: float | None = None
    #: avg_path_length: exact up to this many agents, else from this many sampled sources
    path_length_sources: int = Field(default=64, ge=1)

    @model_validator(mode="after")
    def _weights(self) -> NetworkConfig:
        if self.min_edge_weight > self.max_edge_weight:
            raise ValueError(
                f"min_edge_weight {self.min_edge_weight} is above max_edge_weight {self.max_edge_weight}"
            )
        return self

    # the effective parameters: `params:` (YAML) over the Python names
    @property
    def k(self) -> int:
        return self.params.k if self.params.k is not None else self.k_neighbors

    @property
    def p(self) -> float:
        if self.params.p is not None:
            return self.params.p
        return self.edge_probability if self.topology == NetworkTopology.RANDOM else self.rewire_probability

    @property
    def m(self) -> int:
        return self.params.m if self.params.m is not None else self.m_edges

    @property
    def edge_list(self) -> list[tuple[str, str]]:
        return list(self.params.edges) if self.params.edges is not None else list(self.edges)

    def problem(self, ids: Sequence[str]) -> tuple[tuple[str | int, ...], str] | None:
        """(location inside the block, message) if this topology cannot be built over agents `ids`."""
        n, t = len(ids), self.topology
        k_loc = ("params", "k") if self.params.k is not None else ("k_neighbors",)
        m_loc = ("params", "m") if self.params.m is not None else ("m_edges",)
        if t in (NetworkTopology.RING, NetworkTopology.SMALL_WORLD) and not (2 <= self.k < n):
            return k_loc, f"k={self.k} must be at least 2 and below the number of agents ({n})"
        if t == NetworkTopology.SCALE_FREE and not (1 <= self.m < n):
            return m_loc, f"m={self.m} must be below the number of agents ({n})"
        if t == NetworkTopology.COMPLETE and n * (n - 1) // 2 > MAX_COMPLETE_EDGES:
            return ("topology",), f"complete over {n} agents is over {MAX_COMPLETE_EDGES:,} edges"
        known = set(ids)
        if t == NetworkTopology.STAR and self.params.hub is not None and self.params.hub not in known:
            return ("params", "hub"), f"unknown agent {self.params.hub!r}"
        if t == NetworkTopology.CUSTOM:
            loc = ("params", "edges") if self.params.edges is not None else ("edges",)
            for i, (a, b) in enumerate(self.edge_list):
                for name in (a, b):
                    if name not in known:
                        return (*loc, i), f"unknown agent {name!r}"
                if a == b:
                    return (*loc, i), f"an edge from {a!r} to itself"
        return None


def build_graph_edges(
    config: NetworkConfig, ids: Sequence[str], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The initial undirected edges (u, v) over rows 0..n-1, built with networkx."""
    import networkx as nx

    found = config.problem(ids)
    if found is not None:
        raise ValueError(f"network.{'.'.join(str(p) for p in found[0])}: {found[1]}")
    n, t = len(ids), config.topology
    seed = int(rng.integers(0, 2**31 - 1))
    if t == NetworkTopology.COMPLETE:
        iu = np.triu_indices(n, 1)
        return iu[0].astype(np.int64), iu[1].astype(np.int64)
    if t == NetworkTopology.RING:
        g = nx.watts_strogatz_graph(n, config.k, 0.0, seed=seed)
    elif t == NetworkTopology.STAR:
        hub = list(ids).index(config.params.hub) if config.params.hub is not None else 0
        others = np.array([r for r in range(n) if r != hub], dtype=np.int64)
        return np.full(others.shape[0], hub, dtype=np.int64), others
    elif t == NetworkTopology.RANDOM:
        g = nx.fast_gnp_random_graph(n, config.p, seed=seed)
    elif t == NetworkTopology.SMALL_WORLD:
        g = nx.watts_strogatz_graph(n, config.k, config.p, seed=seed)
    elif t == NetworkTopology.SCALE_FREE:
        g = nx.barabasi_albert_graph(n, config.m, seed=seed)
    else:
        row = {name: i for i, name in enumerate(ids)}
        pairs = np.array([(row[a], row[b]) for a, b in config.edge_list], dtype=np.int64).reshape(-1, 2)
        return pairs[:, 0], pairs[:, 1]
    e = np.array(list(g.edges()), dtype=np.int64).reshape(-1, 2)
    return e[:, 0], e[:, 1]


def edge_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The undirected key of each pair (a[i], b[i]): (min << 32) | max."""
    a64, b64 = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    return (np.minimum(a64, b64) << 32) | np.maximum(a64, b64)


class AgentNetwork:
    """The run's network as columns: sorted undirected edge keys and their weights."""

    def __init__(self, config: NetworkConfig, ids: Any, u: np.ndarray, v: np.ndarray) -> None:
        self.config = config
        #: the agent ids (the agent table's id column: it grows with the population)
        self.ids = ids
        keys = edge_keys(u, v)
        keys = np.unique(keys[(keys >> 32) != (keys & _MASK)])
        self.key: np.ndarray = keys
        self.weight: np.ndarray = np.full(keys.shape[0], float(config.initial_edge_weight))
        np.minimum(self.weight, config.max_edge_weight, out=self.weight)
        self._csr: tuple[np.ndarray, np.ndarray] | None = None
        self._csr_n = -1
        #: run totals, for reports
        self.total_pruned = 0
        self.total_disconnected = 0

    @classmethod
    def build(
        cls, config: NetworkConfig, ids: Any, rng: np.random.Generator, cliques: Sequence[np.ndarray] = ()
    ) -> AgentNetwork:
        """The initial network over every agent in `ids`; each of `cliques` (rows that know each other,
        e.g. a planted collusion ring) is joined edge by edge as well."""
        names = [ids[i] for i in range(len(ids))]
        u, v = build_graph_edges(config, names, rng)
        extra_u, extra_v = [u], [v]
        for rows in cliques:
            r = np.asarray(rows, dtype=np.int64)
            iu = np.triu_indices(r.shape[0], 1)
            extra_u.append(r[iu[0]])
            extra_v.append(r[iu[1]])
        return cls(config, ids, np.concatenate(extra_u), np.concatenate(extra_v))

    # ---- structure -------------------------------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        return len(self.ids)

    @property
    def n_edges(self) -> int:
        return int(self.key.shape[0])

    def endpoints(self) -> tuple[np.ndarray, np.ndarray]:
        return self.key >> 32, self.key & _MASK

    def neighbours(self) -> tuple[np.ndarray, np.ndarray]:
        """CSR of the undirected structure: row i's neighbours are indices[indptr[i]:indptr[i+1]]."""
        n = self.n_nodes
        if self._csr is None or self._csr_n != n:
            u, v = self.endpoints()
            src, dst = np.concatenate([u, v]), np.concatenate([v, u])
            order = np.lexsort((dst, src))
            indptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
            self._csr, self._csr_n = (indptr, dst[order]), n
        return self._csr

    def adjacency(self, weighted: bool = False) -> sp.csr_matrix:
        """The symmetric adjacency as a scipy.sparse matrix (1 per edge, or its weight)."""
        n = self.n_nodes
        u, v = self.endpoints()
        data = np.concatenate([self.weight, self.weight]) if weighted else np.ones(2 * self.n_edges)
        return sp.csr_matrix((data, (np.concatenate([u, v]), np.concatenate([v, u]))), shape=(n, n))

    def degree(self) -> np.ndarray:
        indptr, _ = self.neighbours()
        return np.diff(indptr)

    def has_edge(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        k = edge_keys(a, b)
        idx = np.searchsorted(self.key, k)
        ok = idx < self.key.shape[0]
        ok[ok] = self.key[idx[ok]] == k[ok]
        return ok

    def edge_weight(self, a: str, b: str) -> float:
        """The weight of the edge between agents `a` and `b` (0 if none)."""
        ra, rb = self.ids.index_of(a), self.ids.index_of(b)
        if ra is None or rb is None:
            raise KeyError(f"unknown agent {a if ra is None else b!r}")
        k = edge_keys(np.array([ra]), np.array([rb]))
        idx = int(np.searchsorted(self.key, k[0]))
        return float(self.weight[idx]) if idx < self.n_edges and self.key[idx] == k[0] else 0.0

    # ---- dynamics --------------------------------------------------------------------------------------
    def strengthen(self, a: np.ndarray, b: np.ndarray) -> int:
        """Add `edge_strengthen_rate` to the edge of each pair (a[i], b[i]) that has one, capped at
        `max_edge_weight`; returns how many pairs had an edge."""
        if a.shape[0] == 0:
            return 0
        k = edge_keys(a, b)
        idx = np.searchsorted(self.key, k)
        ok = idx < self.key.shape[0]
        ok[ok] = self.key[idx[ok]] == k[ok]
        np.add.at(self.weight, idx[ok], self.config.edge_strengthen_rate)
        np.minimum(self.weight, self.config.max_edge_weight, out=self.weight)
        return int(np.count_nonzero(ok))

    def end_epoch(self, reputation: np.ndarray) -> dict[str, Any]:
        """Decay and prune (when `dynamic`) and (with a threshold) disconnect agents of low reputation.
        Returns what changed: counts, the removed keys and the disconnected rows."""
        cfg = self.config
        drop = np.zeros(self.n_edges, dtype=bool)
        if cfg.dynamic:
            self.weight *= 1.0 - cfg.edge_decay_rate
            drop = self.weight < cfg.min_edge_weight
        n_pruned = int(np.count_nonzero(drop))
        disconnected = np.zeros(0, dtype=np.int64)
        if cfg.reputation_disconnect_threshold is not None:
            bad = np.flatnonzero(reputation < cfg.reputation_disconnect_threshold)
            if bad.size:
                u, v = self.endpoints()
                cut = np.isin(u, bad) | np.isin(v, bad)
                disconnected = bad[np.isin(bad, np.concatenate([u[cut], v[cut]]))]
                drop |= cut
        removed = self.key[drop]
        if removed.size:
            self.key, self.weight = self.key[~drop], self.weight[~drop]
            self._csr = None
        self.total_pruned += n_pruned
        self.total_disconnected += int(disconnected.size)
        return {"removed": removed, "n_pruned": n_pruned, "disconnected": disconnected}

    def remove(self, drop: np.ndarray) -> np.ndarray:
        """Remove the edges where the bool mask `drop` (over the current edges) is set; returns their keys."""
        removed = self.key[drop]
        if removed.size:
            self.key, self.weight = self.key[~drop], self.weight[~drop]
            self._csr = None
        return removed

    def restore(self, keys: np.ndarray, weights: np.ndarray) -> int:
        """Put back the edges `keys` with `weights` (an edge still there takes the given weight, as the
        reference's add_edge does); returns how many edges were missing."""
        missing = ~np.isin(keys, self.key)
        merged = np.concatenate([self.key, keys])
        w = np.concatenate([self.weight, weights])
        # the given weights win: keep the last occurrence of each key
        rev_keys, rev_idx = np.unique(merged[::-1], return_index=True)
        self.key, self.weight = rev_keys, w[::-1][rev_idx]
        self._csr = None
        return int(np.count_nonzero(missing))

    # ---- the seed's API ----------------------------------------------------------------------------------
    def connected_components(self) -> list[set[str]]:
        """The connected components as sets of agent ids, largest first."""
        n, labels = csgraph.connected_components(self.adjacency(), directed=False)
        order = np.argsort(labels, kind="stable")
        bounds = np.cumsum(np.bincount(labels, minlength=n))[:-1]
        comps = [set(self.ids[int(i)] for i in part) for part in np.split(order, bounds)]
        return sorted(comps, key=lambda c: (-len(c), min(c)))

    def get_metrics(self, rng: np.random.Generator | None = None) -> dict[str, float]:
        """The seed's per-epoch network metrics (module docstring). `rng` picks the path-length sources
        when there are more agents than `path_length_sources` (default: a fixed generator)."""
        n, e = self.n_nodes, self.n_edges
        adj = self.adjacency()
        deg = np.asarray(adj.sum(axis=1)).ravel()
        tri = np.asarray((adj @ adj).multiply(adj).sum(axis=1)).ravel() / 2.0
        possible = deg * (deg - 1) / 2.0
        clustering = np.divide(tri, possible, out=np.zeros(n), where=possible > 0)
        n_comp = int(csgraph.connected_components(adj, directed=False)[0]) if n else 0
        return {
            "n_edges": float(e),
            "avg_degree": float(2.0 * e / n) if n else 0.0,
            "avg_clustering": float(clustering.mean()) if n else 0.0,
            "n_components": float(n_comp),
            "avg_path_length": self.avg_path_length(adj, rng),
            "density": float(e / (n * (n - 1) / 2.0)) if n > 1 else 0.0,
        }

    def avg_path_length(self, adj: sp.csr_matrix, rng: np.random.Generator | None = None) -> float:
        """Mean shortest-path length (hops) over connected ordered pairs; nan without edges."""
        n = adj.shape[0]
        if n < 2 or self.n_edges == 0:
            return float("nan")
        k = self.config.path_length_sources
        if n <= k:
            sources = np.arange(n)
        else:
            gen = rng if rng is not None else np.random.default_rng(0)
            sources = np.sort(gen.choice(n, size=k, replace=False))
        # breadth-first from all sources at once: one sparse product per level, O(diameter * E * sources)
        a = adj.astype(np.float32)
        visited = np.zeros((n, sources.shape[0]), dtype=bool)
        visited[sources, np.arange(sources.shape[0])] = True
        frontier = visited.copy()
        total, pairs, level = 0.0, 0, 0
        while True:
            level += 1
            reached = (a @ frontier.astype(np.float32)) > 0
            reached &= ~visited
            found = int(np.count_nonzero(reached))
            if found == 0:
                break
            total += level * found
            pairs += found
            visited |= reached
            frontier = reached
        return total / pairs if pairs else float("nan")
