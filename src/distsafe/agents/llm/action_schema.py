"""The one action schema of the LLM agents, derived from the engine's `Action` dataclass.

`ActionAnswer` is a pydantic model built from the fields of `distsafe.agents.base.Action` (all but the
engine's own `agent_id` and `metadata`, plus the model's optional `reasoning`), with the descriptions and
bounds of `FIELD_DOCS`; a field added to `Action` appears here without an edit (a test checks that
`FIELD_DOCS` covers it). Two views are generated from it, never written by hand:

- `ACTION_SCHEMA`: the generic schema quoted in the full system prompt (every field, only `action_type`
  required). Its bytes are part of every recorded request, so its form is the compact one prompts have
  always used (`{"enum": ...}` for choices; type, bounds and description otherwise).
- `action_schema(obs)`: the schema an answer to one observation must satisfy, sent to providers that
  enforce a schema (`distsafe.llm` sends it in each provider's own form). It is a union (`anyOf`) with one
  variant per action allowed now; each variant lists exactly the fields that action needs (`REQUIRED`), all
  required, no others, with the ids valid for it as an `enum` (visible posts for reply/vote, peers for a
  proposal, open tasks for a claim), `tau` within the agent's resources, `effort`/`signal_boost` in [0, 1]
  and text bounded by `content_max_chars`. An answer in this schema is an action `parsing` accepts, except
  where a server's grammar cannot enforce a bound (llama.cpp enforces no numeric ranges): the agent still
  validates every answer.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model

from distsafe.agents.base import Action, ActionType, Observation
from distsafe.models.interaction import InteractionType

#: `Action` fields the model never writes (the engine sets them).
ENGINE_FIELDS = frozenset({"agent_id", "metadata"})
#: Answer-only field: the model's one-sentence reason (kept in `action.metadata`).
REASONING = "reasoning"

#: Per field of an answer: (description or None, extra pydantic `Field` arguments, annotation override).
FIELD_DOCS: dict[str, tuple[str | None, dict[str, Any], Any]] = {
    "action_type": (None, {}, None),
    "content": ("text of a post or reply; optional note on a proposal", {}, None),
    "target_id": (
        "post_id (reply, vote), peer agent_id (propose_interaction), task_id (claim_task)",
        {},
        None,
    ),
    "vote": (None, {}, Literal[1, -1]),
    "interaction_type": (None, {}, None),
    "tau": ("transfer you pay the counterparty (negative: you ask for one)", {}, None),
    "effort": (
        "how much real work you put in (chance the outcome is truly good)",
        {"ge": 0, "le": 1},
        None,
    ),
    "signal_boost": (
        "how much you inflate visible signals regardless of real quality",
        {"ge": 0, "le": 1},
        None,
    ),
    REASONING: ("one short sentence, kept in the log", {}, str),
}

#: The fields each action needs, in the order a constrained answer writes them.
REQUIRED: dict[ActionType, tuple[str, ...]] = {
    ActionType.NOOP: (),
    ActionType.POST: ("content",),
    ActionType.REPLY: ("target_id", "content"),
    ActionType.VOTE: ("target_id", "vote"),
    ActionType.PROPOSE_INTERACTION: ("target_id", "interaction_type", "tau", "effort", "signal_boost"),
    ActionType.CLAIM_TASK: ("target_id", "effort", "signal_boost"),
}

#: Longest `content` a constrained answer may write (a small model's text then ends inside `max_tokens`).
DEFAULT_CONTENT_MAX_CHARS = 200


def answer_fields() -> list[str]:
    """The answer's fields in order: `Action`'s model-written fields, then `reasoning`."""
    return [f.name for f in dataclasses.fields(Action) if f.name not in ENGINE_FIELDS] + [REASONING]


def _build_model() -> type[BaseModel]:
    hints = get_type_hints(Action)
    defaults = {f.name: f.default for f in dataclasses.fields(Action)}
    spec: dict[str, Any] = {}
    for name in answer_fields():
        if name not in FIELD_DOCS:
            raise RuntimeError(f"Action field {name!r} has no entry in action_schema.FIELD_DOCS")
        description, extra, override = FIELD_DOCS[name]
        annotation = override if override is not None else hints[name]
        default = defaults.get(name, "")
        if name == "action_type":
            spec[name] = (annotation, Field(..., **extra))
        elif name == "vote":
            spec[name] = (annotation | None, Field(None, description=description, **extra))
        else:
            spec[name] = (annotation, Field(default, description=description, **extra))
    model: type[BaseModel] = create_model("ActionAnswer", __config__=ConfigDict(extra="ignore"), **spec)
    return model


#: The answer model (pydantic), built from `Action`.
ActionAnswer: type[BaseModel] = _build_model()


def _resolve(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in prop:
        return {**defs[prop["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in prop.items() if k != "$ref"}}
    if "anyOf" in prop:  # `X | None`: the non-null branch
        branches = [b for b in prop["anyOf"] if b.get("type") != "null"]
        if len(branches) == 1:
            return {**_resolve(branches[0], defs), "description": prop.get("description")}
    return prop


def property_schema(name: str) -> dict[str, Any]:
    """One field's compact schema: `{"enum": [...]}` for a choice, else type, bounds and description."""
    full = ActionAnswer.model_json_schema()
    prop = _resolve(full["properties"][name], full.get("$defs", {}))
    if "enum" in prop:
        return {"enum": list(prop["enum"])}
    out: dict[str, Any] = {k: prop[k] for k in ("type", "minimum", "maximum") if k in prop}
    if prop.get("description"):
        out["description"] = prop["description"]
    return out


def _generic_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["action_type"],
        "properties": {name: property_schema(name) for name in answer_fields()},
    }


#: The generic schema of an answer (the full system prompt quotes it).
ACTION_SCHEMA: dict[str, Any] = _generic_schema()
#: The action types, in `ActionType` order.
ACTION_TYPES: tuple[str, ...] = tuple(t.value for t in ActionType)


def _valid_ids(obs: Observation, max_posts_in_prompt: int | None) -> dict[ActionType, list[str]]:
    posts = obs.visible_posts if max_posts_in_prompt is None else obs.visible_posts[:max_posts_in_prompt]
    post_ids = [p.post_id for p in posts]
    return {
        ActionType.REPLY: post_ids,
        ActionType.VOTE: post_ids,
        ActionType.PROPOSE_INTERACTION: [p.agent_id for p in obs.peers if p.agent_id != obs.agent_id],
        ActionType.CLAIM_TASK: [t.task_id for t in obs.available_tasks],
    }


def _field(
    name: str, kind: ActionType, ids: dict[ActionType, list[str]], cap: float, content_max: int
) -> dict[str, Any]:
    if name == "target_id":
        return {"type": "string", "enum": ids[kind]}
    if name == "content":
        return {"type": "string", "minLength": 1, "maxLength": content_max}
    if name == "tau":
        return {"type": "number", "minimum": -cap, "maximum": cap}
    if name == "interaction_type":
        return {"type": "string", "enum": [t.value for t in InteractionType]}
    prop = property_schema(name)
    prop.pop("description", None)
    return prop


def action_schema(
    obs: Observation,
    allowed: list[str],
    max_posts_in_prompt: int | None = None,
    content_max_chars: int = DEFAULT_CONTENT_MAX_CHARS,
) -> dict[str, Any]:
    """The schema of a valid answer to `obs`: one variant per action in `allowed` (that has valid ids)."""
    ids = _valid_ids(obs, max_posts_in_prompt)
    cap = math.floor(max(0.0, float(obs.state.resources)) * 100) / 100  # rounded down: never beyond it
    variants = []
    for value in allowed:
        kind = ActionType(value)
        if kind in ids and not ids[kind]:
            continue
        props: dict[str, Any] = {"action_type": {"type": "string", "enum": [kind.value]}}
        for name in REQUIRED[kind]:
            props[name] = _field(name, kind, ids, cap, content_max_chars)
        variants.append(
            {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}
        )
    return {"anyOf": variants}


def schema_json(schema: dict[str, Any]) -> str:
    """Canonical JSON of a schema (sorted keys, no spaces): how it is hashed and recorded."""
    return json.dumps(schema, sort_keys=True, separators=(",", ":"))
