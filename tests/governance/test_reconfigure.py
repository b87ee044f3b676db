"""governance.reconfigure: a running engine takes new settings (the perturbations' parameter shocks) and its
levers keep what they counted."""

from __future__ import annotations

import pytest

from distsafe.governance.audits import RandomAuditLever
from distsafe.governance.config import GovernanceConfig
from distsafe.governance.engine import GovernanceEngine
from distsafe.governance.levers import GovernanceLever
from distsafe.governance.reconfigure import reconfigure, settings_changed, shocked
from distsafe.governance.security import SecurityLever


def _lever(engine: GovernanceEngine, name: str) -> GovernanceLever:
    return next(lv for lv in engine.levers if lv.name == name)


def test_settings_move_and_counters_stay() -> None:
    cfg = GovernanceConfig(audit_enabled=True, audit_probability=0.1, security_enabled=True)
    eng = GovernanceEngine(cfg)
    audit = _lever(eng, "random_audit")
    assert isinstance(audit, RandomAuditLever)
    audit.audits, audit.caught = 7, 2
    security = _lever(eng, "security")
    assert isinstance(security, SecurityLever)
    security.quarantines = 3
    new = shocked(cfg, {"audit_probability": 0.25, "security_min_interactions": 3})
    reconfigure(eng, new)
    assert eng.config.audit_probability == 0.25 and eng.config.security_min_interactions == 3
    assert _lever(eng, "random_audit") is audit and audit.prob == 0.25 and audit.audits == 7
    assert audit.caught == 2
    assert _lever(eng, "security") is security and security.quarantines == 3
    assert security.cfg.security_min_interactions == 3
    # and back
    reconfigure(eng, shocked(new, {"audit_probability": 0.1, "security_min_interactions": 5}))
    assert audit.prob == 0.1 and audit.audits == 7
    assert all(getattr(eng.config, k) == getattr(cfg, k) for k in GovernanceConfig.model_fields)


def test_a_shock_can_switch_a_lever_on_and_off_in_registry_order() -> None:
    cfg = GovernanceConfig(transaction_tax_rate=0.05)
    eng = GovernanceEngine(cfg)
    before = [lv.name for lv in eng.levers]
    reconfigure(eng, shocked(cfg, {"audit_enabled": True, "audit_probability": 0.3}))
    names = [lv.name for lv in eng.levers]
    assert "random_audit" in names and "random_audit" not in before
    assert names == [lv.name for lv in GovernanceEngine(eng.config).levers]
    reconfigure(eng, shocked(eng.config, {"audit_enabled": False}))
    assert [lv.name for lv in eng.levers] == before


def test_settings_changed_is_the_difference_of_fresh_levers() -> None:
    a = RandomAuditLever(GovernanceConfig(audit_probability=0.1))
    b = RandomAuditLever(GovernanceConfig(audit_probability=0.4))
    assert settings_changed(a, b) == {"prob": 0.4}


def test_shocked_validates_names_and_values() -> None:
    with pytest.raises(ValueError, match="not governance settings: audit_probabilty"):
        shocked(GovernanceConfig(), {"audit_probabilty": 0.2})
    with pytest.raises(ValueError):
        shocked(GovernanceConfig(), {"audit_probability": 2.0})
    assert shocked(GovernanceConfig(), {"security_min_interactions": 3.0}).security_min_interactions == 3
