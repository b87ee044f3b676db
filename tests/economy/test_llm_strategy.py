"""LLM strategies: reply parsing, billing of output tokens, bad output never crashes a run."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

import pytest

from distsafe.economy.llm_strategy import LLMStrategy, parse_actions
from distsafe.economy.strategies import assign_strategies


@dataclass
class FakeResponse:
    text: str
    output_tokens: int
    input_tokens: int = 10


class FakeLLM:
    """Same `async complete(request)` contract as distsafe.llm providers; replies from a script."""

    def __init__(self, replies: list[str], output_tokens: int) -> None:
        self.replies = replies
        self.output_tokens = output_tokens
        self.requests: list = []

    async def complete(self, request):
        self.requests.append(request)
        return FakeResponse(self.replies[(len(self.requests) - 1) % len(self.replies)], self.output_tokens)


def test_parse_actions_variants() -> None:
    assert parse_actions('{"actions": [{"kind": "mine", "params": {}}]}') == (
        [{"kind": "mine", "params": {}}],
        [],
    )
    acts, errs = parse_actions('```json\n{"kind": "stake", "params": {"amount": 5}}\n```')
    assert acts == [{"kind": "stake", "params": {"amount": 5}}] and not errs
    acts, errs = parse_actions('Sure! {"action": "burn", "amount": 2} hope that helps')
    assert acts == [{"kind": "burn", "params": {"amount": 2}}]
    assert parse_actions("I will mine.")[1][0].startswith("reply is not JSON")
    acts, errs = parse_actions('{"actions": [{"kind": "teleport"}, 3, {"kind": "job"}]}')
    assert acts == [{"kind": "job", "params": {}}] and len(errs) == 2


async def test_llm_strategies_are_billed_and_bad_output_never_crashes(run_economy, tmp_path) -> None:
    pytest.importorskip("distsafe.llm")
    good = FakeLLM(
        [
            json.dumps(
                {"actions": [{"kind": "mine", "params": {}}, {"kind": "speak", "params": {"message": "hi"}}]}
            )
        ],
        output_tokens=1256,
    )
    bad = FakeLLM(
        ["no idea", '{"actions": [{"kind": "stake", "params": {"amount": -4}}]}'], output_tokens=100
    )
    ids = [f"agent_{i}" for i in range(4)]
    strategies: dict[str, Any] = dict(assign_strategies(ids, 0))
    strategies["agent_0"] = LLMStrategy(good, "fake", "m")
    strategies["agent_1"] = LLMStrategy(bad, "fake", "m")
    loop, rep = await run_economy(tmp_path / "llm.db", 4, 4, strategies=strategies)
    assert len(good.requests) == 4 and good.requests[0].json_mode is True
    assert "agent_0" in good.requests[0].messages[0].content
    assert json.loads(good.requests[0].messages[1].content.split("\n")[1])["turn"] == 1
    con = sqlite3.connect(tmp_path / "llm.db")
    try:
        paid, tokens = con.execute(
            "SELECT inference_paid, output_tokens FROM agents WHERE agent_id='agent_0'"
        ).fetchone()
        fees = con.execute("SELECT SUM(amount) FROM events WHERE kind='inference_fee'").fetchone()[0]
    finally:
        con.close()
    # 1256 - 256 free = 1000 billable tokens at 4 per 1000 -> 4 tokens a turn, 4 turns
    assert tokens == 4 * 1256 and paid == 16 and fees == -16
    client_rejects = [r for r in loop.rejections if r.agent_id == "agent_1" and r.where == "client"]
    assert any("not JSON" in r.reason for r in client_rejects)
    assert any("greater than or equal to 1" in r.reason for r in client_rejects)
    assert rep.supply["invariant_ok"] and rep.turns == 4


async def test_dry_run_provider_end_to_end(run_economy, tmp_path) -> None:
    llm = pytest.importorskip("distsafe.llm")

    class Recording:
        def __init__(self, inner) -> None:
            self.inner, self.tokens = inner, 0

        async def complete(self, request):
            resp = await self.inner.complete(request)
            self.tokens += resp.output_tokens
            return resp

    client = Recording(llm.create_provider("dry_run"))
    ids = [f"agent_{i}" for i in range(3)]
    strategies: dict[str, Any] = dict(assign_strategies(ids, 0))
    strategies["agent_2"] = LLMStrategy(client, "dry_run", "any")
    loop, rep = await run_economy(tmp_path / "dry.db", 3, 2, strategies=strategies)
    assert rep.turns == 2 and rep.supply["invariant_ok"]
    con = sqlite3.connect(tmp_path / "dry.db")
    try:
        tokens = con.execute("SELECT output_tokens FROM agents WHERE agent_id='agent_2'").fetchone()[0]
    finally:
        con.close()
    assert tokens == client.tokens  # the engine metered exactly what the provider reported


async def test_oversized_llm_reply_is_trimmed_not_fatal(run_economy, tmp_path) -> None:
    pytest.importorskip("distsafe.llm")
    reply = json.dumps({"actions": [{"kind": "job", "params": {}}] * 40})
    ids = [f"agent_{i}" for i in range(3)]
    strategies: dict[str, Any] = dict(assign_strategies(ids, 0))
    strategies["agent_0"] = LLMStrategy(FakeLLM([reply], output_tokens=0), "fake", "m")
    loop, rep = await run_economy(tmp_path / "big.db", 3, 1, strategies=strategies)
    mine = [r for r in loop.rejections if r.agent_id == "agent_0"]
    assert sum(r.where == "client" for r in mine) == 8  # 40 - 32 never sent
    assert sum("budget exhausted" in r.reason for r in mine) == 32 - 3  # budget 3: three jobs paid
    con = sqlite3.connect(tmp_path / "big.db")
    try:
        assert con.execute("SELECT balance FROM agents WHERE agent_id='agent_0'").fetchone()[0] == 115
    finally:
        con.close()
