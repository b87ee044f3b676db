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
    assert d["provider"] == "openai" and d["api_key"] == "<redacted>" and "secret" not in str(d)


def test_price_block_in_yaml_config():
    c = LLMConfig.from_dict(
        {"provider": "openai", "model": "my-model", "price": {"input": 2.0, "output": 4.0}}
    )
    assert (c.price_input_per_mtok, c.price_output_per_mtok) == (2.0, 4.0)
    agent = LLMAgent("llm_1", c, client=object())  # client unused here
    assert agent.usage.prices.cost("openai", "my-model", 10**6, 10**6) == pytest.approx(6.0)
    with pytest.raises(ValueError, match="set both"):
        LLMConfig(price_input_per_mtok=1.0)


def test_config_is_a_frozen_pydantic_model_that_forbids_unknown_fields():
    from pydantic import ValidationError

    c = LLMConfig(provider="Dry-Run", persona="ADVERSARIAL")
    assert (c.provider, c.persona, c.model) == (LLMProvider.DRY_RUN, PersonaType.ADVERSARIAL, "dry-run")
    with pytest.raises(ValidationError):
        c.temperature = 0.1  # shared by every agent of a YAML entry: never changed in place
    with pytest.raises(ValidationError, match="temprature"):
        LLMConfig(temprature=0.5)
    for bad in (
        {"max_tokens": 0},
        {"timeout": 0},
        {"max_retries": -1},
        {"max_content_chars": 8},
        {"max_posts_in_prompt": -1},
    ):
        with pytest.raises(ValidationError, match=next(iter(bad))):
            LLMConfig(**bad)


def test_to_dict_is_the_run_log_form_and_round_trips():
    c = LLMConfig(provider="openai", persona="honest", api_key="secret", provider_options={"x": 1})
    d = c.to_dict()
    assert list(d)[:6] == ["provider", "model", "persona", "temperature", "max_tokens", "cost_tracking"]
    assert (d["provider"], d["persona"], d["provider_options"]) == ("openai", "honest", {"x": 1})
    assert "api_key" not in d and "secret" not in repr(c) and "api_key" not in c.model_dump()
    assert LLMConfig.from_dict(d) == c.model_copy(update={"api_key": None})


def test_from_dict_names_the_unknown_keys_and_the_known_ones():
    with pytest.raises(
        ValueError, match=r"unknown key\(s\) in llm config: modle, temprature; known: .*api_key"
    ):
        LLMConfig.from_dict({"modle": "x", "temprature": 1})
    assert LLMConfig.from_dict(None) == LLMConfig()
