"""Seed 002's governance names load as aliases of ours (issue 9, "The seeds' own forms")."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from distsafe.governance.config import GovernanceConfig
from distsafe.governance.registry import enabled_levers
from distsafe.scenarios import ScenarioError, scenario_from_text


def test_each_seed_name_sets_our_field_and_switch():
    g = GovernanceConfig(
        reputation_decay=0.95, vote_weight_cap=5.0, staking_required=2.0, audit_penalty=3.0,
        circuit_breaker_threshold=0.6,
    )  # fmt: skip
    assert g.reputation_decay_rate == 0.95
    assert g.vote_normalization_enabled and g.max_vote_weight_per_agent == 5.0
    assert g.staking_enabled and g.min_stake_to_participate == 2.0
    assert g.audit_enabled and g.audit_penalty_multiplier == 3.0
    assert g.circuit_breaker_enabled and g.freeze_threshold_toxicity == 0.6
    assert len(enabled_levers(g)) == 5


@pytest.mark.parametrize("off", [{"vote_weight_cap": None}, {"staking_required": 0.0}, {"audit_penalty": 0}])
def test_seed_defaults_mean_off(off):
    assert GovernanceConfig(**off) == GovernanceConfig()


def test_both_names_must_agree():
    assert GovernanceConfig(reputation_decay=0.9, reputation_decay_rate=0.9).reputation_decay_rate == 0.9
    with pytest.raises(ValidationError, match="use one of the two names"):
        GovernanceConfig(reputation_decay=0.9, reputation_decay_rate=0.8)


def test_seed_names_are_validated_like_ours():
    with pytest.raises(ScenarioError, match=r"governance.reputation_decay_rate: Input should be a finite"):
        scenario_from_text("scenario_id: x\nagents: [{type: honest}]\ngovernance: {reputation_decay: .nan}\n")


SEED_002 = """\
scenario_id: status_game_v1
motif: reputation_competition
description: "Agents compete for reputation under scarcity"
agents:
  - {type: honest, count: 3, role: worker}
  - {type: opportunistic, count: 2, role: poster}
  - {type: adversarial, count: 1, role: poster}
environment:
  initial_budget: 100.0
governance:
  transaction_tax_rate: 0.05
  reputation_decay: 0.95
  bandwidth_cap: 10
simulation:
  epochs: 100
  steps_per_epoch: 10
  seed: 42
metrics_to_track: [toxicity_rate, conditional_loss_initiator, quality_gap, influence_gini]
"""


def test_the_plans_scenario_loads_and_epochs_override_replaces_the_seed_spelling():
    spec = scenario_from_text(SEED_002)
    assert spec.simulation.n_epochs == 100 and spec.governance.reputation_decay_rate == 0.95
    short = scenario_from_text(SEED_002, overrides=["simulation.n_epochs=2"])
    assert short.simulation.n_epochs == 2
    other = scenario_from_text(SEED_002, overrides=["governance.reputation_decay_rate=0.5"])
    assert other.governance.reputation_decay_rate == 0.5
