"""LLMConfig: defaults, validation, the YAML `llm:` block (price alias, unknown keys), the run-log form."""

from __future__ import annotations

import json

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
    # The key itself is never dumped; a note says one was given, and reads back as "not given".
    assert d["api_key"] == "<redacted>" and c.model_dump()["api_key"] == "<redacted>"
    assert "secret" not in repr(c) and "secret" not in str(d)
    assert LLMConfig.from_dict(d) == c.model_copy(update={"api_key": None})
    assert "api_key" not in LLMConfig(provider="openai").to_dict()


def test_from_dict_names_the_unknown_keys_and_the_known_ones():
    with pytest.raises(
        ValueError, match=r"unknown key\(s\) in llm config: modle, temprature; known: .*api_key"
    ):
        LLMConfig.from_dict({"modle": "x", "temprature": 1})
    assert LLMConfig.from_dict(None) == LLMConfig()


def test_secrets_in_options_and_urls_are_redacted_in_every_dump():
    c = LLMConfig(
        provider="ollama",
        base_url="http://user:pw-SECRET@127.0.0.1:11434",
        provider_options={"api_key": "k-SECRET", "headers": {"Authorization": "Bearer t-SECRET"}, "x": 1},
    )
    for dump in (c.to_dict(), c.model_dump(mode="json")):
        assert "SECRET" not in json.dumps(dump)
        assert dump["provider_options"] == {"api_key": "<redacted>", "headers": "<redacted>", "x": 1}
        assert dump["base_url"] == "http://user:<redacted>@127.0.0.1:11434"
    assert LLMConfig.from_dict(c.to_dict()).provider_options == {"x": 1}  # redacted options: not given


def test_max_response_chars_is_dumped_only_when_changed_and_numbers_are_finite():
    assert "max_response_chars" not in LLMConfig().to_dict()  # run-log headers stay as they were
    assert LLMConfig(max_response_chars=1000).to_dict()["max_response_chars"] == 1000
    for bad in (
        {"timeout": float("nan")},
        {"timeout": float("inf")},
        {"temperature": float("nan")},
        {"price_input_per_mtok": float("inf"), "price_output_per_mtok": 1.0},
        {"max_response_chars": 0},
        {"max_retries": 10**6},
        {"max_tokens": 10**12},
    ):
        with pytest.raises(ValueError, match=next(iter(bad))):
            LLMConfig(**bad)
