"""LLM-backed agents: `LLMAgent`, `LLMConfig`, `LLMProvider`, `PersonaType`; their prompts, answer parsing
and dry-run policy. The provider layer they use is `distsafe.llm`."""

from distsafe.agents.llm.action_schema import ACTION_SCHEMA, ActionAnswer, action_schema
from distsafe.agents.llm.agent import LLMAgent, llm_agents_from_spec
from distsafe.agents.llm.config import DEFAULT_MODELS, LLMConfig, LLMProvider, PersonaType
from distsafe.agents.llm.parsing import ActionParseError, parse_action
from distsafe.agents.llm.prompts import PERSONA_PROMPTS

__all__ = [
    "ACTION_SCHEMA",
    "ActionAnswer",
    "ActionParseError",
    "DEFAULT_MODELS",
    "LLMAgent",
    "LLMConfig",
    "LLMProvider",
    "PERSONA_PROMPTS",
    "PersonaType",
    "action_schema",
    "llm_agents_from_spec",
    "parse_action",
]
