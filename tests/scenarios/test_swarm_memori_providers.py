"""`agents[].llm.memori` of the reference's format (scenarios/swarm_compat.py): a no-op on the reference's
providers whose client it never wraps with Memori, a missing feature on the others."""

from __future__ import annotations

import pytest

from distsafe.scenarios.loader import ScenarioError, scenario_from_text
from distsafe.scenarios.swarm_compat import MEMORI_UNWRAPPED, translate

MEMORI = (
    "      memori:\n        enabled: true\n        db_path: ':memory:'\n"
    "        auto_wait: true\n        decay_on_epoch: true\n"
)


def _text(provider: str) -> str:
    return (
        "scenario_id: t\nagents:\n  - type: llm\n    count: 1\n    llm:\n"
        f"      provider: {provider}\n      persona: open\n" + MEMORI
    )


def test_memori_on_an_unwrapped_provider_is_a_no_op_with_the_reason() -> None:
    spec = scenario_from_text(_text("ollama"))
    assert f"agents.0.llm.memori ({MEMORI_UNWRAPPED})" in spec.no_op_fields
    assert spec.ignored_fields == []
    tr = translate(
        {"agents": [{"type": "llm", "llm": {"provider": "OpenRouter", "memori": {"enabled": True}}}]}
    )
    assert "memori" not in tr.data["agents"][0]["llm"] and not tr.unsupported


@pytest.mark.parametrize("provider", ["anthropic", "openai", "dry_run"])
def test_memori_where_the_reference_uses_it_is_a_missing_feature(provider: str) -> None:
    with pytest.raises(ScenarioError) as e:
        scenario_from_text(_text(provider))
    msg = str(e.value)
    assert "agents.0.llm.memori: Memori memory for LLM agents is not in distsafe" in msg and "\n" not in msg


def test_memori_switched_off_stays_a_no_op() -> None:
    spec = scenario_from_text(_text("anthropic").replace("enabled: true", "enabled: false"))
    assert "agents.0.llm.memori (enabled: false)" in spec.no_op_fields
