"""The Sybil attacker: entities of `identities` identities attack the same victims and boost each other; the
lever's realtime charge stops the boosting of flagged identities; it conforms to the agent contract."""

import numpy as np
import pytest
from pydantic import ValidationError

from distsafe.agents.registry import SCRIPTED_AGENTS, policy_for
from distsafe.agents.sybil import SybilAgent, SybilPolicy
from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.governance import GovernanceConfig
from distsafe.models.agent import BAD_ACTOR_TYPES, AgentType
from distsafe.models.schema import InteractionType
from distsafe.testing.conformance import check_agent


def _run(gov: GovernanceConfig | None = None, identities: int = 4, count: int = 8, epochs: int = 4):
    o = Orchestrator(OrchestratorConfig(n_epochs=epochs, steps_per_epoch=10, seed=3, governance_config=gov))
    o.add_population("honest", 30)
    o.add_population("sybil", count, params={"identities": identities, "boost_share": 0.5})
    batches = []
    o.interaction_sink = batches.append
    o.run()
    ids = np.array(list(o.agents.ids))
    return o, ids, batches


def test_entities_share_victims_and_boost_each_other():
    o, ids, batches = _run()
    init = np.concatenate([b.initiator for b in batches])
    cp = np.concatenate([b.counterparty for b in batches])
    itype = np.concatenate([b.itype for b in batches])
    sybil = np.flatnonzero(np.char.startswith(ids, "sybil"))
    ent_a, ent_b = sybil[:4], sybil[4:]
    trade = itype == InteractionType.TRADE.code  # attacks (replies to posts go to their authors)
    outside_a = set(cp[trade & np.isin(init, ent_a)].tolist())
    outside_b = set(cp[trade & np.isin(init, ent_b)].tolist())
    assert 1 <= len(outside_a) <= 3 and 1 <= len(outside_b) <= 3  # each entity's own victims
    assert not (outside_a | outside_b) & set(sybil.tolist())
    # boosting stays inside the entity: no proposal from entity a to entity b
    assert not np.any(np.isin(init, ent_a) & np.isin(cp, ent_b))
    inside = np.isin(init, ent_a) & np.isin(cp, ent_a)
    assert inside.sum() > 10
    assert np.all(itype[inside & (itype != InteractionType.REPLY.code)] == InteractionType.COLLABORATION.code)


def test_realtime_charge_stops_boosting_of_flagged_identities():
    def boosts(realtime: bool) -> int:
        gov = GovernanceConfig(sybil_detection_enabled=True, sybil_similarity_threshold=0.5,
                               sybil_max_cluster_size=50, sybil_realtime_penalty=realtime)  # fmt: skip
        _, ids, batches = _run(gov, epochs=6)
        sybil = np.flatnonzero(np.char.startswith(ids, "sybil"))
        late = [b for b in batches[3:]]
        init = np.concatenate([b.initiator for b in late])
        cp = np.concatenate([b.counterparty for b in late])
        return int(np.count_nonzero(np.isin(init, sybil) & np.isin(cp, sybil)))

    assert boosts(True) < boosts(False)


def test_registry_type_and_params():
    assert isinstance(policy_for("sybil"), SybilPolicy) and SCRIPTED_AGENTS["sybil"] is SybilAgent
    assert AgentType.SYBIL in BAD_ACTOR_TYPES and list(AgentType)[-1] is AgentType.SYBIL
    with pytest.raises(ValidationError):
        SybilPolicy({"identities": 0})
    ent = SybilPolicy.entity_of(np.array([10, 11, 12, 13, 14]), np.array([14, 13, 12, 11, 10]), 2)
    assert ent.tolist() == [0, 0, 1, 1, 2]


def test_conformance():
    check_agent(lambda: SybilAgent("sybil_x"))
