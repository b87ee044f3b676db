"""GovernanceConfig: validation, and which levers a config turns on."""

import pytest

from distsafe.governance import GovernanceConfig
from distsafe.governance.registry import enabled_levers


def test_governance_config_rejects_bad_values():
    for bad in (
        {"transaction_tax_rate": 1.5},
        {"audit_probability": -0.1},
        {"freeze_threshold_violations": 0},
        {"bandwidth_cap": 0},
        {"no_such_lever": True},
    ):
        with pytest.raises(ValueError):
            GovernanceConfig(**bad)


def test_every_lever_is_off_by_default():
    assert enabled_levers(GovernanceConfig()) == []


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"transaction_tax_rate": 0.05}, ["transaction_tax"]),
        ({"transaction_tax_rate": 0.0, "transaction_tax_split": 0.9}, []),  # a split alone taxes nothing
        ({"reputation_decay_rate": 0.99}, ["reputation_decay"]),
        ({"reputation_decay_rate": 1.0}, []),
        ({"vote_normalization_enabled": True}, ["vote_normalization"]),
        ({"max_vote_weight_per_agent": 3.0}, []),
        ({"bandwidth_cap": 1}, ["bandwidth_cap"]),
        ({"staking_enabled": True}, ["staking"]),
        ({"min_stake_to_participate": 5.0}, []),  # a stake without staking_enabled blocks nobody
        ({"circuit_breaker_enabled": True}, ["circuit_breaker"]),
        ({"audit_enabled": True}, ["random_audit"]),
        ({"audit_probability": 0.5}, []),
    ],
)
def test_enabled_levers_follow_the_switches(fields, expected):
    assert enabled_levers(GovernanceConfig(**fields)) == expected


def test_enabled_levers_are_listed_in_the_order_of_their_switches():
    """The order of the `levers` list in the `simulation_started` event (part of the golden logs)."""
    every = GovernanceConfig(
        transaction_tax_rate=0.1,
        reputation_decay_rate=0.9,
        vote_normalization_enabled=True,
        bandwidth_cap=5,
        staking_enabled=True,
        circuit_breaker_enabled=True,
        audit_enabled=True,
    )
    assert enabled_levers(every) == [
        "transaction_tax",
        "reputation_decay",
        "vote_normalization",
        "bandwidth_cap",
        "staking",
        "circuit_breaker",
        "random_audit",
    ]
