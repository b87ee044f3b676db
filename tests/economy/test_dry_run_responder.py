"""The dry-run provider's economy responder: valid actions from the agent's own prompt, None for others."""

from __future__ import annotations

import json
from typing import Any

import pytest

from distsafe.economy.actions import PARAM_MODELS
from distsafe.economy.context import AgentContext
from distsafe.economy.dry_run_responder import economy_responder
from distsafe.economy.llm_strategy import LLMStrategy, parse_actions
from distsafe.llm import ChatMessage, LLMRequest


def _ctx(turn: int, balance: int, contracts: list[dict] | None = None) -> AgentContext:
    cfg = {
        "mine_cost": 2,
        "action_budget": 3,
        "mine_block_reward": 20,
        "study_cost": 10,
        "core_auction_turn": 1,
        "commons_threshold": 256,
        "stake_block_reward": 8,
        "job_wage": 5,
        "inference_price_per_1k": 4,
        "arbitrator_collateral": 10,
    }
    me = {
        "agent_id": "agent_0",
        "balance": balance,
        "staked": 0,
        "burn_score": 0.0,
        "study_level": 0,
        "cores": 0,
        "blocks_won": 0,
        "stake_locked_until": 0,
    }
    return AgentContext(
        turn=turn,
        agent_id="agent_0",
        me=me,
        agents={"agent_0": me, "agent_1": {}},
        contracts=contracts or [],
        listings=[],
        speech=[],
        tip_kind="mine",
        config=cfg,
    )


def _request(ctx: AgentContext) -> LLMRequest:
    msgs = LLMStrategy(None, "dry_run", "m").messages(ctx)
    return LLMRequest(
        provider="dry_run",
        model="m",
        messages=tuple(ChatMessage(role=r, content=t) for r, t in msgs),
        json_mode=True,
    )


@pytest.mark.parametrize("turn, balance", [(1, 100), (2, 100), (5, 3), (9, 400)])
def test_answers_are_valid_actions_within_the_budget(turn, balance) -> None:
    actions, errors = parse_actions(economy_responder(_request(_ctx(turn, balance))) or "")
    assert actions and not errors
    for a in actions:
        PARAM_MODELS[a["kind"]].model_validate(a["params"])
    cost = sum({"mine": 2, "speak": 0}.get(a["kind"], 1) for a in actions)
    assert cost <= 3
    assert any(a["kind"] == "bid_core" for a in actions) == (turn == 1)


def test_contract_duties_come_first() -> None:
    c: dict[str, Any] = {
        "contract_id": "c1",
        "type": "service",
        "proposer": "agent_1",
        "counterparty": "agent_2",
        "arbitrator": "agent_0",
        "status": "proposed",
        "terms": {},
        "confirmations": [],
        "maturity_turn": None,
        "signed": ["proposer"],
    }
    actions, _ = parse_actions(economy_responder(_request(_ctx(3, 50, [c]))) or "")
    assert actions[0] == {"kind": "sign_contract", "params": {"contract_id": "c1", "role": "arbitrator"}}


def test_other_prompts_get_the_generic_answer() -> None:
    req = LLMRequest(provider="dry_run", model="m", messages=(ChatMessage(role="user", content="hi"),))
    assert economy_responder(req) is None
    bad = LLMRequest(
        provider="dry_run",
        model="m",
        messages=(ChatMessage(role="user", content="World state:\n{oops\nYour actions (JSON):"),),
    )
    assert economy_responder(bad) is None
    assert json.loads(economy_responder(_request(_ctx(2, 10))) or "{}")["actions"]
