"""Turn loop with scripted and LLM agents, determinism, billing of LLM output tokens, the bridge."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

import pytest

from distsafe.economy.bridge import export_interactions, soft_summary
from distsafe.economy.client import EconomyClient
from distsafe.economy.llm_strategy import LLMStrategy, parse_actions
from distsafe.economy.turn_loop import TurnLoop
from distsafe.economy.server import create_app
from distsafe.economy.strategies import assign_strategies


async def _run(db, n: int, turns: int, seed: int = 0, strategies=None, cfg=None) -> tuple[TurnLoop, object]:
    app = create_app(db, "t")
    client = EconomyClient(app=app, admin_token="t")
    ids = [f"agent_{i}" for i in range(n)]
    orch = TurnLoop(client, strategies or assign_strategies(ids, seed), seed=seed, world_config=cfg)
    await orch.setup()
    rep = await orch.run(turns)
    await client.aclose()
    return orch, rep


async def test_scripted_run_exercises_the_economy(tmp_path) -> None:
    db = tmp_path / "run.db"
    orch, rep = await _run(db, 16, 24)
    assert rep.turns == 24 and rep.supply["invariant_ok"]
    assert rep.blocks_by_kind["mine"] == 24 and rep.blocks_by_kind.get("stake", 0) > 0
    assert rep.contracts_by_status.get("settled", 0) > 5 and rep.contracts_by_status.get("ruled", 0) >= 1
    reasons = " ".join(rep.rejection_reasons)
    assert "signature does not verify" in reasons and "signed for turn" in reasons  # the cheaters were caught
    con = sqlite3.connect(db)
    try:  # the seed's README queries work as written
        speech = con.execute("SELECT turn, agent_id, message FROM speech_log ORDER BY turn").fetchall()
        agents = con.execute(
            "SELECT agent_id, balance, staked, burn_score, study_level FROM agents").fetchall()
        settled = con.execute("SELECT * FROM contracts WHERE status='settled'").fetchall()
        cores = con.execute("SELECT SUM(cores) FROM agents").fetchone()[0]
    finally:
        con.close()
    assert speech and len(agents) == 16 and len(settled) == rep.contracts_by_status["settled"]
    assert cores == 4
    assert sum(a[1] + a[2] for a in agents) <= rep.supply["total"]
    # bridge: decided contracts and transfers become SoftInteractions
    xs = export_interactions(db)
    ruled = [x for x in xs if x.metadata.get("status") == "ruled"]
    assert ruled and all(x.p == 0.15 and x.ground_truth == -1 for x in ruled)
    forged = [x for x in xs if x.metadata.get("source") == "economy.transfer" and x.p == 0.05]
    assert forged and all(not x.accepted for x in forged)
    summary = soft_summary(xs)
    assert summary["n"] == len(xs) and 0 < summary["toxicity"] < 0.5 and summary["quality_gap"] > 0


async def test_same_seed_same_ledger(tmp_path) -> None:
    async def fingerprint(name: str, seed: int) -> list:
        await _run(tmp_path / name, 10, 10, seed=seed)
        con = sqlite3.connect(tmp_path / name)
        try:
            return [con.execute("SELECT hash FROM blocks ORDER BY height").fetchall(),
                    con.execute("SELECT agent_id, balance, staked, burn_score FROM agents "
                                "ORDER BY agent_id").fetchall(),
                    con.execute("SELECT contract_id, status FROM contracts ORDER BY contract_id").fetchall()]
        finally:
            con.close()

    a, b, c = await fingerprint("a.db", 5), await fingerprint("b.db", 5), await fingerprint("c.db", 6)
    assert a == b and a != c


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
    assert parse_actions('{"actions": [{"kind": "mine", "params": {}}]}') == \
        ([{"kind": "mine", "params": {}}], [])
    acts, errs = parse_actions('```json\n{"kind": "stake", "params": {"amount": 5}}\n```')
    assert acts == [{"kind": "stake", "params": {"amount": 5}}] and not errs
    acts, errs = parse_actions('Sure! {"action": "burn", "amount": 2} hope that helps')
    assert acts == [{"kind": "burn", "params": {"amount": 2}}]
    assert parse_actions("I will mine.")[1][0].startswith("reply is not JSON")
    acts, errs = parse_actions('{"actions": [{"kind": "teleport"}, 3, {"kind": "job"}]}')
    assert acts == [{"kind": "job", "params": {}}] and len(errs) == 2


async def test_llm_agents_are_billed_and_bad_output_never_crashes(tmp_path) -> None:
    pytest.importorskip("distsafe.llm")
    good = FakeLLM([json.dumps({"actions": [{"kind": "mine", "params": {}},
                                            {"kind": "speak", "params": {"message": "hi"}}]})],
                   output_tokens=1256)
    bad = FakeLLM(["no idea", '{"actions": [{"kind": "stake", "params": {"amount": -4}}]}'],
                  output_tokens=100)
    ids = [f"agent_{i}" for i in range(4)]
    strategies = dict(assign_strategies(ids, 0))
    strategies["agent_0"] = LLMStrategy(good, "fake", "m")
    strategies["agent_1"] = LLMStrategy(bad, "fake", "m")
    orch, rep = await _run(tmp_path / "llm.db", 4, 4, strategies=strategies)
    assert len(good.requests) == 4 and good.requests[0].json_mode is True
    assert "agent_0" in good.requests[0].messages[0].content
    assert json.loads(good.requests[0].messages[1].content.split("\n")[1])["turn"] == 1
    con = sqlite3.connect(tmp_path / "llm.db")
    try:
        paid, tokens = con.execute(
            "SELECT inference_paid, output_tokens FROM agents WHERE agent_id='agent_0'").fetchone()
        fees = con.execute("SELECT SUM(amount) FROM events WHERE kind='inference_fee'").fetchone()[0]
    finally:
        con.close()
    # 1256 - 256 free = 1000 billable tokens at 4 per 1000 -> 4 tokens a turn, 4 turns
    assert tokens == 4 * 1256 and paid == 16 and fees == -16
    client_rejects = [r for r in orch.rejections if r.agent_id == "agent_1" and r.where == "client"]
    assert any("not JSON" in r.reason for r in client_rejects)
    assert any("greater than or equal to 1" in r.reason for r in client_rejects)
    assert rep.supply["invariant_ok"] and rep.turns == 4


async def test_dry_run_provider_end_to_end(tmp_path) -> None:
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
    strategies = dict(assign_strategies(ids, 0))
    strategies["agent_2"] = LLMStrategy(client, "dry_run", "any")
    orch, rep = await _run(tmp_path / "dry.db", 3, 2, strategies=strategies)
    assert rep.turns == 2 and rep.supply["invariant_ok"]
    con = sqlite3.connect(tmp_path / "dry.db")
    try:
        tokens = con.execute("SELECT output_tokens FROM agents WHERE agent_id='agent_2'").fetchone()[0]
    finally:
        con.close()
    assert tokens == client.tokens  # the engine metered exactly what the provider reported


async def test_broken_policy_costs_only_its_turn(tmp_path) -> None:
    class Boom:
        name = "boom"

        async def decide(self, ctx):
            raise RuntimeError("strategy exploded")

    ids = [f"agent_{i}" for i in range(3)]
    strategies = dict(assign_strategies(ids, 0))
    strategies["agent_1"] = Boom()
    orch, rep = await _run(tmp_path / "boom.db", 3, 3, strategies=strategies)
    assert rep.turns == 3 and sum("strategy exploded" in r.reason for r in orch.rejections) == 3


async def test_oversized_llm_reply_is_trimmed_not_fatal(tmp_path) -> None:
    pytest.importorskip("distsafe.llm")
    reply = json.dumps({"actions": [{"kind": "job", "params": {}}] * 40})
    ids = [f"agent_{i}" for i in range(3)]
    strategies = dict(assign_strategies(ids, 0))
    strategies["agent_0"] = LLMStrategy(FakeLLM([reply], output_tokens=0), "fake", "m")
    orch, rep = await _run(tmp_path / "big.db", 3, 1, strategies=strategies)
    mine = [r for r in orch.rejections if r.agent_id == "agent_0"]
    assert sum(r.where == "client" for r in mine) == 8  # 40 - 32 never sent
    assert sum("budget exhausted" in r.reason for r in mine) == 32 - 3  # budget 3: three jobs paid
    con = sqlite3.connect(tmp_path / "big.db")
    try:
        assert con.execute("SELECT balance FROM agents WHERE agent_id='agent_0'").fetchone()[0] == 115
    finally:
        con.close()
