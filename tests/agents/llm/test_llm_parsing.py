"""Turning a model's answer into an Action: extraction, schema and observation checks, budgets."""

from __future__ import annotations

import json

import pytest

from distsafe.agents.base import ActionType
from distsafe.agents.llm.parsing import ActionParseError, extract_json, parse_action
from distsafe.models.interaction import InteractionType
from distsafe.testing import sample_observation


@pytest.mark.parametrize(
    "text",
    [
        '{"action_type": "vote", "target_id": "p1", "vote": -1}',
        '```json\n{"action_type": "vote", "target_id": "p1", "vote": -1}\n```',
        'Sure. {"action_type": "vote", "target_id": "p1", "vote": -1} Hope that helps.',
    ],
)
def test_parse_valid_vote_in_several_wrappings(text, observation):
    a = parse_action(text, observation, "llm_1")
    assert (a.action_type, a.target_id, a.vote, a.agent_id) == (ActionType.VOTE, "p1", -1, "llm_1")


def test_parse_interaction_fields(observation):
    a = parse_action(
        json.dumps(
            {
                "action_type": "propose_interaction",
                "target_id": "h1",
                "interaction_type": "trade",
                "tau": 2.5,
                "effort": 0.3,
                "signal_boost": 0.9,
                "reasoning": "why not",
                "mood": "x",
            }
        ),
        observation,
        "llm_1",
    )
    assert a.interaction_type == InteractionType.TRADE
    assert (a.tau, a.effort, a.signal_boost) == (2.5, 0.3, 0.9)
    assert a.metadata == {"reasoning": "why not", "ignored_keys": ["mood"]}


@pytest.mark.parametrize(
    "data, fragment",
    [
        ({"action_type": "dance"}, "action_type must be one of"),
        ({"action_type": "reply", "target_id": "p9", "content": "hi"}, "not a visible post_id"),
        ({"action_type": "vote", "target_id": "p1", "vote": 0}, "vote must be 1 or -1"),
        ({"action_type": "vote", "target_id": "p1", "vote": True}, "vote must be 1 or -1"),
        ({"action_type": "post"}, "content is required"),
        ({"action_type": "post", "content": "   "}, "must not be blank"),
        ({"action_type": "propose_interaction", "target_id": "llm_1"}, "not a peer agent_id"),
        ({"action_type": "propose_interaction", "target_id": "h1", "effort": 1.5}, "effort must be in"),
        ({"action_type": "propose_interaction", "target_id": "h1", "tau": 1e9}, "tau must be in"),
        (
            {"action_type": "propose_interaction", "target_id": "h1", "interaction_type": "heist"},
            "interaction_type",
        ),
        ({"action_type": "claim_task", "target_id": "t7"}, "not an open task_id"),
        (
            {"action_type": "claim_task", "target_id": "t1", "signal_boost": "lots"},
            "signal_boost must be a number",
        ),
    ],
)
def test_parse_rejects_invalid(data, fragment, observation):
    with pytest.raises(ActionParseError) as err:
        parse_action(json.dumps(data), observation, "llm_1")
    assert any(fragment in e for e in err.value.errors), err.value.errors


def test_parse_respects_budgets():
    obs = sample_observation(posts_left=0, votes_left=0, interactions_left=0)
    for action in ("post", "vote", "propose_interaction"):
        with pytest.raises(ActionParseError, match="not allowed now"):
            parse_action(
                json.dumps({"action_type": action, "target_id": "p1", "content": "x", "vote": 1}),
                obs,
                "llm_1",
            )
    assert parse_action('{"action_type": "claim_task", "target_id": "t1"}', obs, "llm_1").target_id == "t1"


@pytest.mark.parametrize("text", ["", "no json here", "[1, 2]", '{"action_type": '])
def test_extract_json_garbage(text):
    with pytest.raises(ActionParseError):
        extract_json(text)


# ---- the agent --------------------------------------------------------------------------------------------


NASTY_ANSWERS = [
    '{"action_type": ' + "[" * 900 + "]" * 900 + "}",
    '{"action_type": "vote", "target_id": "p1", "vote": ' + "9" * 4000 + "}",
    '{"action_type": "claim_task", "target_id": "t1", "effort": ' + "9" * 400 + "}",
    '{"action_type": "propose_interaction", "target_id": ' + "1" * 30 + ', "interaction_type": [1]}',
    '{"action_type": "propose_interaction", "target_id": "h1", "interaction_type": '
    + "[" * 900
    + "]" * 900
    + "}",
    '{"action_type": "post", "content": {"nested": ' + "{}" + "}}",
    '{"action_type": "vote", "target_id": "p1", "vote": 1e999}',
    "[" * 100_000,
]


@pytest.mark.parametrize("answer", NASTY_ANSWERS, ids=range(len(NASTY_ANSWERS)))
def test_a_hostile_answer_is_a_parse_error_never_a_crash(observation, answer):
    with pytest.raises(ActionParseError) as info:
        parse_action(answer, observation, "llm_1")
    assert all(len(e) < 400 for e in info.value.errors)
