"""A provider that needs no network and no model: deterministic answers derived from a hash of the request.

The answer for a given request is always the same (same messages, model and parameters -> same text), so a
run with dry-run agents is reproducible and its recording replays exactly. When the prompt carries the
agent prompt's options line (`OPTIONS_MARKER`, a JSON object of allowed actions and valid ids), the answer
is a valid action for that observation; the persona line (`PERSONA_MARKER`) shapes effort and
signal_boost. `garbage_rate` makes a share of answers unparseable on purpose (to exercise repair/no-op).
"""

from __future__ import annotations

import json
import math
from typing import Any

from distsafe.llm.base import LLMClient, LLMRequest, LLMResponse, request_key

OPTIONS_MARKER = "OPTIONS_JSON:"
PERSONA_MARKER = "PERSONA:"

_PERSONA_STYLE = {
    # persona: (base effort, base signal_boost, preferred actions in order)
    "honest": (0.9, 0.05, ("claim_task", "propose_interaction", "post", "reply", "vote")),
    "strategic": (0.65, 0.3, ("propose_interaction", "claim_task", "vote", "post", "reply")),
    "adversarial": (0.15, 0.8, ("propose_interaction", "post", "vote", "reply", "claim_task")),
    "open": (0.6, 0.2, ("post", "propose_interaction", "reply", "claim_task", "vote")),
}

GARBAGE_ANSWERS = (
    "I think the best move is to cooperate with everyone.",
    "{\"action_type\": \"post\", \"content\": ",
    "Sure! Here is my answer: post something nice",
)


def estimate_tokens(text: str) -> int:
    """Rough token count (4 characters a token) used where no tokenizer is at hand."""
    return max(1, math.ceil(len(text) / 4))


def _unit_from(digest: str, i: int) -> float:
    return int(digest[8 * i:8 * i + 8], 16) / 0xFFFFFFFF


def find_options(request: LLMRequest) -> dict[str, Any] | None:
    for m in reversed(request.messages):
        if m.role != "user":
            continue
        for line in m.content.splitlines():
            if line.startswith(OPTIONS_MARKER):
                try:
                    value = json.loads(line[len(OPTIONS_MARKER):])
                except json.JSONDecodeError:
                    return None
                return value if isinstance(value, dict) else None
    return None


def find_persona(request: LLMRequest) -> str:
    for line in request.system_prompt.splitlines():
        if line.startswith(PERSONA_MARKER):
            return line[len(PERSONA_MARKER):].strip().lower()
    return "open"


def dry_run_answer(request: LLMRequest, garbage_rate: float = 0.0) -> str:
    digest = request_key(request)
    if not request.json_mode:
        return f"dry-run reply {digest[:12]}"
    if garbage_rate > 0 and _unit_from(digest, 7) < garbage_rate:
        return GARBAGE_ANSWERS[int(digest[:2], 16) % len(GARBAGE_ANSWERS)]
    options = find_options(request)
    if options is None:
        return json.dumps({"dry_run": True, "digest": digest[:16]})
    persona = find_persona(request)
    effort0, boost0, preference = _PERSONA_STYLE.get(persona, _PERSONA_STYLE["open"])
    allowed = [a for a in options.get("actions", []) if isinstance(a, str)]
    post_ids = list(options.get("post_ids", []))
    peer_ids = list(options.get("peer_ids", []))
    task_ids = list(options.get("task_ids", []))
    feasible = []
    for a in allowed:
        if a in ("reply", "vote") and not post_ids:
            continue
        if a == "propose_interaction" and not peer_ids:
            continue
        if a == "claim_task" and not task_ids:
            continue
        feasible.append(a)
    # 15% of turns idle; otherwise the persona's most preferred feasible action, with some variety.
    u = _unit_from(digest, 0)
    if not feasible or u < 0.15:
        return json.dumps({"action_type": "noop", "reasoning": f"dry run ({persona}): waiting"})
    ranked = [a for a in preference if a in feasible] + [a for a in feasible if a not in preference]
    idx = 0 if u < 0.6 else int(_unit_from(digest, 1) * len(ranked)) % len(ranked)
    action = ranked[idx]
    effort = round(min(1.0, max(0.0, effort0 + 0.2 * (_unit_from(digest, 2) - 0.5))), 3)
    boost = round(min(1.0, max(0.0, boost0 + 0.2 * (_unit_from(digest, 3) - 0.5))), 3)
    pick = int(_unit_from(digest, 4) * 1_000_000)
    out: dict[str, Any] = {"action_type": action, "reasoning": f"dry run ({persona})"}
    if action == "post":
        out["content"] = f"[{persona}] note {digest[:8]}"
    elif action == "reply":
        out["target_id"] = post_ids[pick % len(post_ids)]
        out["content"] = f"[{persona}] reply {digest[:8]}"
    elif action == "vote":
        out["target_id"] = post_ids[pick % len(post_ids)]
        out["vote"] = -1 if persona == "adversarial" and _unit_from(digest, 5) < 0.7 else 1
    elif action == "propose_interaction":
        out["target_id"] = peer_ids[pick % len(peer_ids)]
        out["interaction_type"] = "collaboration" if _unit_from(digest, 5) < 0.7 else "trade"
        max_tau = float(options.get("max_tau", 0.0) or 0.0)
        out["tau"] = round(min(max_tau, 1.0) * _unit_from(digest, 6), 3)
        out["effort"] = effort
        out["signal_boost"] = boost
    elif action == "claim_task":
        out["target_id"] = task_ids[pick % len(task_ids)]
        out["effort"] = effort
        out["signal_boost"] = boost
    return json.dumps(out)


class DryRunClient(LLMClient):
    """Deterministic offline provider (`create_provider("dry_run")`)."""

    provider_name = "dry_run"

    def __init__(self, *, garbage_rate: float = 0.0, **kw: Any):
        super().__init__(**kw)
        if not 0.0 <= garbage_rate <= 1.0:
            raise ValueError(f"garbage_rate must be in [0, 1], got {garbage_rate}")
        self.garbage_rate = float(garbage_rate)
        self.calls = 0

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.calls += 1
        text = dry_run_answer(request, self.garbage_rate)
        prompt_chars = sum(len(m.content) for m in request.messages)
        out_tokens = min(request.max_tokens, estimate_tokens(text))
        return LLMResponse(text=text, input_tokens=max(1, math.ceil(prompt_chars / 4)),
                           output_tokens=out_tokens, model=request.model or "dry-run", provider="dry_run")
