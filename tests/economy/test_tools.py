"""The seed's ledger tools in the OpenAI function-calling format, run against the engine."""

from __future__ import annotations

import json
from typing import Any

from distsafe.economy.client import EconomyClient, Wallet
from distsafe.economy.server import create_app
from distsafe.economy.tools import LEDGER_TOOLS, TOOL_NAMES, LedgerToolClient


def test_tool_list_is_openai_function_format() -> None:
    assert TOOL_NAMES == (
        "ledger_transfer",
        "ledger_balance",
        "ledger_propose_contract",
        "ledger_sign_contract",
        "ledger_mine",
    )
    for t in LEDGER_TOOLS:
        assert t["type"] == "function"
        fn = t["function"]
        assert fn["description"] and fn["parameters"]["type"] == "object"
        assert set(fn["parameters"]["required"]) <= set(fn["parameters"]["properties"])
    json.dumps(LEDGER_TOOLS)


async def test_tools_drive_the_ledger(tmp_path) -> None:
    client = EconomyClient(app=create_app(tmp_path / "tools.db", "tok"), admin_token="tok")
    w = {a: Wallet.derive(0, a) for a in ("a0", "a1", "a2")}
    await client.init({a: x.public_key for a, x in w.items()})
    tools = {a: LedgerToolClient(client, x) for a, x in w.items()}
    r = await tools["a0"].call("ledger_mine")
    assert r["ok"] and r["turn"] == 1 and r["blocks"] == [{"kind": "mine", "validator": "a0"}]
    r = await tools["a0"].call("ledger_transfer", '{"to": "a1", "amount": 7, "fee": 1}')
    assert r["ok"] and r["turn"] == 2
    bal = await tools["a0"].call("ledger_balance")
    assert bal["balance"] == 100 + 20 - 8
    # refused: overspend, negative amount, unknown tool, bad JSON -> error results, nothing changes
    cases: list[tuple[str, dict[str, Any] | str, str]] = [
        ("ledger_transfer", {"to": "a1", "amount": 10_000}, "insufficient balance"),
        ("ledger_transfer", {"to": "a1", "amount": -3}, "amount"),
        ("ledger_fly", {}, "unknown tool"),
        ("ledger_transfer", "{oops", "not JSON"),
        (
            "ledger_propose_contract",
            {"type": "loan", "counterparty": "a1", "arbitrator": "a2", "terms": {"maturity": 2}},
            "needs terms",
        ),
    ]
    for name, args, needle in cases:
        r = await tools["a0"].call(name, args)
        assert not r["ok"] and needle in r["error"], (name, r)
    assert (await client.state(agents=False))["turn"] == 2
    r = await tools["a0"].call(
        "ledger_propose_contract",
        {"type": "service", "counterparty": "a1", "arbitrator": "a2", "terms": {"price": 5, "maturity": 2}},
    )
    cid = r["ref"]
    msgs = await tools["a1"].run_tool_calls(
        [
            {
                "id": "call_1",
                "function": {
                    "name": "ledger_sign_contract",
                    "arguments": json.dumps({"contract_id": cid, "role": "counterparty"}),
                },
            }
        ]
    )
    assert msgs[0]["tool_call_id"] == "call_1" and json.loads(msgs[0]["content"])["ok"]
    r = await tools["a2"].call("ledger_sign_contract", {"contract_id": cid, "role": "arbitrator"})
    assert r["ok"] and (await client.contract(cid))["status"] == "active"
    r = await tools["a2"].call("ledger_sign_contract", {"contract_id": cid, "role": "arbitrator"})
    assert not r["ok"] and "not open for signatures" in r["error"]
    await client.aclose()
