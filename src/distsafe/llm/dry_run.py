"""A provider that needs no network and no model: deterministic answers derived from a hash of the request.

The answer for a given request is always the same (same messages, model and parameters -> same text), so a
run with dry-run clients is reproducible and its recording replays exactly. The provider knows no prompt
protocol: a caller that wants meaningful answers passes a `responder` (the LLM agents pass theirs, see
`distsafe.agents.llm.dry_run_policy`), a function of the request that returns the answer text, or None
for the generic one. `garbage_rate` makes a share of JSON-mode answers unparseable on purpose (to
exercise a caller's repair path); it is drawn from the request hash, before the responder is asked.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from distsafe.llm._shared import cap_text, estimate_tokens, positive_int, positive_timeout
from distsafe.llm.contract import (
    DEFAULT_MAX_RESPONSE_CHARS,
    DEFAULT_TIMEOUT_S,
    LLMClient,
    LLMRequest,
    LLMResponse,
    request_key,
)

#: Answer text for a request, or None to fall back on the generic answer.
Responder = Callable[[LLMRequest], str | None]

GARBAGE_ANSWERS = (
    "I think the best move is to cooperate with everyone.",
    '{"action_type": "post", "content": ',
    "Sure! Here is my answer: post something nice",
)


def unit_from(digest: str, i: int) -> float:
    """The i-th (0-7) 32-bit slice of a hex SHA-256 digest, as a number in [0, 1]."""
    return int(digest[8 * i : 8 * i + 8], 16) / 0xFFFFFFFF


def dry_run_answer(request: LLMRequest, garbage_rate: float = 0.0, responder: Responder | None = None) -> str:
    digest = request_key(request)
    if not request.json_mode:
        return f"dry-run reply {digest[:12]}"
    if garbage_rate > 0 and unit_from(digest, 7) < garbage_rate:
        return GARBAGE_ANSWERS[int(digest[:2], 16) % len(GARBAGE_ANSWERS)]
    answer = responder(request) if responder is not None else None
    if answer is None:
        return json.dumps({"dry_run": True, "digest": digest[:16]})
    return answer


class DryRunClient(LLMClient):
    """Deterministic offline provider (`create_provider("dry_run")`)."""

    provider_name = "dry_run"

    def __init__(
        self,
        *,
        responder: Responder | None = None,
        garbage_rate: float = 0.0,
        timeout: float = DEFAULT_TIMEOUT_S,
        max_response_chars: int = DEFAULT_MAX_RESPONSE_CHARS,
    ):
        if not 0.0 <= garbage_rate <= 1.0:
            raise ValueError(f"garbage_rate must be in [0, 1], got {garbage_rate}")
        self.timeout = positive_timeout(timeout)  # unused: the answer is immediate
        self.max_response_chars = positive_int(max_response_chars, "max_response_chars")
        self.responder = responder
        self.garbage_rate = float(garbage_rate)
        self.calls = 0

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.calls += 1
        text = cap_text(dry_run_answer(request, self.garbage_rate, self.responder), self.max_response_chars)
        prompt_chars = sum(len(m.content) for m in request.messages)
        out_tokens = min(request.max_tokens, estimate_tokens(text))
        return LLMResponse(
            text=text,
            input_tokens=max(1, math.ceil(prompt_chars / 4)),
            output_tokens=out_tokens,
            model=request.model or "dry-run",
            provider="dry_run",
        )
