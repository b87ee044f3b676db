"""Names of the agent types: the scripted policies (for scenarios and `Orchestrator.add_population`), and
the agent classes a run's log may name, which `replay --verify` rebuilds (`replayable_agent_class`).

A log is data, never code: its header names the classes of the object agents (`module:QualName`), and a
replay rebuilds only the classes listed here plus those its caller allows by name (`--allow-class`). It
never imports or calls anything else a log names.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from typing import Any

from distsafe.agents.adaptive_adversary import AdaptiveAdversary, AdaptiveAdversaryPolicy
from distsafe.agents.adversarial import AdversarialAgent, AdversarialPolicy
from distsafe.agents.attackers import AttackerAgent, AttackerPolicy
from distsafe.agents.base import BaseAgent
from distsafe.agents.deceptive import DeceptiveAgent, DeceptivePolicy
from distsafe.agents.honest import HonestAgent, HonestPolicy
from distsafe.agents.moderator import ModeratorAgent, ModeratorPolicy
from distsafe.agents.opportunistic import OpportunisticAgent, OpportunisticPolicy
from distsafe.agents.policies import ScriptedPolicy
from distsafe.agents.sybil import SybilAgent, SybilPolicy
from distsafe.models.agent import AgentType

SCRIPTED_POLICIES: dict[str, type[ScriptedPolicy]] = {
    "honest": HonestPolicy,
    "opportunistic": OpportunisticPolicy,
    "deceptive": DeceptivePolicy,
    "adversarial": AdversarialPolicy,
    "attacker": AttackerPolicy,
    "adaptive_adversary": AdaptiveAdversaryPolicy,
    "moderator": ModeratorPolicy,
    "sybil": SybilPolicy,
}

SCRIPTED_AGENTS: dict[str, type[BaseAgent]] = {
    "honest": HonestAgent,
    "opportunistic": OpportunisticAgent,
    "deceptive": DeceptiveAgent,
    "adversarial": AdversarialAgent,
    "attacker": AttackerAgent,
    "adaptive_adversary": AdaptiveAdversary,
    "moderator": ModeratorAgent,
    "sybil": SybilAgent,
}


def policy_for(
    agent_type: str | AgentType, params: dict[str, Any] | None = None, roles: list[str] | None = None
) -> ScriptedPolicy:
    name = agent_type.value if isinstance(agent_type, AgentType) else str(agent_type)
    cls = SCRIPTED_POLICIES.get(name)
    if cls is None:
        raise ValueError(
            f"unknown scripted agent type {name!r}; known: {', '.join(sorted(SCRIPTED_POLICIES))}"
        )
    return cls(params, roles)


# ---- the agent classes a log may name --------------------------------------------------------------------
def class_name(cls: type) -> str:
    """`module:QualName`, the way the engine records an agent object's class in the log header."""
    return f"{cls.__module__}:{cls.__qualname__}"


def _llm_agent() -> type[BaseAgent]:
    from distsafe.agents.llm.agent import LLMAgent  # imported when a log names it (it pulls in the llm layer)

    return LLMAgent


LLM_AGENT_CLASS = "distsafe.agents.llm.agent:LLMAgent"


#: `module:QualName` -> the class (a loader, so the LLM agent is imported only when a log names it)
def _loader(cls: type[BaseAgent]) -> Callable[[], type[BaseAgent]]:
    return lambda: cls


REPLAYABLE_AGENTS: dict[str, Callable[[], type[BaseAgent]]] = {
    **{class_name(cls): _loader(cls) for cls in SCRIPTED_AGENTS.values()},
    LLM_AGENT_CLASS: _llm_agent,
}

_CLASS_NAME = re.compile(
    r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"
)


class AgentClassRefused(ValueError):
    """A log names an agent class that is neither known nor allowed; nothing was imported."""


def check_class_name(name: str) -> str:
    """`name` if it has the `module:QualName` form, else a ValueError (for `--allow-class` values)."""
    if not isinstance(name, str) or not _CLASS_NAME.match(name):
        raise ValueError(f"{name!r} is not a class name of the form module:Class (e.g. mypkg.agents:MyAgent)")
    return name


def replayable_agent_class(name: Any, allowed: Iterable[str | type] = ()) -> type[BaseAgent]:
    """The agent class a log header names, if it is a known distsafe agent or one the caller allows.

    `allowed` holds classes, or names (`module:QualName`) that are imported only when the log names exactly
    that class; the class must be a `BaseAgent`. Anything else raises `AgentClassRefused` without importing
    or calling anything."""
    if not isinstance(name, str):
        raise AgentClassRefused(f"the log names an agent class that is not a string: {name!r:.80}")
    loader = REPLAYABLE_AGENTS.get(name)
    if loader is not None:
        return loader()
    for entry in allowed:
        if isinstance(entry, type):
            if class_name(entry) == name:
                return _as_agent_class(entry, name)
        elif entry == name:
            return _as_agent_class(_import_class(check_class_name(name)), name)
    raise AgentClassRefused(
        f"the log names agent class {name!r:.120}, which is not a distsafe agent type; it was not loaded "
        "(a class of your own that you trust can be allowed with --allow-class MODULE:CLASS)"
    )


def _import_class(name: str) -> Any:
    module, _, qual = name.partition(":")
    try:
        obj: Any = importlib.import_module(module)
        for part in qual.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise AgentClassRefused(f"allowed agent class {name} is not importable here") from None
    return obj


def _as_agent_class(obj: Any, name: str) -> type[BaseAgent]:
    if not (isinstance(obj, type) and issubclass(obj, BaseAgent)):
        raise AgentClassRefused(f"{name} is not an agent class (a subclass of distsafe's BaseAgent)")
    return obj
