"""The identity and permeability components in runs: identities made at a cost at the start (the Sybil's
extra identities refused past the entity's cap), credentials every K epochs, trust scores as epoch fields,
the boundary's epoch fields; both from YAML; bad blocks rejected with one line; off by default."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from distsafe.boundaries.permeability import PermeabilityEngineConfig
from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.core.parts.identity import IdentityComponent
from distsafe.core.parts.permeability import PermeabilityComponent
from distsafe.eventlog import read_log
from distsafe.governance import GovernanceConfig
from distsafe.metrics.epoch import SECTION_METRICS
from distsafe.models.identity import IdentityEngineConfig
from distsafe.scenarios.loader import ScenarioError, scenario_from_text
from distsafe.scenarios.runner import run_scenario


def _orch(log: Path | None = None, **ident: object) -> Orchestrator:
    cfg = OrchestratorConfig(
        n_epochs=4, steps_per_epoch=6, seed=2, log_path=log, log_events=log is not None,
        identity_config=IdentityEngineConfig(**{"identity_creation_cost": 5.0, "credential_every": 2,
                                                "max_identities_per_entity": 2, **ident}),
        permeability_config=PermeabilityEngineConfig(contagion_rate=0.5, base_permeability=0.8),
    )  # fmt: skip
    o = Orchestrator(cfg)
    o.add_population("honest", 10)
    o.add_population("sybil", 6, params={"identities": 3})
    return o


def test_identities_costs_refusals_and_credentials(tmp_path: Path) -> None:
    o = _orch(tmp_path / "run.jsonl")
    start = o.agents.resources.copy()
    ms = o.run()
    comp = o.get_component("identity")
    assert isinstance(comp, IdentityComponent)
    # two Sybil entities of three identities each; the cap of 2 refuses each entity's third
    assert len(comp.registry.identities) == 14 and comp.refused == 2
    assert comp.registry.entities["sybil_entity_1_0"] == ["sybil_1", "sybil_2"]
    sy = np.char.startswith(np.array(list(o.agents.ids)), "sybil")
    refused_rows = np.flatnonzero(~comp.has_identity)
    assert sy[refused_rows].all() and (o.agents.frozen_until[refused_rows] > 10**6).all()
    # only an entity's first identity has proof of personhood
    assert [comp.registry.identities[f"sybil_{k}"].proof_of_personhood for k in (1, 2, 4, 5)] == [
        True, False, True, False,
    ]  # fmt: skip
    rec = [m.to_dict() for m in ms]
    assert [r["identities"] for r in rec] == [14.0] * 4
    assert rec[0]["credentials_issued"] == 0 and rec[2]["credentials_issued"] > 0
    assert rec[2]["avg_trust_score"] > rec[1]["avg_trust_score"]
    assert set(SECTION_METRICS["identity"]) <= set(rec[0]) and set(SECTION_METRICS["permeability"]) <= set(
        rec[0]
    )
    events = list(read_log(tmp_path / "run.jsonl").events)
    made = [e for e in events if e.event_type.value == "identity_created"]
    assert len(made) == 16 and sum(1 for e in made if e.payload["created"]) == 14
    assert {e.payload["reason"] for e in made if not e.payload["created"]} == {"max_identities_per_entity"}
    issued = [e for e in events if e.event_type.value == "credential_issued"]
    assert len(issued) == rec[2]["credentials_issued"] and all(e.epoch == 2 for e in issued)
    # the cost: 5 per identity, paid at the start (before any payoff)
    ended = [e for e in events if e.event_type.value == "simulation_ended"][0]
    assert ended.payload["components"]["identity"]["identities"] == 14
    assert start.shape[0] == 16


def test_permeability_fields_and_trust_source() -> None:
    o = _orch()
    ms = o.run()
    comp = o.get_component("permeability")
    assert isinstance(comp, PermeabilityComponent) and comp.model is not None
    rec = [m.to_dict() for m in ms]
    st = comp.model.state
    assert sum(r["spillovers"] for r in rec) == st.total_spillovers
    assert sum(r["spillovers_blocked"] for r in rec) == st.total_blocked
    assert rec[-1]["cumulative_external_harm"] == pytest.approx(st.cumulative_external_harm)
    assert sum(r["flows_crossed"] for r in rec) == st.flows_crossed > 0
    assert all(0.0 <= r["effective_permeability"] <= 0.8 for r in rec)
    # the trust the boundary reads is the identity's column
    assert o.engine_state.extra_columns["trust_score"].max() <= 1.0


def test_lever_and_components_in_one_run_and_same_seed_same_log(tmp_path: Path) -> None:
    text = (
        "scenario_id: t\nagents:\n  - type: honest\n    count: 40\n  - type: sybil\n    count: 4\n"
        "identity:\n  max_identities_per_entity: 4\n  behavioral_similarity_threshold: 0.6\n"
        "permeability:\n  base_permeability: 0.6\n"
        "governance:\n  sybil_detection_enabled: true\n  sybil_similarity_threshold: 0.6\n"
        "simulation:\n  n_epochs: 4\n  steps_per_epoch: 8\n  seed: 5\n"
    )
    spec = scenario_from_text(text)
    assert spec.identity is not None and spec.permeability is not None
    a = run_scenario(spec, tmp_path / "a")
    b = run_scenario(spec, tmp_path / "b")
    assert (tmp_path / "a" / "events.jsonl").read_bytes() == (tmp_path / "b" / "events.jsonl").read_bytes()
    last = a.metrics[-1].to_dict()
    assert "sybil_clusters" in last and "sybil_precision" in last and "spillovers" in last
    assert len(b.metrics) == 4


@pytest.mark.parametrize(
    "block, field",
    [("identity:\n  identity_creation_cost: -1\n", "identity.identity_creation_cost"),
     ("identity:\n  credential_every: 0\n", "identity.credential_every"),
     ("identity:\n  no_such: 1\n", "identity.no_such"),
     ("permeability:\n  base_permeability: 2\n", "permeability.base_permeability"),
     ("permeability:\n  contagion_rate: .nan\n", "permeability.contagion_rate"),
     ("governance:\n  sybil_similarity_threshold: 3\n", "governance.sybil_similarity_threshold"),
     ("agents:\n  - type: sybil\n    count: 2\n    params:\n      identities: 0\n", "identities")],
)  # fmt: skip
def test_bad_blocks_are_one_line_errors(block: str, field: str) -> None:
    head = "scenario_id: t\n" + (
        "" if block.startswith("agents") else "agents:\n  - type: honest\n    count: 2\n"
    )
    with pytest.raises(ScenarioError) as e:
        scenario_from_text(head + block, source="bad.yaml")
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("bad.yaml:") and field in msg


def test_off_by_default() -> None:
    cfg = OrchestratorConfig()
    assert cfg.identity_config is None and cfg.permeability_config is None
    assert not GovernanceConfig().sybil_detection_enabled
    assert (
        "identity_config" not in cfg.model_dump()
        and "sybil_detection_enabled" not in GovernanceConfig().model_dump()
    )
