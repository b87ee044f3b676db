"""`governance.self_evolution_*` (the reference's self-evolution governance): in the reference only its
LiveSWE bridge reads them (swarm/bridges/live_swe/policy.py), which its runner never builds, so they are
no-ops here as there (scenarios/swarm_compat.py REFERENCE_IGNORED), the reference's bounds still checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from distsafe.scenarios.loader import ScenarioError, load_scenario, scenario_from_text

HERE = Path(__file__).parent / "swarm_format"
FIELDS = (
    "self_evolution_enabled",
    "self_evolution_max_growth_rate",
    "self_evolution_max_tools",
    "self_evolution_block_self_mod",
    "self_evolution_divergence_threshold",
    "self_evolution_tool_risk_threshold",
    "self_evolution_growth_freeze_duration",
)


def test_every_field_is_a_listed_no_op() -> None:
    spec = load_scenario(HERE / "reference_ignored.yaml")
    for f in FIELDS:
        why = "(ignored by the reference's runner too: read only by its LiveSWE bridge"
        assert any(n.startswith(f"governance.{f} {why}") for n in spec.no_op_fields), f
    assert not any("self_evolution" in k for k in spec.governance.model_dump())


@pytest.mark.parametrize(
    "field, value",
    [
        ("self_evolution_max_growth_rate", "-0.1"),
        ("self_evolution_max_tools", "0"),
        ("self_evolution_divergence_threshold", "1.5"),
        ("self_evolution_tool_risk_threshold", "-1"),
        ("self_evolution_growth_freeze_duration", "0"),
        ("self_evolution_max_tools", "many"),
        ("self_evolution_max_growth_rate", ".inf"),
    ],
)
def test_values_the_reference_rejects_are_one_line_errors(field: str, value: str) -> None:
    with pytest.raises(ScenarioError, match=f"governance.{field}") as e:
        scenario_from_text(
            f"scenario_id: t\nagents:\n  - type: honest\n    count: 2\ngovernance:\n  {field}: {value}\n"
        )
    assert "\n" not in str(e.value)
