"""The LLM agents' dry-run policy: what a `dry_run` provider answers to an agent's prompt.

The dry-run provider (`distsafe.llm.dry_run`) knows no prompt protocol; the agents hand it this responder.
It reads the two machine-readable lines of the agent prompt (`prompts.OPTIONS_MARKER`: the allowed actions
and valid ids; `prompts.PERSONA_MARKER`: the persona) and answers a valid action for that observation, its
choices drawn from the request hash (same request, same answer), shaped by the persona's effort and
signal_boost. A prompt without the options line gets None (the provider's generic answer).
"""

from __future__ import annotations

import json
from typing import Any

from distsafe.agents.llm.prompts import OPTIONS_MARKER, PERSONA_MARKER
from distsafe.llm import LLMRequest, request_key
from distsafe.llm.dry_run import unit_from

_PERSONA_STYLE = {
    # persona: (base effort, base signal_boost, preferred actions in order)
    "honest": (0.9, 0.05, ("claim_task", "propose_interaction", "post", "reply", "vote")),
    "strategic": (0.65, 0.3, ("propose_interaction", "claim_task", "vote", "post", "reply")),
    "adversarial": (0.15, 0.8, ("propose_interaction", "post", "vote", "reply", "claim_task")),
    "open": (0.6, 0.2, ("post", "propose_interaction", "reply", "claim_task", "vote")),
}


def find_options(request: LLMRequest) -> dict[str, Any] | None:
    """The OPTIONS_JSON object of the last user message that has one, else None."""
    for m in reversed(request.messages):
        if m.role != "user":
            continue
        for line in m.content.splitlines():
            if line.startswith(OPTIONS_MARKER):
                try:
                    value = json.loads(line[len(OPTIONS_MARKER) :])
                except json.JSONDecodeError:
                    return None
                return value if isinstance(value, dict) else None
    return None


def find_persona(request: LLMRequest) -> str:
    for line in request.system_prompt.splitlines():
        if line.startswith(PERSONA_MARKER):
            return line[len(PERSONA_MARKER) :].strip().lower()
    return "open"


def dry_run_action(request: LLMRequest) -> str | None:
    """A valid JSON action for the agent prompt in `request`, or None when it is not an agent prompt."""
    options = find_options(request)
    if options is None:
        return None
    digest = request_key(request)
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
    u = unit_from(digest, 0)
    if not feasible or u < 0.15:
        return json.dumps({"action_type": "noop", "reasoning": f"dry run ({persona}): waiting"})
    ranked = [a for a in preference if a in feasible] + [a for a in feasible if a not in preference]
    idx = 0 if u < 0.6 else int(unit_from(digest, 1) * len(ranked)) % len(ranked)
    action = ranked[idx]
    effort = round(min(1.0, max(0.0, effort0 + 0.2 * (unit_from(digest, 2) - 0.5))), 3)
    boost = round(min(1.0, max(0.0, boost0 + 0.2 * (unit_from(digest, 3) - 0.5))), 3)
    pick = int(unit_from(digest, 4) * 1_000_000)
    out: dict[str, Any] = {"action_type": action, "reasoning": f"dry run ({persona})"}
    if action == "post":
        out["content"] = f"[{persona}] note {digest[:8]}"
    elif action == "reply":
        out["target_id"] = post_ids[pick % len(post_ids)]
        out["content"] = f"[{persona}] reply {digest[:8]}"
    elif action == "vote":
        out["target_id"] = post_ids[pick % len(post_ids)]
        out["vote"] = -1 if persona == "adversarial" and unit_from(digest, 5) < 0.7 else 1
    elif action == "propose_interaction":
        out["target_id"] = peer_ids[pick % len(peer_ids)]
        out["interaction_type"] = "collaboration" if unit_from(digest, 5) < 0.7 else "trade"
        max_tau = float(options.get("max_tau", 0.0) or 0.0)
        out["tau"] = round(min(max_tau, 1.0) * unit_from(digest, 6), 3)
        out["effort"] = effort
        out["signal_boost"] = boost
    elif action == "claim_task":
        out["target_id"] = task_ids[pick % len(task_ids)]
        out["effort"] = effort
        out["signal_boost"] = boost
    return json.dumps(out)
