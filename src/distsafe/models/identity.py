"""Identity and trust infrastructure (seed 003 "Identity and Trust Infrastructure"): verifiable credentials,
proof of personhood, trust scores and Sybil detection from behaviour.

    VerifiableCredential   a claim about an agent (its reputation history, an audit pass) with an expiry
                           epoch and a revocation flag; valid while not revoked and before it expires
    AgentIdentity          an agent's identity: its credentials, proof of personhood, trust score
                           trust = min(1, 0.3 + 0.2 [PoP] + min(0.5, 0.1 x valid credentials))
    CredentialIssuer       issues (ids `cred_<n>` in issue order: deterministic), verifies and revokes
    IdentityRegistry       creates identities (refused: an agent that already has one, an entity at
                           `max_identities_per_entity`, no PoP where it is required), detects Sybil clusters

Sybil detection. An agent's interaction pattern is its counts per counterparty. Two agents' behavioural
similarity is the seed's combined score

    sim(a, b) = (J(a, b) + cos(a, b)) / 2
    J   = |C_a & C_b| / |C_a | C_b|         (Jaccard of the counterparty sets)
    cos = f_a . f_b / (|f_a| |f_b|)         (cosine of the frequency vectors; normalizing them to shares
                                             first does not change it)

and agents are linked when sim >= `behavioral_similarity_threshold` (and sim > 0: agents with nothing in
common are never linked); the clusters are the connected components of the links with two or more members.
(The reference implementation takes the dot product of the L1-normalized counts over the shared
counterparties, which is 0.56, not 1, for the Quick Start's two identical patterns, so the Quick Start's
"suspiciously similar" pair would score 0.78 < 0.8; we use the cosine the seed names. It also grows
clusters greedily in dict order; connected components do not depend on the order.)

The detector scales: patterns are a sparse agents x counterparties matrix and only candidate pairs are
scored, never all N^2. Since cos <= 1, sim >= t needs J >= 2t - 1; candidates are the pairs whose Jaccard
prefixes share a counterparty (the prefix filter of all-pairs similarity search, AllPairs' probing and
indexing prefixes: counterparties ordered rarest first, the larger set keeps its first s - ceil(t_J s) + 1,
the smaller its first s - ceil(2 t_J / (1 + t_J) s) + 1; two sets with J >= t_J share one of them),
filtered by size (t_J <= |C_a| / |C_b| <= 1 / t_J) and by the overlap their prefixes must share, then
scored exactly. For t <= 0.5 the
prefix is the whole set: the candidates are the pairs with any shared counterparty. `behavioral_similarity`
is the definition on two dicts; tests check the fast detector against it pair by pair.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import ConfigDict, Field
from scipy import sparse
from scipy.sparse import csgraph

from distsafe.models.config_base import ConfigModel

#: slack on the threshold, so that the fast and the exact scores (summed in different orders) agree
SIM_EPS = 1e-9
#: candidate pairs scored per block (bounds the memory of the scoring)
_BLOCK = 1 << 17


@dataclass
class VerifiableCredential:
    """An unforgeable claim about an agent's history."""

    credential_id: str = ""
    issuer_id: str = "system"
    subject_id: str = ""
    claim_type: str = ""  # "reputation_history", "audit_pass", ...
    claim_value: Any = None
    issued_epoch: int = 0
    expires_epoch: int | None = None
    revoked: bool = False

    def is_valid(self, current_epoch: int) -> bool:
        if self.revoked:
            return False
        return self.expires_epoch is None or current_epoch < self.expires_epoch

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class AgentIdentity:
    """An agent's identity with its credentials and trust score."""

    agent_id: str = ""
    entity_id: str = ""
    identity_cost: float = 0.0
    creation_epoch: int = 0
    credentials: list[VerifiableCredential] = field(default_factory=list)
    proof_of_personhood: bool = False
    trust_score: float = 0.3

    def valid_credentials(self, current_epoch: int) -> int:
        return sum(1 for c in self.credentials if c.is_valid(current_epoch))

    def has_credential(self, claim_type: str, current_epoch: int = 0) -> bool:
        return any(c.claim_type == claim_type and c.is_valid(current_epoch) for c in self.credentials)

    def compute_trust_score(self, current_epoch: int = 0) -> float:
        """0.3 base, +0.2 with proof of personhood, +0.1 per valid credential (at most +0.5), at most 1."""
        self.trust_score = trust_score(self.proof_of_personhood, self.valid_credentials(current_epoch))
        return self.trust_score


def trust_score(pop: Any, valid_credentials: Any) -> Any:
    """The seed's trust score, elementwise over arrays (or for one agent)."""
    score = (
        0.3 + 0.2 * np.asarray(pop, dtype=np.float64) + np.minimum(0.5, 0.1 * np.asarray(valid_credentials))
    )
    out = np.minimum(1.0, score)
    return float(out) if out.ndim == 0 else out


class IdentityConfig(ConfigModel):
    """The seed's identity settings (defaults as in the seed)."""

    model_config = ConfigDict(extra="forbid")

    identity_creation_cost: float = Field(default=10.0, ge=0)
    proof_of_personhood_required: bool = False
    credential_expiry_epochs: int = Field(default=50, ge=1)
    sybil_detection_enabled: bool = True
    max_identities_per_entity: int = Field(default=1, ge=1)
    behavioral_similarity_threshold: float = Field(default=0.8, ge=0, le=1)


class IdentityEngineConfig(IdentityConfig):
    """A scenario's `identity:` block: the seed's settings plus how the engine runs them
    (`core.parts.identity`)."""

    #: a reputation credential is issued every this many epochs (at the epoch's start, from epoch K on)
    credential_every: int = Field(default=5, ge=1)
    #: ... to every identity whose reputation is at least this
    credential_min_reputation: float = 0.0
    #: share of entities whose person passed proof of personhood (their first identity carries it; a
    #: Sybil's further identities never do)
    pop_share: float = Field(default=1.0, ge=0, le=1)


class InteractionPatterns:
    """Who interacted with whom, as counts: each interaction counts once for each side under the other.
    `add` queues (O(interactions)); `matrix` merges into a sparse agents x agents matrix."""

    def __init__(self) -> None:
        self._pending: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = []
        self._matrix = sparse.csr_matrix((0, 0), dtype=np.float64)

    def add(self, initiator: npt.NDArray[np.integer], counterparty: npt.NDArray[np.integer]) -> None:
        if len(initiator):
            self._pending.append((np.asarray(initiator, np.int64), np.asarray(counterparty, np.int64)))

    def matrix(self, n_agents: int) -> sparse.csr_matrix:
        n = max(n_agents, self._matrix.shape[0])
        if self._pending:
            n = max(n, 1 + max(int(max(a.max(), b.max())) for a, b in self._pending))
        if self._matrix.shape[0] != n:
            coo = self._matrix.tocoo()
            self._matrix = sparse.csr_matrix((coo.data, (coo.row, coo.col)), shape=(n, n))
        if self._pending:
            a = np.concatenate([x for x, _ in self._pending])
            b = np.concatenate([y for _, y in self._pending])
            self._pending.clear()
            add = sparse.coo_matrix(
                (np.ones(2 * a.shape[0]), (np.concatenate([a, b]), np.concatenate([b, a]))), shape=(n, n)
            )
            self._matrix = (self._matrix + add.tocsr()).tocsr()
        return self._matrix

    def clear_rows(self, rows: npt.NDArray[np.integer], n_agents: int) -> None:
        """Forget these agents' interactions (new agents in old rows), as agents and as counterparties."""
        coo = self.matrix(n_agents).tocoo()
        gone = np.zeros(coo.shape[0], dtype=bool)
        gone[np.asarray(rows, dtype=np.int64)] = True
        keep = ~(gone[coo.row] | gone[coo.col])
        self._matrix = sparse.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=coo.shape)


class CredentialIssuer:
    """System-level credential issuance and verification."""

    def __init__(self, config: IdentityConfig | None = None) -> None:
        self.config = config or IdentityConfig()
        self.issued: dict[str, VerifiableCredential] = {}

    def issue_credential(
        self,
        subject_id: str,
        claim_type: str,
        claim_value: Any,
        current_epoch: int,
        issuer_id: str = "system",
    ) -> VerifiableCredential:
        cred = VerifiableCredential(
            credential_id=f"cred_{len(self.issued)}", issuer_id=issuer_id, subject_id=subject_id,
            claim_type=claim_type, claim_value=claim_value, issued_epoch=current_epoch,
            expires_epoch=current_epoch + self.config.credential_expiry_epochs,
        )  # fmt: skip
        self.issued[cred.credential_id] = cred
        return cred

    def verify_credential(self, credential_id: str, current_epoch: int) -> bool:
        cred = self.issued.get(credential_id)
        return cred is not None and cred.is_valid(current_epoch)

    def revoke_credential(self, credential_id: str) -> bool:
        cred = self.issued.get(credential_id)
        if cred is None:
            return False
        cred.revoked = True
        return True

    def issue_reputation_credential(
        self, subject_id: str, reputation: float, current_epoch: int
    ) -> VerifiableCredential:
        return self.issue_credential(
            subject_id, "reputation_history", {"reputation": float(reputation), "epoch": current_epoch},
            current_epoch,
        )  # fmt: skip

    def issue_audit_pass(self, subject_id: str, current_epoch: int) -> VerifiableCredential:
        return self.issue_credential(subject_id, "audit_pass", {"epoch": current_epoch}, current_epoch)


class IdentityRegistry:
    """Identities with their cost, the entity behind each, proof of personhood, and Sybil detection."""

    def __init__(self, config: IdentityConfig | None = None) -> None:
        self.config = config or IdentityConfig()
        self.identities: dict[str, AgentIdentity] = {}
        self.entities: dict[str, list[str]] = {}
        self.sybil_clusters: list[set[str]] = []

    def create_identity(
        self,
        agent_id: str,
        entity_id: str | None = None,
        proof_of_personhood: bool = False,
        current_epoch: int = 0,
    ) -> AgentIdentity | None:
        """A new identity, or None when refused: the agent has one, its entity has
        `max_identities_per_entity`, or proof of personhood is required and missing. Nothing is recorded
        for a refused identity."""
        entity = entity_id or agent_id
        if agent_id in self.identities:
            return None
        if len(self.entities.get(entity, ())) >= self.config.max_identities_per_entity:
            return None
        if self.config.proof_of_personhood_required and not proof_of_personhood:
            return None
        ident = AgentIdentity(
            agent_id=agent_id, entity_id=entity, identity_cost=self.config.identity_creation_cost,
            creation_epoch=current_epoch, proof_of_personhood=proof_of_personhood,
        )  # fmt: skip
        ident.compute_trust_score(current_epoch)
        self.identities[agent_id] = ident
        self.entities.setdefault(entity, []).append(agent_id)
        return ident

    def get_identity(self, agent_id: str) -> AgentIdentity | None:
        return self.identities.get(agent_id)

    def detect_sybil_clusters(self, interaction_patterns: dict[str, dict[str, int]]) -> list[set[str]]:
        """Clusters (sets of agent ids) of agents whose interaction patterns (agent -> {counterparty:
        count}) are similar (module docstring); [] when detection is off."""
        if not self.config.sybil_detection_enabled:
            self.sybil_clusters = []
            return []
        ids = list(interaction_patterns)
        matrix = patterns_matrix(interaction_patterns, ids)
        labels = sybil_cluster_labels(matrix, self.config.behavioral_similarity_threshold)
        self.sybil_clusters = [{ids[i] for i in members.tolist()} for members in clusters_of(labels)]
        return list(self.sybil_clusters)

    def get_sybil_clusters(self) -> list[set[str]]:
        return list(self.sybil_clusters)

    def get_trust_distribution(self, current_epoch: int | None = None) -> dict[str, float]:
        """Each identity's trust score (recomputed at `current_epoch` when given)."""
        if current_epoch is not None:
            for ident in self.identities.values():
                ident.compute_trust_score(current_epoch)
        return {a: i.trust_score for a, i in self.identities.items()}

    def pop_verification_rate(self) -> float:
        if not self.identities:
            return 0.0
        return sum(1 for i in self.identities.values() if i.proof_of_personhood) / len(self.identities)


# ---- the similarity and the detector ---------------------------------------------------------------------
def behavioral_similarity(pattern_a: dict[str, int], pattern_b: dict[str, int]) -> float:
    """The definition, for two patterns: (Jaccard of the counterparty sets + cosine of the counts) / 2."""
    keys_a = {k for k, v in pattern_a.items() if v > 0}
    keys_b = {k for k, v in pattern_b.items() if v > 0}
    if not keys_a or not keys_b:
        return 0.0
    shared = keys_a & keys_b
    jaccard = len(shared) / len(keys_a | keys_b)
    dot = sum(float(pattern_a[k]) * float(pattern_b[k]) for k in shared)
    norm = math.sqrt(
        sum(float(pattern_a[k]) ** 2 for k in keys_a) * sum(float(pattern_b[k]) ** 2 for k in keys_b)
    )
    return (jaccard + dot / norm) / 2.0


def patterns_matrix(patterns: dict[str, dict[str, int]], ids: list[str]) -> sparse.csr_matrix:
    """The patterns as a sparse agents x counterparties count matrix (rows in `ids` order)."""
    cols: dict[str, int] = {}
    r, c, v = [], [], []
    for i, a in enumerate(ids):
        for cp, n in patterns.get(a, {}).items():
            if not math.isfinite(float(n)) or n < 0:
                raise ValueError(
                    f"interaction count of {a!r} with {cp!r} must be a finite count >= 0, not {n!r}"
                )
            if n > 0:
                r.append(i)
                c.append(cols.setdefault(cp, len(cols)))
                v.append(float(n))
    return sparse.csr_matrix((v, (r, c)), shape=(len(ids), max(len(cols), 1)), dtype=np.float64)


#: rows of the probing side multiplied per block in candidate generation (bounds its memory)
_ROW_BLOCK = 8192


def _prefix_matrix(
    binary: sparse.csr_matrix, order: np.ndarray, rows: np.ndarray, size: np.ndarray, length: np.ndarray
) -> sparse.csr_matrix:
    """Each row's first `length` counterparties in the global order (rarest first)."""
    pos = np.arange(rows.shape[0]) - np.repeat(binary.indptr[:-1], size)
    sel = order[pos < np.repeat(length, size)]
    return sparse.csr_matrix((np.ones(sel.shape[0]), (rows[sel], binary.indices[sel])), shape=binary.shape)


def _candidates(binary: sparse.csr_matrix, t_jaccard: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) that can reach Jaccard t_J (module docstring): of each pair, the larger set (by size,
    then row) probes with its prefix of s - ceil(t_J s) + 1 counterparties the smaller one's index prefix of
    s - ceil(2 t_J / (1 + t_J) s) + 1 (AllPairs' two prefixes: with |y| <= |x|, J >= t_J needs an overlap
    alpha >= t_J |x| and alpha >= 2 t_J / (1 + t_J) |y|, so the rarest shared counterparty lies in both);
    then the size and overlap filters. Done in blocks of probing rows."""
    n = binary.shape[0]
    size = np.diff(binary.indptr)
    col_freq = np.asarray(binary.sum(axis=0)).ravel()
    rank = np.empty(col_freq.shape[0], dtype=np.int64)
    rank[np.lexsort((np.arange(col_freq.shape[0]), col_freq))] = np.arange(col_freq.shape[0])
    rows = np.repeat(np.arange(n), size)
    order = np.lexsort((rank[binary.indices], rows))  # each row's counterparties, rarest first

    def prefix_len(frac: float) -> np.ndarray:
        out: np.ndarray = np.clip(
            size - np.ceil(frac * size - 1e-9).astype(np.int64) + 1, 1, np.maximum(size, 1)
        )
        return out

    probe_len = prefix_len(t_jaccard)
    index_len = prefix_len(2.0 * t_jaccard / (1.0 + t_jaccard))
    probe = _prefix_matrix(binary, order, rows, size, probe_len)
    index_t = _prefix_matrix(binary, order, rows, size, index_len).T.tocsr()
    out_i, out_j = [], []
    for start in range(0, n, _ROW_BLOCK):
        block = (probe[start : start + _ROW_BLOCK] @ index_t).tocoo()
        x = block.row.astype(np.int64) + start  # the probing (larger) side
        y = block.col.astype(np.int64)  # the indexed (smaller) side
        shared = block.data
        ok = (size[y] < size[x]) | ((size[y] == size[x]) & (y < x))
        if t_jaccard > 0:
            sx, sy = size[x].astype(np.float64), size[y].astype(np.float64)
            ok &= sy >= t_jaccard * sx - 1e-9  # size filter: |C_y| / |C_x| >= t_J
            # overlap filter: J >= t_J needs alpha = ceil(t_J / (1 + t_J) (s_x + s_y)) shared counterparties;
            # x's probe prefix then holds at least probe_len_x - (s_x - alpha) of them and y's index prefix
            # index_len_y - (s_y - alpha), the rarest in both cases: the prefixes share the smaller count
            alpha = np.ceil(t_jaccard / (1.0 + t_jaccard) * (sx + sy) - 1e-9)
            ok &= shared >= np.minimum(probe_len[x] - (sx - alpha), index_len[y] - (sy - alpha))
        out_i.append(np.minimum(x[ok], y[ok]))
        out_j.append(np.maximum(x[ok], y[ok]))
    if not out_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_i), np.concatenate(out_j)


def similarity_pairs(
    matrix: sparse.spmatrix, threshold: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """(i, j, sim) for every pair i < j with sim >= threshold and sim > 0, from the candidate pairs only."""
    x = sparse.csr_matrix(matrix, dtype=np.float64)
    x.eliminate_zeros()
    x.sort_indices()
    binary = x.copy()
    binary.data[:] = 1.0
    t_j = max(2.0 * (threshold - SIM_EPS) - 1.0, 0.0)
    ci, cj = _candidates(binary, t_j)
    size = np.diff(binary.indptr).astype(np.float64)
    norm = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    out_i, out_j, out_s = [], [], []
    for s in range(0, ci.shape[0], _BLOCK):
        i, j = ci[s : s + _BLOCK], cj[s : s + _BLOCK]
        prod = sparse.csr_matrix(x[i].multiply(x[j]))  # counts > 0: one entry per shared counterparty
        prod.eliminate_zeros()
        inter = np.diff(prod.indptr).astype(np.float64)
        dot = np.asarray(prod.sum(axis=1)).ravel()
        jac = inter / np.maximum(size[i] + size[j] - inter, 1.0)
        cos = dot / np.maximum(norm[i] * norm[j], 1e-300)
        sim = (jac + cos) / 2.0
        ok = (sim >= threshold - SIM_EPS) & (sim > 0)
        out_i.append(i[ok])
        out_j.append(j[ok])
        out_s.append(sim[ok])
    if not out_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_s)


def sybil_cluster_labels(matrix: sparse.spmatrix, threshold: float) -> npt.NDArray[np.int64]:
    """Each row's cluster label: the connected components of the links sim >= threshold; -1 for rows in
    no cluster (no link). Labels are numbered in the order of each cluster's first row."""
    n = matrix.shape[0]
    i, j, _ = similarity_pairs(matrix, threshold)
    labels = np.full(n, -1, dtype=np.int64)
    if i.shape[0] == 0:
        return labels
    g = sparse.coo_matrix((np.ones(i.shape[0]), (i, j)), shape=(n, n))
    _, comp = csgraph.connected_components(g, directed=False)
    linked = np.zeros(n, dtype=bool)
    linked[i] = True
    linked[j] = True
    # renumber the linked rows' components by first appearance
    first: dict[int, int] = {}
    for r in np.flatnonzero(linked).tolist():
        labels[r] = first.setdefault(int(comp[r]), len(first))
    return labels


def clusters_of(labels: npt.NDArray[np.int64]) -> list[npt.NDArray[np.int64]]:
    """The rows of each cluster, in label order."""
    rows = np.flatnonzero(labels >= 0)
    if rows.shape[0] == 0:
        return []
    order = rows[np.argsort(labels[rows], kind="stable")]
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    return [np.asarray(part, dtype=np.int64) for part in np.split(order, cuts)]
