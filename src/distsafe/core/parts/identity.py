"""The identity component (seed 003 "Identity and Trust Infrastructure"; a scenario's `identity:` block):
`models.identity` driven by the engine.

    start        an identity for every agent, in row order: its entity is the agent itself, or for a Sybil
                 (agents.sybil) the entity that controls it; the entity's first identity carries proof of
                 personhood with probability `pop_share` (one draw per entity, stream "identity"), its
                 further identities never. Each created identity costs its agent `identity_creation_cost`
                 (resources and payoff). A refused identity (the entity is at `max_identities_per_entity`,
                 or PoP is required and missing) leaves its agent frozen for the run: without an identity it
                 cannot act. One `identity_created` event per agent (`created`: false with the reason).
    begin_epoch  every `credential_every` epochs (from epoch K on), a reputation credential for each
                 identity whose reputation is at least `credential_min_reputation` (`credential_issued`
                 events); then every trust score is recomputed and written to the per-agent column
                 `trust_score` (what the permeability component reads)
    end_epoch    the interaction patterns so far (each interaction once per side, as the Sybil lever records
                 them); with `sybil_detection_enabled`, the registry's clusters at
                 `behavioral_similarity_threshold` (a measurement: the lever `sybil_detection` is what
                 penalizes), scored against the truth: precision and recall over agents, where an agent is a
                 Sybil when its entity holds two identities or more
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from distsafe.agents.sybil import SybilPolicy
from distsafe.core.components import Component
from distsafe.core.config import OrchestratorConfig
from distsafe.core.state import EngineState
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType
from distsafe.models.identity import (
    AgentIdentity,
    CredentialIssuer,
    IdentityEngineConfig,
    IdentityRegistry,
    InteractionPatterns,
    clusters_of,
    sybil_cluster_labels,
    trust_score,
)

_FOREVER = np.iinfo(np.int32).max


class IdentityComponent(Component):
    name = "identity"

    def __init__(self, config: IdentityEngineConfig) -> None:
        self.config = config
        self.registry = IdentityRegistry(config)
        self.issuer = CredentialIssuer(config)
        self.patterns = InteractionPatterns()
        self.entity = np.zeros(0, dtype=np.int64)  # per row: its entity's index
        self.has_identity = np.zeros(0, dtype=bool)
        #: per row (at the run's start): its identity, None when refused
        self.by_row: list[AgentIdentity | None] = []
        self.sybil = np.zeros(0, dtype=bool)  # truth: the entity holds >= 2 identities
        self.refused = 0
        self.issued_epoch = 0
        self.issued_total = 0
        self.last: dict[str, float] = {}

    # ---- the run's start -----------------------------------------------------------------------------------
    def _entities(self, state: EngineState) -> list[str]:
        """Each row's entity name: the agent's id, or its Sybil controller's."""
        ids = state.agents.ids
        names = [str(ids[r]) for r in range(len(state.agents))]
        for g, group in enumerate(state.groups):
            policy = group.policy
            if not isinstance(policy, SybilPolicy):
                continue
            rows = np.sort(np.flatnonzero(state.agents.group == g))
            ent = SybilPolicy.entity_of(rows, rows, policy.params.identities)
            for r, e in zip(rows.tolist(), ent.tolist()):
                names[r] = f"sybil_entity_{g}_{e}"
        return names

    def start(self, state: EngineState) -> None:
        c, agents = self.config, state.agents
        n = len(agents)
        names = self._entities(state)
        index: dict[str, int] = {}
        self.entity = np.array([index.setdefault(e, len(index)) for e in names], dtype=np.int64)
        pop_entity = state.rngs["identity"].random(len(index)) < c.pop_share
        first_seen = np.zeros(len(index), dtype=bool)
        self.has_identity = np.zeros(n, dtype=bool)
        self.by_row = [None for _ in range(n)]
        for r in range(n):
            e = int(self.entity[r])
            pop = bool(pop_entity[e] and not first_seen[e])
            first_seen[e] = True
            ident = self.registry.create_identity(str(agents.ids[r]), names[r], pop, state.env.epoch)
            if ident is None:
                self.refused += 1
                reason = self._refusal(names[r], pop)
                agents.frozen_until[r] = _FOREVER
                state.emit(
                    EventType.IDENTITY_CREATED, r, {"created": False, "entity": names[r], "reason": reason}
                )
                continue
            self.has_identity[r] = True
            self.by_row[r] = ident
            agents.resources[r] -= c.identity_creation_cost
            agents.total_payoff[r] -= c.identity_creation_cost
            state.emit(EventType.IDENTITY_CREATED, r, {
                "created": True, "entity": names[r], "proof_of_personhood": pop,
                "cost": c.identity_creation_cost, "trust_score": ident.trust_score,
            })  # fmt: skip
        held = np.bincount(self.entity[self.has_identity], minlength=len(index))
        self.sybil = held[self.entity] >= 2
        self._write_trust(state)

    def _refusal(self, entity: str, pop: bool) -> str:
        if len(self.registry.entities.get(entity, ())) >= self.config.max_identities_per_entity:
            return "max_identities_per_entity"
        return "proof_of_personhood_required" if not pop else "duplicate"

    # ---- epochs --------------------------------------------------------------------------------------------
    def _cover(self, n: int) -> None:
        """Agents that entered after the start (population dynamics) have no identity: rows up to n."""
        k = self.has_identity.shape[0]
        if k < n:
            self.has_identity = np.concatenate([self.has_identity, np.zeros(n - k, dtype=bool)])
            self.sybil = np.concatenate([self.sybil, np.zeros(n - k, dtype=bool)])
            self.by_row += [None] * (n - k)

    def begin_epoch(self, state: EngineState) -> None:
        c, agents, epoch = self.config, state.agents, state.env.epoch
        self._cover(len(agents))
        self.issued_epoch = 0
        if epoch > 0 and epoch % c.credential_every == 0:
            rows = np.flatnonzero(
                self.has_identity[: len(agents)] & (agents.reputation >= c.credential_min_reputation)
            )
            for r in rows.tolist():
                aid = str(agents.ids[r])
                cred = self.issuer.issue_reputation_credential(aid, float(agents.reputation[r]), epoch)
                ident = self.by_row[r]
                if ident is not None:
                    ident.credentials.append(cred)
                state.emit(EventType.CREDENTIAL_ISSUED, r, {
                    "credential_id": cred.credential_id, "claim_type": cred.claim_type,
                    "reputation": float(agents.reputation[r]), "expires_epoch": cred.expires_epoch,
                })  # fmt: skip
            self.issued_epoch = int(rows.shape[0])
            self.issued_total += self.issued_epoch
        self._write_trust(state)

    def trust(self, state: EngineState) -> np.ndarray:
        """Each row's trust score at the current epoch (0 for an agent without an identity)."""
        epoch = state.env.epoch
        n = len(state.agents)
        pop = np.zeros(n, dtype=bool)
        valid = np.zeros(n, dtype=np.int64)
        for r, ident in enumerate(self.by_row[:n]):
            if ident is not None:
                pop[r] = ident.proof_of_personhood
                valid[r] = ident.valid_credentials(epoch)
                ident.trust_score = float(trust_score(pop[r], valid[r]))
        out: np.ndarray = np.where(self.has_identity[:n], trust_score(pop, valid), 0.0)
        return out

    def _write_trust(self, state: EngineState) -> None:
        self._cover(len(state.agents))
        col = state.agent_array("trust_score", np.float64, 0.0)
        col[:] = self.trust(state)

    def end_epoch(self, state: EngineState, batch: InteractionBatch) -> dict[str, float]:
        c, n = self.config, len(state.agents)
        self._cover(n)
        self.patterns.add(batch.initiator, batch.counterparty)
        trust = state.agent_array("trust_score", np.float64, 0.0)
        has = self.has_identity[:n]
        sybil = self.sybil[:n]
        out = {
            "identities": float(np.count_nonzero(has)),
            "identities_refused": float(self.refused),
            "credentials_issued": float(self.issued_epoch),
            "avg_trust_score": float(trust[has].mean()) if has.any() else float("nan"),
            "avg_trust_sybil": float(trust[has & sybil].mean()) if (has & sybil).any() else float("nan"),
            "pop_verification_rate": self.registry.pop_verification_rate(),
            "sybil_clusters_found": 0.0, "sybil_precision": float("nan"), "sybil_recall": float("nan"),
        }  # fmt: skip
        if c.sybil_detection_enabled:
            labels = sybil_cluster_labels(self.patterns.matrix(n), c.behavioral_similarity_threshold)[:n]
            clusters = clusters_of(labels)
            ids = state.agents.ids
            self.registry.sybil_clusters = [{str(ids[int(r)]) for r in rows.tolist()} for rows in clusters]
            flagged = labels >= 0
            tp = float(np.count_nonzero(flagged & sybil))
            out["sybil_clusters_found"] = float(len(clusters))
            if flagged.any():
                out["sybil_precision"] = tp / float(np.count_nonzero(flagged))
            if sybil.any():
                out["sybil_recall"] = tp / float(np.count_nonzero(sybil))
        self.last = out
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "identities": len(self.registry.identities),
            "identities_refused": self.refused,
            "credentials_issued": self.issued_total,
            "pop_verification_rate": self.registry.pop_verification_rate(),
            "sybil_clusters": [sorted(cl) for cl in self.registry.sybil_clusters[:50]],
            # None while undefined (no agent flagged / no Sybil): the summary goes into the log as JSON
            "sybil_precision": _defined(self.last.get("sybil_precision")),
            "sybil_recall": _defined(self.last.get("sybil_recall")),
        }


def _defined(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def build(config: OrchestratorConfig) -> Component | None:
    return None if config.identity_config is None else IdentityComponent(config.identity_config)
