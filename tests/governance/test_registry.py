"""The lever registry: one table that the config, the engine, the scenario files, reports and docs use."""

import itertools
from pathlib import Path

import pytest
import yaml

from distsafe.governance import GovernanceConfig
from distsafe.governance.registry import (
    LEVERS,
    LEVERS_BY_SWITCH,
    build_levers,
    enabled_levers,
    lever_names,
    lookup,
)
from distsafe.scenarios import build_orchestrator, orchestrator_config, scenario_from_text

DOCS = Path(__file__).resolve().parents[2] / "docs" / "governance.md"

#: a YAML value of each switch that turns its lever on
ON = {
    "transaction_tax_rate": "0.05",
    "reputation_decay_rate": "0.9",
    "vote_normalization_enabled": "true",
    "bandwidth_cap": "3",
    "staking_enabled": "true",
    "circuit_breaker_enabled": "true",
    "audit_enabled": "true",
    "security_enabled": "true",
    "transparency_enabled": "true",
    "collusion_detection_enabled": "true",
    "sybil_detection_enabled": "true",
    "rbac_enabled": "true",
    "resample_enabled": "true",
}


def _old_rules(c: GovernanceConfig) -> set[str]:
    """The explicit rules the config and the engine had before the registry."""
    return {
        name
        for name, on in [
            ("transaction_tax", c.transaction_tax_rate > 0),
            ("reputation_decay", c.reputation_decay_rate < 1.0),
            ("vote_normalization", c.vote_normalization_enabled),
            ("bandwidth_cap", c.bandwidth_cap is not None),
            ("staking", c.staking_enabled),
            ("circuit_breaker", c.circuit_breaker_enabled),
            ("random_audit", c.audit_enabled),
        ]
        if on
    }


def test_registry_entries_are_consistent():
    assert len({e.name for e in LEVERS}) == len(LEVERS) == 13
    assert set(ON) == {e.switch for e in LEVERS}
    every = GovernanceConfig(**{switch: yaml.safe_load(value) for switch, value in ON.items()})
    for e in LEVERS:
        assert e.switch in GovernanceConfig.model_fields
        lever = e.build(every)
        assert lever.name == e.name
        assert set(e.report) <= set(lever.stats()), e.name  # the report shows counters the lever has
    assert lookup("staking").switch == "staking_enabled"
    with pytest.raises(KeyError, match="known: transaction_tax"):
        lookup("moat")


def test_off_values_are_the_defaults():
    assert {e.name: e.off for e in LEVERS} == {
        "reputation_decay": 1.0,
        "vote_normalization": False,
        "bandwidth_cap": None,
        "staking": False,
        "transaction_tax": 0.0,
        "random_audit": False,
        "circuit_breaker": False,
        "transparency": False,
        "security": False,
        "collusion_penalty": False,
        "sybil_detection": False,
        "rbac": False,
        "resample": False,
    }


def test_the_two_orders():
    assert [e.name for e in LEVERS] == [
        "reputation_decay",
        "vote_normalization",
        "bandwidth_cap",
        "staking",
        "transaction_tax",
        "random_audit",
        "circuit_breaker",
        "transparency",
        "security",
        "collusion_penalty",
        "sybil_detection",
        "rbac",
        "resample",
    ]
    assert (
        lever_names()
        == [e.name for e in LEVERS_BY_SWITCH]
        == [
            "transaction_tax",
            "reputation_decay",
            "vote_normalization",
            "bandwidth_cap",
            "staking",
            "circuit_breaker",
            "random_audit",
            "collusion_penalty",
            "security",
            "transparency",
            "sybil_detection",
            "rbac",
            "resample",
        ]
    )


@pytest.mark.parametrize("on", list(itertools.product([False, True], repeat=7))[::9])
def test_enabled_rule_matches_the_config_and_the_engine(on):
    """The registry's rule equals the old explicit rules; the config, the engine and the event list agree."""
    values = {
        "transaction_tax_rate": (0.0, 0.2),
        "reputation_decay_rate": (1.0, 0.8),
        "vote_normalization_enabled": (False, True),
        "bandwidth_cap": (None, 4),
        "staking_enabled": (False, True),
        "circuit_breaker_enabled": (False, True),
        "audit_enabled": (False, True),
    }
    cfg = GovernanceConfig(**{field: pair[flag] for (field, pair), flag in zip(values.items(), on)})
    names = enabled_levers(cfg)
    assert set(names) == _old_rules(cfg) and len(names) == sum(on)
    assert enabled_levers(cfg) == names
    assert [lv.name for lv in build_levers(cfg)] == [e.name for e in LEVERS if e.name in names]


@pytest.mark.parametrize("entry", LEVERS, ids=lambda e: e.name)
def test_every_lever_is_reachable_from_yaml(entry):
    spec = scenario_from_text(
        f"scenario_id: x\nagents: [{{type: honest, count: 2}}]\n"
        f"governance:\n  {entry.switch}: {ON[entry.switch]}\n"
    )
    assert entry.enabled(spec.governance)
    assert enabled_levers(spec.governance) == [entry.name]
    assert orchestrator_config(spec).governance_config == spec.governance
    orch = build_orchestrator(spec)
    assert [lv.name for lv in orch.governance.levers] == [entry.name]
    assert type(orch.governance.levers[0]) is entry.lever


def test_no_lever_on_means_no_governance_config():
    spec = scenario_from_text(
        "scenario_id: x\nagents: [{type: honest}]\ngovernance: {audit_probability: 0.5}\n"
    )
    assert orchestrator_config(spec).governance_config is None


def test_docs_describe_every_lever():
    text = DOCS.read_text()
    for e in LEVERS:
        assert f"| {e.title} | `{e.switch}`" in text, e.name
