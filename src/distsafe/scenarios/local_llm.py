"""Runs that serve their own model: the LLM agents of a scenario whose `llm:` block names a
`local_model` (e.g. `smollm2-135m`) talk to a llama-cpp-python server that the run starts on 127.0.0.1 (a
free port) and stops when it ends, however it ends. One server per model, shared by its agents.

Without the [llm-local] extra the run stops before it starts, with one line naming the extra (the CLI
exits 2). A replay from a recording needs neither the server nor the extra: no request leaves the process.
The server's port never enters the log (the agents get it through `set_base_url`, not their config).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from distsafe.core.orchestrator import Orchestrator
from distsafe.llm.errors import LLMConfigError
from distsafe.llm.local_server import EXTRA_HINT, LOCAL_MODELS, LocalModelServer, local_model_missing


def local_model_agents(orch: Orchestrator) -> dict[str, list[Any]]:
    """The agents that ask for a local model, by model name (in registration order)."""
    out: dict[str, list[Any]] = {}
    for agent in orch.agent_objects.values():
        name = getattr(getattr(agent, "llm_config", None), "local_model", None)
        if name is not None:
            out.setdefault(str(name), []).append(agent)
    return out


def check_local_models(orch: Orchestrator, replaying: bool) -> None:
    """Raise `LLMConfigError` (one line naming the extra) when the run needs a local model it cannot serve."""
    wanted = local_model_agents(orch)
    if not wanted or replaying:
        return
    missing = local_model_missing()
    if missing:
        raise LLMConfigError(
            f"this scenario asks for the local model {', '.join(sorted(wanted))}: install the [llm-local] "
            f"extra: {EXTRA_HINT} ({missing})"
        )


@contextmanager
def serve_local_models(
    orch: Orchestrator, replaying: bool = False, n_ctx: int = 4096
) -> Iterator[list[LocalModelServer]]:
    """Start a server per local model the agents ask for, point them at it, stop it on the way out."""
    wanted = local_model_agents(orch)
    if not wanted or replaying:
        yield []
        return
    check_local_models(orch, replaying)
    with ExitStack() as stack:
        servers = []
        for name, agents in wanted.items():
            server = stack.enter_context(LocalModelServer(model_alias=LOCAL_MODELS[name], n_ctx=n_ctx))
            servers.append(server)
            for agent in agents:
                agent.set_base_url(server.base_url)
        yield servers
