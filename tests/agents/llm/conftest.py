"""Fixtures for the LLM agent tests: an observation, and agents driven by a scripted model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from distsafe.agents.base import Observation
from distsafe.agents.llm import LLMAgent, LLMConfig, LLMProvider, PersonaType
from distsafe.testing import ScriptedModel, sample_observation


@pytest.fixture
def observation() -> Observation:
    return sample_observation()


@pytest.fixture
def agent_with() -> Callable[..., tuple[LLMAgent, ScriptedModel]]:
    """`agent_with(*answers, persona=..., **config)`: an OpenAI gpt-4o-mini agent "llm_1" whose model
    answers from the script (strings, or exceptions to raise); returns (agent, model)."""

    def make(
        *answers: Any, persona: PersonaType = PersonaType.OPEN, **cfg: Any
    ) -> tuple[LLMAgent, ScriptedModel]:
        model = ScriptedModel(*answers)
        config = LLMConfig(provider=LLMProvider.OPENAI, model="gpt-4o-mini", persona=persona, **cfg)
        return LLMAgent("llm_1", config, client=model), model

    return make
