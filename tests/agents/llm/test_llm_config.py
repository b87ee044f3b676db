"""LLMConfig: defaults, validation, the YAML `llm:` block (price alias, unknown keys), the run-log form."""

from __future__ import annotations

import pytest

from distsafe.agents.llm import LLMAgent, LLMConfig, LLMProvider, PersonaType

def test_config_defaults_and_validation():
    c = LLMConfig()
    assert c.provider == LLMProvider.ANTHROPIC and c.model == "claude-sonnet-4-20250514"
    assert c.persona == PersonaType.OPEN and c.temperature == 0.7 and c.max_tokens == 512 and c.cost_tracking
    assert LLMConfig(provider="ollama").model == "llama3"
    with pytest.raises(ValueError, match="unknown LLM provider"):
        LLMConfig(provider="gemini")
    with pytest.raises(ValueError, match="unknown persona"):
        LLMConfig(persona="sneaky")
    with pytest.raises(ValueError, match="temperature"):
        LLMConfig(temperature=3.0)
    with pytest.raises(ValueError, match="unknown key"):
        LLMConfig.from_dict({"provider": "dry_run", "temprature": 0.5})
    d = LLMConfig(provider="openai", api_key="secret").to_dict()
    assert d["provider"] == "openai" and "api_key" not in d


def test_price_block_in_yaml_config():
    c = LLMConfig.from_dict({"provider": "openai", "model": "my-model", "price": {"input": 2.0, "output": 4.0}})
    assert (c.price_input_per_mtok, c.price_output_per_mtok) == (2.0, 4.0)
    agent = LLMAgent("llm_1", c, client=object())  # client unused here
    assert agent.usage.prices.cost("openai", "my-model", 10**6, 10**6) == pytest.approx(6.0)
    with pytest.raises(ValueError, match="set both"):
        LLMConfig(price_input_per_mtok=1.0)
