"""The action schema: derived from `Action`, the prompt's view unchanged, and every answer the per-
observation schema admits is an action the parser accepts (hypothesis)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.agents.base import Action, ActionType, PeerInfo, VisiblePost, VisibleTask
from distsafe.agents.llm.action_schema import (
    ACTION_SCHEMA,
    ENGINE_FIELDS,
    FIELD_DOCS,
    REQUIRED,
    ActionAnswer,
    action_schema,
    answer_fields,
)
from distsafe.agents.llm.parsing import validate_action
from distsafe.agents.llm.prompts import allowed_actions
from distsafe.testing import sample_observation

#: The schema the full prompt quoted before it was derived (its bytes are in every recorded request).
PROMPT_SCHEMA_BEFORE = (
    '{"properties":{"action_type":{"enum":["noop","post","reply","vote","propose_interaction","claim_task"]},'
    '"content":{"description":"text of a post or reply; optional note on a proposal","type":"string"},'
    '"effort":{"description":"how much real work you put in (chance the outcome is truly good)",'
    '"maximum":1,"minimum":0,"type":"number"},"interaction_type":{"enum":["reply","vote","trade",'
    '"collaboration"]},"reasoning":{"description":"one short sentence, kept in the log","type":"string"},'
    '"signal_boost":{"description":"how much you inflate visible signals regardless of real quality",'
    '"maximum":1,"minimum":0,"type":"number"},"target_id":{"description":"post_id (reply, vote), peer '
    'agent_id (propose_interaction), task_id (claim_task)","type":"string"},"tau":{"description":'
    '"transfer you pay the counterparty (negative: you ask for one)","type":"number"},"vote":{"enum":'
    '[1,-1]}},"required":["action_type"],"type":"object"}'
)


def test_generic_schema_is_derived_and_unchanged():
    assert json.dumps(ACTION_SCHEMA, sort_keys=True, separators=(",", ":")) == PROMPT_SCHEMA_BEFORE


def test_every_action_field_is_in_the_answer_model():
    model_fields = [f.name for f in dataclasses.fields(Action) if f.name not in ENGINE_FIELDS]
    assert answer_fields() == [*model_fields, "reasoning"]
    assert set(FIELD_DOCS) == set(answer_fields()) == set(ActionAnswer.model_fields)
    assert set(REQUIRED) == set(ActionType)
    for fields in REQUIRED.values():
        assert set(fields) <= set(answer_fields())


def fill(variant: dict[str, Any], pick: int, unit: float) -> dict[str, Any]:
    """An instance of one variant: enum values by `pick`, numbers at `unit` of their range."""
    out: dict[str, Any] = {}
    for name, prop in variant["properties"].items():
        if "enum" in prop:
            out[name] = prop["enum"][pick % len(prop["enum"])]
        elif prop.get("type") == "string":
            out[name] = "x" * max(prop.get("minLength", 0), min(prop.get("maxLength", 10), 7))
        else:
            lo, hi = prop.get("minimum", 0.0), prop.get("maximum", 1.0)
            out[name] = lo + unit * (hi - lo)
    return out


@settings(max_examples=80, deadline=None)
@given(
    n_posts=st.integers(0, 4),
    n_peers=st.integers(0, 3),
    n_tasks=st.integers(0, 2),
    posts_left=st.integers(0, 2),
    votes_left=st.integers(0, 2),
    interactions_left=st.integers(0, 1),
    resources=st.floats(0.0, 500.0),
    max_posts=st.integers(0, 3),
    pick=st.integers(0, 10),
    unit=st.floats(0.0, 1.0),
)
def test_every_answer_in_the_schema_is_a_valid_action(
    n_posts, n_peers, n_tasks, posts_left, votes_left, interactions_left, resources, max_posts, pick, unit
):
    posts = [
        VisiblePost(post_id=f"p{i}", author_id="h1", content="c", votes=0, replies=0, age=1, score=0.5)
        for i in range(n_posts)
    ]
    obs = sample_observation(
        "me", posts=posts, resources=resources, posts_left=posts_left, votes_left=votes_left,
        interactions_left=interactions_left,
    )  # fmt: skip
    obs = dataclasses.replace(
        obs,
        visible_posts=tuple(posts),
        peers=tuple(PeerInfo(agent_id=f"a{i}", reputation=0.0) for i in range(n_peers))
        + (PeerInfo(agent_id="me", reputation=0.0),),
        available_tasks=tuple(
            VisibleTask(task_id=f"t{i}", bounty=1.0, deadline_epoch=3, difficulty=0.5) for i in range(n_tasks)
        ),
    )
    schema = action_schema(obs, allowed_actions(obs), max_posts)
    kinds = [v["properties"]["action_type"]["enum"][0] for v in schema["anyOf"]]
    assert kinds[0] == "noop" and set(kinds) <= set(allowed_actions(obs))
    for variant in schema["anyOf"]:
        answer = fill(variant, pick, unit)
        action = validate_action(answer, obs, "me", max_posts)
        assert action.action_type.value == answer["action_type"]
        assert action.target_id == answer.get("target_id", "")
