"""Helpers for the LLM tests: a scripted HTTP server on 127.0.0.1 and hand-built observations."""


from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

from distsafe.agents.base import Observation, PeerInfo, VisiblePost, VisibleTask
from distsafe.agents.llm import LLMAgent, LLMConfig, LLMProvider, PersonaType
from distsafe.llm import LLMClient, LLMRequest, LLMResponse
from distsafe.models.agent import AgentState


class ScriptedServer:
    """Answers each POST with the next scripted (status, json body, headers); records every request."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: deque[tuple[int, Any, dict[str, str]]] = deque()
        self.default: tuple[int, Any, dict[str, str]] | None = None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                outer.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                       "json": body})
                if outer.script:
                    status, payload, headers = outer.script.popleft()
                elif outer.default is not None:
                    status, payload, headers = outer.default
                else:
                    status, payload, headers = 500, {"error": "script exhausted"}, {}
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # silence
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def add(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> "ScriptedServer":
        self.script.append((status, payload, headers or {}))
        return self

    def start(self) -> "ScriptedServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def scripted_server() -> Iterator[ScriptedServer]:
    server = ScriptedServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_observation(agent_id: str = "llm_1", *, epoch: int = 1, step: int = 0, posts: tuple = (),
                     resources: float = 100.0, frozen: bool = False, posts_left: int = 2, votes_left: int = 2,
                     interactions_left: int = 1) -> Observation:
    if not posts:
        posts = (
            VisiblePost(post_id="p1", author_id="h1", content="Tasks t1 and t2 need reviewers.", votes=3,
                        replies=1, age=2, score=0.8),
            VisiblePost(post_id="p2", author_id="h2", content="I finished my part of t1.", votes=1,
                        replies=0, age=1, score=0.5),
        )
    return Observation(
        agent_id=agent_id, epoch=epoch, step=step,
        state=AgentState(agent_id=agent_id, reputation=0.4, resources=resources, is_frozen=frozen),
        visible_posts=tuple(posts),
        available_tasks=(VisibleTask(task_id="t1", bounty=5.0, deadline_epoch=4, difficulty=0.3),),
        peers=(PeerInfo(agent_id="h1", reputation=0.6), PeerInfo(agent_id="h2", reputation=-0.2),
               PeerInfo(agent_id=agent_id, reputation=0.4)),
        posts_left=posts_left, votes_left=votes_left, interactions_left=interactions_left,
    )


@pytest.fixture
def observation() -> Observation:
    return make_observation()


class ScriptedClient(LLMClient):
    """Returns queued answers (str) or raises queued exceptions; records the requests it got."""

    provider_name = "openai"

    def __init__(self, *answers):
        super().__init__()
        self.answers = deque(answers)
        self.requests: list[LLMRequest] = []

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.requests.append(request)
        item = self.answers.popleft()
        if isinstance(item, Exception):
            raise item
        return LLMResponse(text=item, input_tokens=1000, output_tokens=100, model=request.model,
                           provider="openai")


def agent_with(*answers, persona=PersonaType.OPEN, **cfg) -> tuple[LLMAgent, ScriptedClient]:
    client = ScriptedClient(*answers)
    config = LLMConfig(provider=LLMProvider.OPENAI, model="gpt-4o-mini", persona=persona, **cfg)
    return LLMAgent("llm_1", config, client=client), client
