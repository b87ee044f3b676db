"""models.identity: credentials, trust scores, the registry's rules, and the Sybil detector (the fast,
candidate-pair detector equals the definition on small random inputs)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from scipy import sparse
from scipy.sparse import csgraph

from distsafe.models.identity import (
    SIM_EPS,
    AgentIdentity,
    CredentialIssuer,
    IdentityConfig,
    IdentityRegistry,
    InteractionPatterns,
    behavioral_similarity,
    patterns_matrix,
    similarity_pairs,
    sybil_cluster_labels,
    trust_score,
)


def test_credential_expiry_and_revocation() -> None:
    issuer = CredentialIssuer(IdentityConfig(credential_expiry_epochs=3))
    cred = issuer.issue_reputation_credential("a", 0.7, current_epoch=2)
    assert cred.credential_id == "cred_0" and cred.expires_epoch == 5
    assert cred.claim_value == {"reputation": 0.7, "epoch": 2}
    assert issuer.verify_credential("cred_0", 4) and not issuer.verify_credential("cred_0", 5)
    assert issuer.revoke_credential("cred_0") and not issuer.verify_credential("cred_0", 3)
    assert not issuer.revoke_credential("nope") and not issuer.verify_credential("nope", 0)
    assert issuer.issue_audit_pass("b", 1).credential_id == "cred_1"


def test_trust_score_values() -> None:
    ident = AgentIdentity("a")
    assert ident.compute_trust_score() == pytest.approx(0.3)
    ident.proof_of_personhood = True
    assert ident.compute_trust_score() == pytest.approx(0.5)
    issuer = CredentialIssuer(IdentityConfig(credential_expiry_epochs=10))
    ident.credentials += [issuer.issue_reputation_credential("a", 1.0, 0) for _ in range(7)]
    assert ident.compute_trust_score(5) == pytest.approx(1.0)  # credentials add at most 0.5
    assert ident.compute_trust_score(10) == pytest.approx(0.5)  # all expired
    assert trust_score(np.array([0, 1, 0]), np.array([0, 2, 9])).tolist() == pytest.approx([0.3, 0.7, 0.8])


@given(pop=st.booleans(), k=st.integers(0, 20))
def test_trust_score_in_unit_interval_and_monotone_in_credentials(pop: bool, k: int) -> None:
    s, s1 = trust_score(pop, k), trust_score(pop, k + 1)
    assert 0.0 <= s <= 1.0 and s <= s1


def test_registry_rules() -> None:
    reg = IdentityRegistry(IdentityConfig(max_identities_per_entity=2, identity_creation_cost=4.0))
    a = reg.create_identity("a1", "ent", proof_of_personhood=True)
    assert a is not None and a.identity_cost == 4.0 and a.trust_score == pytest.approx(0.5)
    assert reg.create_identity("a1", "ent") is None  # already has one
    assert reg.create_identity("a2", "ent") is not None
    assert reg.create_identity("a3", "ent") is None  # the entity is at its cap
    assert reg.entities == {"ent": ["a1", "a2"]}
    assert reg.pop_verification_rate() == pytest.approx(0.5)
    strict = IdentityRegistry(IdentityConfig(proof_of_personhood_required=True))
    assert strict.create_identity("x") is None and strict.create_identity("y", proof_of_personhood=True)
    assert list(strict.identities) == ["y"]


@pytest.mark.parametrize(
    "field, value",
    [("identity_creation_cost", -1.0), ("credential_expiry_epochs", 0), ("max_identities_per_entity", 0),
     ("behavioral_similarity_threshold", 1.5), ("identity_creation_cost", float("nan"))],
)  # fmt: skip
def test_bad_config_is_rejected(field: str, value: float) -> None:
    with pytest.raises(ValidationError, match=field):
        IdentityConfig(**{field: value})


def test_similarity_values() -> None:
    assert behavioral_similarity({"x": 10, "y": 5}, {"x": 10, "y": 5}) == pytest.approx(1.0)
    assert behavioral_similarity({"x": 1}, {"y": 1}) == 0.0
    assert behavioral_similarity({}, {"y": 1}) == 0.0
    # J = 1/3, cos = 1 * 1 / (sqrt(2) sqrt(2)) = 0.5
    assert behavioral_similarity({"x": 1, "y": 1}, {"x": 1, "z": 1}) == pytest.approx((1 / 3 + 0.5) / 2)


patterns = st.dictionaries(
    st.sampled_from([f"a{i}" for i in range(9)]),
    st.dictionaries(st.sampled_from([f"c{i}" for i in range(6)]), st.integers(0, 4), max_size=6),
    min_size=2, max_size=9,
)  # fmt: skip


@given(p=patterns)
def test_similarity_is_symmetric_and_in_unit_interval(p: dict[str, dict[str, int]]) -> None:
    for a, b in itertools.combinations(p, 2):
        s = behavioral_similarity(p[a], p[b])
        assert 0.0 <= s <= 1.0 + 1e-12
        assert s == pytest.approx(behavioral_similarity(p[b], p[a]))


def _exact_clusters(p: dict[str, dict[str, int]], t: float) -> set[frozenset[str]]:
    ids = list(p)
    i, j = [], []
    for x, y in itertools.combinations(range(len(ids)), 2):
        s = behavioral_similarity(p[ids[x]], p[ids[y]])
        if s >= t - SIM_EPS and s > 0:
            i.append(x)
            j.append(y)
    if not i:
        return set()
    g = sparse.coo_matrix((np.ones(len(i)), (i, j)), shape=(len(ids), len(ids)))
    _, comp = csgraph.connected_components(g, directed=False)
    linked = set(i) | set(j)
    return {frozenset(ids[r] for r in linked if comp[r] == c) for c in {comp[r] for r in linked}}


@settings(max_examples=100, deadline=None)
@given(p=patterns, t=st.one_of(st.sampled_from([0.0, 0.5, 0.6, 0.8, 0.9, 1.0]), st.floats(0, 1)))
def test_fast_detector_equals_the_definition(p: dict[str, dict[str, int]], t: float) -> None:
    reg = IdentityRegistry(IdentityConfig(behavioral_similarity_threshold=t))
    got = {frozenset(c) for c in reg.detect_sybil_clusters(p)}
    assert got == _exact_clusters(p, t)


def test_fast_pairs_match_on_a_larger_random_input() -> None:
    rng = np.random.default_rng(5)
    n = 300
    rows = np.repeat(np.arange(n), 6)
    cols = rng.integers(0, 40, rows.shape[0])
    x = sparse.csr_matrix((rng.integers(1, 4, rows.shape[0]).astype(float), (rows, cols)), shape=(n, 40))
    x = x[np.r_[np.arange(10), 12, 12, np.arange(12, n)]].tocsr()  # rows 10, 11, 12: three identical patterns
    i, j, s = similarity_pairs(x, 0.7)
    pats = {
        f"a{r}": {f"c{c}": float(v) for c, v in zip(x[r].indices, x[r].data, strict=True)} for r in range(n)
    }
    want = {
        (a, b) for a, b in itertools.combinations(range(n), 2)
        if behavioral_similarity(pats[f"a{a}"], pats[f"a{b}"]) >= 0.7 - SIM_EPS
    }  # fmt: skip
    assert set(zip(i.tolist(), j.tolist(), strict=True)) == want
    assert {(10, 11), (10, 12), (11, 12)} <= want


def test_labels_and_patterns() -> None:
    pats = InteractionPatterns()
    pats.add(np.array([0, 1, 0, 1, 2]), np.array([3, 3, 4, 4, 5]))
    m = pats.matrix(6)
    assert m[0, 3] == 1 and m[3, 0] == 1 and m[3, 1] == 1 and m.shape == (6, 6)
    labels = sybil_cluster_labels(m, 0.9)
    assert labels[0] == labels[1] == 0 and labels[2] == -1  # 0 and 1 see exactly {3, 4}
    assert labels[3] == labels[4] == 1  # 3 and 4 see exactly {0, 1}
    pats.clear_rows(np.array([1]), 6)
    assert pats.matrix(6)[1].nnz == 0 and pats.matrix(6)[3, 1] == 0


def test_bad_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match="finite count"):
        patterns_matrix({"a": {"x": -1}}, ["a"])
