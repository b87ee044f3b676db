"""Shared helpers for the economy tests: a small signed world driven directly through the engine."""

from __future__ import annotations

from typing import Any

import pytest

from distsafe.economy.actions import TurnRequest
from distsafe.economy.client import Wallet
from distsafe.economy.config import WorldConfig
from distsafe.economy.engine import Engine, TurnResult


class World:
    def __init__(self, n: int = 4, **cfg: Any) -> None:
        self.cfg = WorldConfig(**cfg)
        self.ids = [f"a{i}" for i in range(n)]
        self.w = {a: Wallet.derive(self.cfg.seed, a) for a in self.ids}
        self.eng = Engine.genesis(self.cfg, {a: w.public_key for a, w in self.w.items()})

    @property
    def next_turn(self) -> int:
        return self.eng.turn + 1

    def act(self, aid: str, kind: str, **params: Any) -> dict[str, Any]:
        return self.w[aid].action(self.next_turn, kind, params)

    def propose(self, aid: str, type_: str, cp: str, arb: str, **terms: Any) -> tuple[dict, str, str]:
        return self.w[aid].propose(self.next_turn, type_, cp, arb, terms)

    def sign(self, aid: str, cid: str, role: str) -> dict[str, Any]:
        return self.w[aid].sign_contract(self.next_turn, cid, role, self.eng.contracts[cid].terms_hash)

    def turn(self, *actions: dict[str, Any], usage: dict[str, int] | None = None) -> TurnResult:
        return self.eng.apply_turn(TurnRequest(turn=self.next_turn, actions=list(actions), usage=usage or {}))

    def bal(self, aid: str) -> int:
        return self.eng.agents[aid].balance


@pytest.fixture
def world() -> World:
    return World()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn in a thread on 127.0.0.1:<free port>; stopped by the fixture."""

    def __init__(self, db: str, token: str = "admin-token") -> None:
        import threading
        import time

        import uvicorn

        from distsafe.economy.server import create_app

        self.token = token
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(db, token)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return
            time.sleep(0.02)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(tmp_path):
    srv = LiveServer(str(tmp_path / "live.db"))
    yield srv
    srv.stop()
