"""Exact record/replay of LLM traffic.

`LLMRecorder` is the file; `RecordingClient` is the one way to use it: a wrapper around any provider
that records through it or replays from it (the LLM agents wrap their client in one when the engine
hands them a recorder; `recorder.wrap(client)` builds one).

Every request/response pair is one JSON line: `{"key", "n", "request", "response"}` where `key` is
`request_key(request)` (SHA-256 of provider, model, messages, temperature, max_tokens, json_mode) and `n`
counts earlier entries with the same key, so a request repeated within a run replays its responses in
their recorded order. Record mode appends and flushes each entry; replay mode serves responses from the
file with no network and no model, and a request the recording lacks raises `LLMReplayMissError`.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from distsafe.llm.contract import LLMClient, LLMRequest, LLMResponse, request_key
from distsafe.llm.errors import LLMError, LLMReplayMissError

RECORDER_MODES = ("record", "replay")


class LLMRecorder:
    """Record (`mode="record"`) or replay (`mode="replay"`) LLM requests in a JSONL file."""

    def __init__(self, path: str | Path, mode: str = "record"):
        if mode not in RECORDER_MODES:
            raise ValueError(f"LLMRecorder mode must be 'record' or 'replay', got {mode!r}")
        self.path = Path(path)
        self.mode = mode
        self._lock = threading.Lock()
        self._counts: dict[str, int] = defaultdict(int)
        self._pending: dict[str, deque[LLMResponse]] = defaultdict(deque)
        self.recorded = 0
        self.served = 0
        self._fh: Any = None
        if mode == "replay":
            if not self.path.exists():
                raise LLMError(f"replay: no LLM recording at {self.path}")
            for entry in self._read_entries():
                self._pending[entry["key"]].append(LLMResponse.from_dict(entry["response"]))
                self._counts[entry["key"]] += 1
        elif self.path.exists():
            for entry in self._read_entries():
                self._counts[entry["key"]] += 1

    def _read_entries(self) -> list[dict[str, Any]]:
        lines = self.path.read_text(encoding="utf-8").splitlines()
        entries = []
        for i, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                if not isinstance(entry, dict) or "key" not in entry or "response" not in entry:
                    raise ValueError("entry lacks key/response")
            except ValueError as exc:
                if i == len(lines):  # a line cut short by a crash while recording
                    break
                raise LLMError(f"LLM recording {self.path} line {i} is corrupt: {exc}") from exc
            entries.append(entry)
        return entries

    def __len__(self) -> int:
        return sum(self._counts.values())

    # ---- record ---------------------------------------------------------------------------------------
    def record(self, request: LLMRequest, response: LLMResponse) -> str:
        if self.mode != "record":
            raise LLMError("LLMRecorder.record called in replay mode")
        key = request_key(request)
        with self._lock:
            entry = {
                "key": key,
                "n": self._counts[key],
                "request": request.to_dict(),
                "response": response.to_dict(),
            }
            if self._fh is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = self.path.open("a", encoding="utf-8")
            self._fh.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
            self._fh.flush()
            self._counts[key] += 1
            self.recorded += 1
        return key

    # ---- replay ---------------------------------------------------------------------------------------
    def replay(self, request: LLMRequest) -> LLMResponse:
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
            response = queue.popleft()
            self.served += 1
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
        response = await self._inner().complete(request)
        self.recorder.record(request, response)
        return response

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
