"""A mock model for tests: answers from a script, and remembers what it was asked.

    model = ScriptedModel('{"action_type": "noop"}', LLMTransientError("busy"), "not json")
    agent = LLMAgent("llm_1", config, client=model)

Each call to `complete` takes the next scripted item: a string becomes the answer's text, an exception is
raised. Every request is kept in `requests`. Token counts are fixed (`input_tokens`, `output_tokens`) so
cost tests can assert exact figures. Running out of script raises `AssertionError` (an unplanned call).
"""

from __future__ import annotations

from collections import deque

from distsafe.llm.contract import LLMClient, LLMRequest, LLMResponse


class ScriptedModel(LLMClient):
    """An `LLMClient` that returns queued answers (str) or raises queued exceptions."""

    def __init__(
        self,
        *answers: str | BaseException,
        provider: str = "openai",
        input_tokens: int = 1000,
        output_tokens: int = 100,
    ):
        self.answers: deque[str | BaseException] = deque(answers)
        self.requests: list[LLMRequest] = []
        self.provider_name = provider
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens

    def add(self, *answers: str | BaseException) -> ScriptedModel:
        self.answers.extend(answers)
        return self

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.requests.append(request)
        if not self.answers:
            raise AssertionError(f"ScriptedModel: no scripted answer left for request {len(self.requests)}")
        item = self.answers.popleft()
        if isinstance(item, BaseException):
            raise item
        return LLMResponse(
            text=item,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            model=request.model,
            provider=self.provider_name,
        )
