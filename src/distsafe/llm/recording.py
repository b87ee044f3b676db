"""Exact record/replay of LLM traffic, failures included.

`LLMRecorder` is the file; `RecordingClient` is the one way to use it: a wrapper around any provider
that records through it or replays from it (the LLM agents wrap their client in one when the engine
hands them a recorder; `recorder.wrap(client)` builds one).

Every call is one JSON line: `{"key", "n", "request", "response"}` for an answer, or `{"key", "n",
"request", "error"}` for a provider error (`{"class", "message", "provider", "status", "retry_after"}`),
where `key` is `request_key(request)` (SHA-256 of provider, model, messages, temperature, max_tokens,
json_mode) and `n` counts earlier entries with the same key, so a request repeated within a run replays
its outcomes in their recorded order. Record mode creates the file at once (a run whose every call failed,
or that made none, still has a recording), appends and flushes each entry; replay mode serves answers
from the file with no network and no model, re-raises a recorded error as the same `LLMError` class (only
the classes in `errors.RECORDABLE_ERRORS`: a recording is data, never code), and a request the recording
lacks raises `LLMReplayMissError`.

Size: an answer's text is cut to `max_text_chars` (default `DEFAULT_MAX_RESPONSE_CHARS`) before it is
recorded and returned, so what a run used and what its recording holds are the same, and bounded.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from distsafe.llm.contract import (
    DEFAULT_MAX_RESPONSE_CHARS,
    LLMClient,
    LLMRequest,
    LLMResponse,
    request_key,
)
from distsafe.llm.errors import LLMError, LLMReplayMissError, error_from_dict, error_to_dict

RECORDER_MODES = ("record", "replay")
#: The most characters of an error message a recording keeps.
MAX_ERROR_CHARS = 2000

#: What a recorded call gave: an answer, or the error to raise again.
Outcome = LLMResponse | LLMError


class LLMRecorder:
    """Record (`mode="record"`) or replay (`mode="replay"`) LLM requests in a JSONL file."""

    def __init__(
        self, path: str | Path, mode: str = "record", *, max_text_chars: int = DEFAULT_MAX_RESPONSE_CHARS
    ):
        if mode not in RECORDER_MODES:
            raise ValueError(f"LLMRecorder mode must be 'record' or 'replay', got {mode!r}")
        if isinstance(max_text_chars, bool) or not isinstance(max_text_chars, int) or max_text_chars < 1:
            raise ValueError(f"max_text_chars must be a positive integer, got {max_text_chars!r}")
        self.path = Path(path)
        self.mode = mode
        self.max_text_chars = max_text_chars
        self._lock = threading.Lock()
        self._counts: dict[str, int] = defaultdict(int)
        self._pending: dict[str, deque[Outcome]] = defaultdict(deque)
        self.recorded = 0
        self.served = 0
        self._fh: Any = None
        if mode == "replay":
            if not self.path.is_file():
                raise LLMError(f"replay: no LLM recording at {self.path}")
            for key, outcome in self._read_entries():
                self._pending[key].append(outcome)
                self._counts[key] += 1
        else:
            if self.path.is_file():
                for key, _ in self._read_entries():
                    self._counts[key] += 1
            self._open()

    def _open(self) -> Any:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("a", encoding="utf-8")
        return self._fh

    def _read_entries(self) -> list[tuple[str, Outcome]]:
        """(key, answer or error) of every entry; a recording from elsewhere is untrusted, so any malformed
        entry is an `LLMError` naming its line (except a last line cut short by a crash, which is dropped)."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise LLMError(f"LLM recording {self.path} is unreadable: {exc}") from None
        entries: list[tuple[str, Outcome]] = []
        for i, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entries.append(_decode_entry(line))
            except (ValueError, TypeError, KeyError, RecursionError) as exc:
                if i == len(lines) and isinstance(exc, json.JSONDecodeError):
                    break  # a line cut short by a crash while recording
                why = " ".join(str(exc).split())[:200]
                raise LLMError(f"LLM recording {self.path} line {i} is corrupt: {why}") from None
        return entries

    def __len__(self) -> int:
        return sum(self._counts.values())

    # ---- record ---------------------------------------------------------------------------------------
    def fit(self, response: LLMResponse) -> LLMResponse:
        """`response` with its text cut to `max_text_chars` (what is recorded and what the caller gets)."""
        if len(response.text) <= self.max_text_chars:
            return response
        return replace(response, text=response.text[: self.max_text_chars])

    def record(self, request: LLMRequest, response: LLMResponse) -> str:
        """Append an answer (its text cut to `max_text_chars`; callers use `fit` to get the same)."""
        return self._append(request, "response", self.fit(response).to_dict())

    def record_error(self, request: LLMRequest, error: LLMError) -> str:
        """Append a provider error, to be raised again at the same call in replay."""
        data = error_to_dict(error)
        data["message"] = str(data["message"])[:MAX_ERROR_CHARS]
        return self._append(request, "error", data)

    def _append(self, request: LLMRequest, kind: str, outcome: dict[str, Any]) -> str:
        if self.mode != "record":
            raise LLMError("LLMRecorder.record called in replay mode")
        key = request_key(request)
        with self._lock:
            entry = {"key": key, "n": self._counts[key], "request": request.to_dict(), kind: outcome}
            fh = self._open()
            fh.write(json.dumps(entry, ensure_ascii=False, sort_keys=True, allow_nan=False) + "\n")
            fh.flush()
            self._counts[key] += 1
            self.recorded += 1
        return key

    # ---- replay ---------------------------------------------------------------------------------------
    def replay(self, request: LLMRequest) -> LLMResponse:
        """The recorded answer for `request` (in recorded order), or its recorded error raised again."""
        if self.mode != "replay":
            raise LLMError("LLMRecorder.replay called in record mode")
        key = request_key(request)
        with self._lock:
            queue = self._pending.get(key)
            if not queue:
                total = self._counts.get(key, 0)
                why = (
                    f"all {total} recorded responses for it were already served"
                    if total
                    else "it is not in the recording"
                )
                raise LLMReplayMissError(
                    f"replay miss: request {key[:16]} ({request.provider}/{request.model}) cannot be served "
                    f"from {self.path}: {why}",
                    provider=request.provider,
                )
            outcome = queue.popleft()
            self.served += 1
        if isinstance(outcome, LLMError):
            raise outcome
        response = outcome
        return LLMResponse(
            text=response.text,
            input_tokens=response.input_tokens,
            output_tokens=response.output_tokens,
            model=response.model,
            provider=response.provider,
            cached=True,
        )

    def wrap(self, client: LLMClient | Callable[[], LLMClient] | None) -> RecordingClient:
        return RecordingClient(self, client)

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None

    def __enter__(self) -> LLMRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RecordingClient(LLMClient):
    """`client` with every exchange recorded (record mode), or no client at all: answers from the recording
    (replay mode). `client` may be a factory, called only when a request must really be sent, so a replay
    never builds a provider (no key, no package, no server needed)."""

    def __init__(self, recorder: LLMRecorder, client: LLMClient | Callable[[], LLMClient] | None):
        self.recorder = recorder
        self._client_or_factory = client
        self._client: LLMClient | None = client if isinstance(client, LLMClient) else None
        self.provider_name = getattr(self._client, "provider_name", "")

    def _inner(self) -> LLMClient:
        if self._client is None:
            if self._client_or_factory is None:
                raise LLMError("RecordingClient in record mode needs a client")
            assert not isinstance(self._client_or_factory, LLMClient)
            self._client = self._client_or_factory()
        return self._client

    async def complete(self, request: LLMRequest) -> LLMResponse:
        if self.recorder.mode == "replay":
            return self.recorder.replay(request)
        inner = self._inner()  # building it may fail (no key, no package): that is no call to record
        try:
            response = self.recorder.fit(await inner.complete(request))
        except LLMError as exc:
            self.recorder.record_error(request, exc)
            raise
        self.recorder.record(request, response)
        return response

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def _decode_entry(line: str) -> tuple[str, Outcome]:
    """(key, outcome) of one recording line; ValueError/TypeError/KeyError when it is not a valid entry."""
    entry = json.loads(line)
    if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
        raise ValueError("entry lacks its key")
    if "response" in entry:
        data = entry["response"]
        if not isinstance(data, dict):
            raise ValueError("response is not an object")
        return entry["key"], LLMResponse.from_dict(data)
    if "error" in entry:
        err = entry["error"]
        if not isinstance(err, dict):
            raise ValueError("error is not an object")
        return entry["key"], error_from_dict(err)
    raise ValueError("entry has neither a response nor an error")
