"""Find the one JSON object in a model's answer: the whole text, a fenced block, or the first object in prose.

Shared by every place that reads a model's answer (the sandbox's LLM agents, the economy's LLM agents), so
all of them accept and reject the same answers.
"""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"^```[a-zA-Z0-9_-]*\s*\n?(.*?)\n?```\s*$", re.DOTALL)


class JSONExtractError(ValueError):
    """The answer holds no JSON object; the message says why, for a repair request."""


def extract_json_object(text: str) -> dict[str, Any]:
    """The JSON object in `text`: the whole text, a fenced block, or the first object in prose."""
    s = (text or "").strip()
    if not s:
        raise JSONExtractError("the answer was empty; expected a JSON object")
    m = _FENCE.match(s)
    if m:
        s = m.group(1).strip()
    try:
        value = json.loads(s)
    except (json.JSONDecodeError, RecursionError):
        start = s.find("{")
        if start < 0:
            raise JSONExtractError("the answer is not JSON: no '{' found") from None
        try:
            value, _ = json.JSONDecoder().raw_decode(s[start:])
        except json.JSONDecodeError as exc:
            raise JSONExtractError(f"the answer is not valid JSON: {exc.msg} at char {exc.pos}") from None
        except RecursionError:
            raise JSONExtractError("the answer's JSON is nested too deeply") from None
    if not isinstance(value, dict):
        raise JSONExtractError(f"expected a JSON object, got {type(value).__name__}")
    return value
