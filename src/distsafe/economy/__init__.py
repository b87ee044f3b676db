"""Token economy (seed 004): agents mine, stake and burn to validate a ledger, sign three-party contracts,
sell information and pay for their own inference.

- `Engine` (the ledger's rules), `Store` (SQLite, one transaction per turn), `create_app` (FastAPI engine API)
- `EconomyClient`, `Wallet` (signing), `TurnLoop` (the turn loop), scripted `STRATEGIES`, `LLMStrategy`
- `LEDGER_TOOLS` / `LedgerToolClient` (OpenAI function-calling tools), `export_interactions` (bridge)

The economy has its own names (accounts, a turn loop, ledger actions, strategies), never the core's.
"""

from importlib import import_module
from typing import Any

# Names load on first use, so `distsafe economy --help` (and every other `distsafe` command) does not
# import FastAPI, uvicorn and PyNaCl.
_SOURCES = {
    "export_interactions": "bridge",
    "soft_summary": "bridge",
    "EconomyAPIError": "client",
    "EconomyClient": "client",
    "Wallet": "client",
    "ACTION_KINDS": "config",
    "CONTRACT_TYPES": "config",
    "WorldConfig": "config",
    "Engine": "engine",
    "TurnResult": "engine",
    "LLMStrategy": "llm_strategy",
    "parse_actions": "llm_strategy",
    "Account": "records",
    "TurnLoop": "turn_loop",
    "RunReport": "turn_loop",
    "create_app": "server",
    "Store": "store",
    "STRATEGIES": "strategies",
    "ScriptedStrategy": "strategies",
    "Strategy": "strategies",
    "assign_strategies": "strategies",
    "LEDGER_TOOLS": "tools",
    "LedgerToolClient": "tools",
}


def __getattr__(name: str) -> Any:
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = sorted(_SOURCES)
