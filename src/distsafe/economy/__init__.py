"""Token economy (seed 004): agents mine, stake and burn to validate a ledger, sign three-party contracts,
sell information and pay for their own inference.

- `Engine` (pure rules), `Store` (SQLite, one transaction per turn), `create_app` (FastAPI engine API)
- `EconomyClient`, `Wallet` (signing), `Orchestrator` (turn loop), scripted `STRATEGIES`, `LLMEconomyAgent`
- `LEDGER_TOOLS` / `LedgerToolClient` (OpenAI function-calling tools), `export_interactions` (bridge)
"""

from importlib import import_module
from typing import Any

# Names load on first use, so `distsafe economy --help` (and every other `distsafe` command) does not
# import FastAPI, uvicorn and PyNaCl.
_SOURCES = {
    "export_interactions": "bridge", "soft_summary": "bridge",
    "EconomyAPIError": "client", "EconomyClient": "client", "Wallet": "client",
    "ACTION_KINDS": "config", "CONTRACT_TYPES": "config", "WorldConfig": "config",
    "Engine": "engine", "TurnResult": "engine",
    "LLMEconomyAgent": "llm_agent", "parse_actions": "llm_agent",
    "Orchestrator": "orchestrator", "RunReport": "orchestrator",
    "create_app": "server", "Store": "store",
    "STRATEGIES": "strategies", "assign_strategies": "strategies",
    "LEDGER_TOOLS": "tools", "LedgerToolClient": "tools",
}


def __getattr__(name: str) -> Any:
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ACTION_KINDS", "CONTRACT_TYPES", "LEDGER_TOOLS", "STRATEGIES", "EconomyAPIError", "EconomyClient",
    "Engine",
    "LLMEconomyAgent", "LedgerToolClient", "Orchestrator", "RunReport", "Store", "TurnResult", "Wallet",
    "WorldConfig", "assign_strategies", "create_app", "export_interactions", "parse_actions", "soft_summary",
]
