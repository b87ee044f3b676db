"""Token economy (seed 004): agents mine, stake and burn to validate a ledger, sign three-party contracts,
sell information and pay for their own inference.

- `Engine` (pure rules), `Store` (SQLite, one transaction per turn), `create_app` (FastAPI engine API)
- `EconomyClient`, `Wallet` (signing), `Orchestrator` (turn loop), scripted `STRATEGIES`, `LLMEconomyAgent`
- `LEDGER_TOOLS` / `LedgerToolClient` (OpenAI function-calling tools), `export_interactions` (bridge)
"""

from .bridge import export_interactions, soft_summary
from .client import EconomyAPIError, EconomyClient, Wallet
from .config import ACTION_KINDS, CONTRACT_TYPES, WorldConfig
from .engine import Engine, TurnResult
from .llm_agent import LLMEconomyAgent, parse_actions
from .orchestrator import Orchestrator, RunReport
from .server import create_app
from .store import Store
from .strategies import STRATEGIES, assign_strategies
from .tools import LEDGER_TOOLS, LedgerToolClient

__all__ = [
    "ACTION_KINDS", "CONTRACT_TYPES", "LEDGER_TOOLS", "STRATEGIES", "EconomyAPIError", "EconomyClient",
    "Engine",
    "LLMEconomyAgent", "LedgerToolClient", "Orchestrator", "RunReport", "Store", "TurnResult", "Wallet",
    "WorldConfig", "assign_strategies", "create_app", "export_interactions", "parse_actions", "soft_summary",
]
