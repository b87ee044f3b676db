"""Fixtures for the provider-layer tests: a scripted HTTP server on 127.0.0.1, a free port, fast retries."""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from distsafe.llm import RetryPolicy


class ScriptedServer:
    """Answers each POST with the next scripted (status, body, headers); records every request. A body is
    sent as JSON, except `bytes`, sent as they are (a misbehaving server's garbage); `default` answers
    when the script is exhausted, and may be a function of the request number."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: deque[tuple[int, Any, dict[str, str]]] = deque()
        self.default: Any = None  # (status, body, headers), or a function of the request number to one
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                with outer.lock:
                    self._answer()

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                outer.requests.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "json": body,
                    }
                )
                if outer.script:
                    status, payload, headers = outer.script.popleft()
                elif callable(outer.default):
                    status, payload, headers = outer.default(len(outer.requests))
                elif outer.default is not None:
                    status, payload, headers = outer.default
                else:
                    status, payload, headers = 500, {"error": "script exhausted"}, {}
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client refused a huge body
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:  # silence
                return None

        self.lock = threading.Lock()  # one request at a time: scripted answers go out in request order
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def add(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> ScriptedServer:
        self.script.append((status, payload, headers or {}))
        return self

    def start(self) -> ScriptedServer:
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
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def fast_retry() -> Callable[..., RetryPolicy]:
    """`fast_retry(max_retries=2, delays=None)`: a policy that never sleeps and logs its delays."""

    def make(max_retries: int = 2, delays: list[float] | None = None) -> RetryPolicy:
        async def sleep(d: float) -> None:
            if delays is not None:
                delays.append(d)

        return RetryPolicy(max_retries=max_retries, backoff_base_s=0.01, jitter=0.0, sleep=sleep)

    return make
