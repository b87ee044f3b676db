"""Turn a model's answer into an `Action`: extract one JSON object, check it against the schema and the
observation (ids visible, budgets left), and convert. Every problem becomes a message in
`ActionParseError.errors`, which the agent sends back in its single repair request.
"""

from __future__ import annotations

import math
from typing import Any

from distsafe.agents.base import Action, ActionType, Observation
from distsafe.agents.llm.action_schema import ACTION_TYPES
from distsafe.agents.llm.prompts import allowed_actions
from distsafe.llm.json_extract import JSONExtractError, extract_json_object
from distsafe.models.interaction import InteractionType

MAX_CONTENT_CHARS = 1000
MAX_REASONING_CHARS = 500


class ActionParseError(ValueError):
    def __init__(self, errors: list[str]):
        self.errors = list(errors) or ["invalid answer"]
        super().__init__("; ".join(self.errors))


def extract_json(text: str) -> dict[str, Any]:
    """The JSON object in `text` (see `distsafe.llm.json_extract`), errors as `ActionParseError`."""
    try:
        return extract_json_object(text)
    except JSONExtractError as exc:
        raise ActionParseError([str(exc)]) from None


def _brief(value: Any, limit: int = 80) -> str:
    """A short repr of a model-supplied value for an error message (never fails: a structure nested too
    deeply or an integer too long to print is named by its type)."""
    try:
        text = repr(value)
    except (RecursionError, ValueError):
        return f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _number(
    data: dict[str, Any],
    key: str,
    default: float,
    errors: list[str],
    lo: float | None = None,
    hi: float | None = None,
) -> float:
    if key not in data or data[key] is None:
        return default
    v = data[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        if isinstance(v, str):
            try:
                v = float(v)
            except ValueError:
                errors.append(f"{key} must be a number, got {_brief(data[key])}")
                return default
        else:
            errors.append(f"{key} must be a number, got {type(v).__name__}")
            return default
    try:
        v = float(v)
    except OverflowError:  # an integer beyond float range
        v = math.inf
    if not math.isfinite(v):
        errors.append(f"{key} must be finite")
        return default
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        errors.append(f"{key} must be in [{lo}, {hi}], got {v}")
        return default
    return v


def _string(data: dict[str, Any], key: str, errors: list[str], required: bool) -> str:
    v = data.get(key)
    if v is None or v == "":
        if required:
            errors.append(f"{key} is required for this action")
        return ""
    if not isinstance(v, str):
        if isinstance(v, (int, float)) and not isinstance(v, bool) and key == "target_id" and abs(v) < 1e18:
            return str(v)
        errors.append(f"{key} must be a string, got {type(v).__name__}")
        return ""
    return v


def validate_action(
    data: dict[str, Any], obs: Observation, agent_id: str, max_posts_in_prompt: int | None = None
) -> Action:
    """Check `data` against the schema and the observation; return the `Action` or raise."""
    errors: list[str] = []
    raw_type = data.get("action_type")
    if not isinstance(raw_type, str) or raw_type.strip().lower() not in ACTION_TYPES:
        raise ActionParseError(
            [f"action_type must be one of {', '.join(ACTION_TYPES)}, got {_brief(raw_type)}"]
        )
    atype = ActionType(raw_type.strip().lower())
    allowed = allowed_actions(obs)
    if atype.value not in allowed:
        raise ActionParseError([f"action {atype.value} is not allowed now; allowed: {', '.join(allowed)}"])
    posts = obs.visible_posts if max_posts_in_prompt is None else obs.visible_posts[:max_posts_in_prompt]
    post_ids = {p.post_id for p in posts}
    peer_ids = {p.agent_id for p in obs.peers if p.agent_id != obs.agent_id}
    task_ids = {t.task_id for t in obs.available_tasks}

    content = _string(data, "content", errors, required=atype in (ActionType.POST, ActionType.REPLY))
    if content and not content.strip() and atype in (ActionType.POST, ActionType.REPLY):
        errors.append("content must not be blank")
    content = content[:MAX_CONTENT_CHARS]
    needs_target = atype in (
        ActionType.REPLY,
        ActionType.VOTE,
        ActionType.PROPOSE_INTERACTION,
        ActionType.CLAIM_TASK,
    )
    target = _string(data, "target_id", errors, required=needs_target) if needs_target else ""
    if target:
        valid, what = {
            ActionType.REPLY: (post_ids, "a visible post_id"),
            ActionType.VOTE: (post_ids, "a visible post_id"),
            ActionType.PROPOSE_INTERACTION: (peer_ids, "a peer agent_id"),
            ActionType.CLAIM_TASK: (task_ids, "an open task_id"),
        }[atype]
        if target not in valid:
            errors.append(
                f"target_id {_brief(target)} is not {what}; valid: {', '.join(sorted(valid)) or 'none'}"
            )

    vote = 0
    if atype == ActionType.VOTE:
        v = data.get("vote")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v not in (1, -1):
            errors.append(f"vote must be 1 or -1, got {_brief(v)}")
        else:
            vote = int(v)

    itype = InteractionType.COLLABORATION
    tau, effort, boost = 0.0, 1.0, 0.0
    if atype in (ActionType.PROPOSE_INTERACTION, ActionType.CLAIM_TASK):
        effort = _number(data, "effort", 1.0, errors, 0.0, 1.0)
        boost = _number(data, "signal_boost", 0.0, errors, 0.0, 1.0)
    if atype == ActionType.PROPOSE_INTERACTION:
        raw_it = data.get("interaction_type", InteractionType.COLLABORATION.value)
        try:
            if not isinstance(raw_it, str):
                raise ValueError(raw_it)
            itype = InteractionType(raw_it.strip().lower())
        except ValueError:
            errors.append(
                f"interaction_type must be one of {', '.join(t.value for t in InteractionType)}, "
                f"got {_brief(raw_it)}"
            )
        cap = max(0.0, float(obs.state.resources))
        tau = _number(data, "tau", 0.0, errors, -cap, cap)

    reasoning = data.get("reasoning", "")
    if errors:
        raise ActionParseError(errors)
    meta: dict[str, Any] = {}
    if isinstance(reasoning, str) and reasoning:
        meta["reasoning"] = reasoning[:MAX_REASONING_CHARS]
    ignored = sorted(
        k
        for k in data
        if k
        not in {
            "action_type",
            "content",
            "target_id",
            "vote",
            "interaction_type",
            "tau",
            "effort",
            "signal_boost",
            "reasoning",
        }
    )
    if ignored:
        meta["ignored_keys"] = ignored
    return Action(
        action_type=atype,
        agent_id=agent_id,
        content=content,
        target_id=target,
        vote=vote,
        interaction_type=itype,
        tau=tau,
        effort=effort,
        signal_boost=boost,
        metadata=meta,
    )


def parse_action(
    text: str, obs: Observation, agent_id: str, max_posts_in_prompt: int | None = None
) -> Action:
    return validate_action(extract_json(text), obs, agent_id, max_posts_in_prompt)
