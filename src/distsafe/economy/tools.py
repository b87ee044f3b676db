"""The seed's five ledger tools as an OpenAI function-calling tool list, and a client that runs them.

Each state-changing tool call signs one action with the agent's wallet and submits it as its own turn
(`POST /turn`, `on_invalid="fail"`), as the seed describes: a refused action comes back as an error
result and changes nothing. `ledger_balance` reads `GET /agent/{id}`.
"""

from __future__ import annotations

import json
from typing import Any

from distsafe.economy.client import EconomyAPIError, EconomyClient, Wallet

_TERMS = {
    "type": "object",
    "description": "maturity (turns) plus the type's fields: forward give+receive, loan principal+repay, "
    "service price, insurance premium+coverage, information_sale listing_id+price, "
    "pool share_bps; optional collateral for the arbitrator.",
    "properties": {
        "maturity": {"type": "integer", "minimum": 1},
        "collateral": {"type": "integer", "minimum": 0},
        "give": {"type": "integer", "minimum": 0},
        "receive": {"type": "integer", "minimum": 0},
        "principal": {"type": "integer", "minimum": 1},
        "repay": {"type": "integer", "minimum": 1},
        "price": {"type": "integer", "minimum": 1},
        "premium": {"type": "integer", "minimum": 1},
        "coverage": {"type": "integer", "minimum": 1},
        "listing_id": {"type": "string"},
        "share_bps": {"type": "integer", "minimum": 1, "maximum": 5000},
    },
    "required": ["maturity"],
    "additionalProperties": False,
}


def _fn(name: str, description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": False,
            },
        },
    }


LEDGER_TOOLS: list[dict[str, Any]] = [
    _fn(
        "ledger_transfer",
        "Send tokens to another agent; the fee goes to the next block's producer.",
        {
            "to": {"type": "string"},
            "amount": {"type": "integer", "minimum": 1},
            "fee": {"type": "integer", "minimum": 0, "default": 0},
        },
        ["to", "amount"],
    ),
    _fn("ledger_balance", "Your balance, stake, burn score, study level and open contracts.", {}, []),
    _fn(
        "ledger_propose_contract",
        "Propose a three-signature contract (you, counterparty, arbitrator).",
        {
            "type": {
                "type": "string",
                "enum": ["forward", "loan", "service", "insurance", "information_sale", "pool"],
            },
            "counterparty": {"type": "string"},
            "arbitrator": {"type": "string"},
            "terms": _TERMS,
        },
        ["type", "counterparty", "arbitrator", "terms"],
    ),
    _fn(
        "ledger_sign_contract",
        "Sign a contract that names you as counterparty or arbitrator.",
        {
            "contract_id": {"type": "string"},
            "role": {"type": "string", "enum": ["counterparty", "arbitrator"]},
        },
        ["contract_id", "role"],
    ),
    _fn(
        "ledger_mine", "Spend action budget on proof of work for a chance to win the next mine block.", {}, []
    ),
]
TOOL_NAMES = tuple(t["function"]["name"] for t in LEDGER_TOOLS)


class LedgerToolClient:
    """Executes ledger tool calls for one agent against the engine API."""

    def __init__(self, client: EconomyClient, wallet: Wallet) -> None:
        self.client = client
        self.wallet = wallet
        self._synced = False

    async def _sync(self) -> None:
        if not self._synced:
            me = await self.client.agent(self.wallet.agent_id)
            self.wallet.nonce = max(self.wallet.nonce, int(me["last_nonce"]))
            self._synced = True

    async def _submit(self, build: Any) -> dict[str, Any]:
        for attempt in range(2):  # one retry if another client advanced the turn meanwhile
            turn = (await self.client.state(agents=False))["turn"] + 1
            action = build(turn)
            try:
                res = await self.client.turn(turn, [action], on_invalid="fail")
            except EconomyAPIError as exc:
                if exc.status == 409 and attempt == 0:
                    continue
                return {"ok": False, "error": exc.message}
            r = res["results"][0]
            return {
                "ok": True,
                "turn": res["turn"],
                "ref": r["ref"],
                "blocks": [{"kind": b["kind"], "validator": b["validator"]} for b in res["blocks"]],
            }
        return {"ok": False, "error": "turn kept moving; try again"}

    async def call(self, name: str, arguments: dict[str, Any] | str | None = None) -> dict[str, Any]:
        """Run one tool. Bad arguments or refused actions give {"ok": false, "error": ...}, never raise."""
        parsed: Any = arguments
        if isinstance(arguments, str):
            try:
                parsed = json.loads(arguments or "{}")
            except json.JSONDecodeError as exc:
                return {"ok": False, "error": f"arguments are not JSON: {exc.msg}"}
        if parsed is not None and not isinstance(parsed, dict):
            return {"ok": False, "error": "arguments must be a JSON object"}
        args: dict[str, Any] = dict(parsed or {})
        if name not in TOOL_NAMES:
            return {"ok": False, "error": f"unknown tool {name!r}; tools: {', '.join(TOOL_NAMES)}"}
        try:
            await self._sync()
            w = self.wallet
            if name == "ledger_balance":
                me = await self.client.agent(w.agent_id)
                return {
                    "ok": True,
                    **{
                        k: me[k]
                        for k in (
                            "agent_id",
                            "balance",
                            "staked",
                            "burn_score",
                            "study_level",
                            "cores",
                            "open_contracts",
                        )
                    },
                }
            if name == "ledger_transfer":
                params = {"to": args.get("to"), "amount": args.get("amount"), "fee": args.get("fee", 0)}
                return await self._submit(lambda t: w.action(t, "transfer", params))
            if name == "ledger_mine":
                return await self._submit(lambda t: w.action(t, "mine", {}))
            if name == "ledger_sign_contract":
                c = await self.client.contract(str(args.get("contract_id")))
                return await self._submit(
                    lambda t: w.sign_contract(t, c["contract_id"], str(args.get("role")), c["terms_hash"])
                )
            terms = args.get("terms")
            if not isinstance(terms, dict):
                return {"ok": False, "error": "terms must be an object"}
            return await self._submit(
                lambda t: w.propose(
                    t,
                    str(args.get("type")),
                    str(args.get("counterparty")),
                    str(args.get("arbitrator")),
                    terms,
                )[0]
            )
        except EconomyAPIError as exc:
            return {"ok": False, "error": exc.message}
        except (ValueError, TypeError) as exc:
            return {"ok": False, "error": str(exc).splitlines()[0]}

    async def run_tool_calls(self, tool_calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """OpenAI `tool_calls` -> the `role: tool` messages to send back."""
        out = []
        for tc in tool_calls:
            fn = tc.get("function", {})
            result = await self.call(fn.get("name", ""), fn.get("arguments"))
            out.append({"role": "tool", "tool_call_id": tc.get("id", ""), "content": json.dumps(result)})
        return out
