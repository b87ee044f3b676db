"""Shared set-up of the economy tests, as fixtures: a small signed world driven directly through the engine,
an engine API served by uvicorn in a thread, and engine processes that a test may SIGKILL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from distsafe.economy.actions import TurnRequest
from distsafe.economy.client import Wallet
from distsafe.economy.config import WorldConfig
from distsafe.economy.engine import Engine, TurnResult
from distsafe.economy.turn_loop import RunReport, TurnLoop


class World:
    """An engine with `n` agents a0..a{n-1} and their wallets; actions are signed for the next turn."""

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

    def propose(
        self, aid: str, type_: str, cp: str, arb: str, **terms: Any
    ) -> tuple[dict[str, Any], str, str]:
        return self.w[aid].propose(self.next_turn, type_, cp, arb, terms)

    def sign(self, aid: str, cid: str, role: str) -> dict[str, Any]:
        return self.w[aid].sign_contract(self.next_turn, cid, role, self.eng.contracts[cid].terms_hash)

    def turn(self, *actions: dict[str, Any], usage: dict[str, int] | None = None) -> TurnResult:
        req = {"turn": self.next_turn, "actions": list(actions), "usage": usage or {}}
        return self.eng.apply_turn(TurnRequest.model_validate(req))

    def bal(self, aid: str) -> int:
        return self.eng.agents[aid].balance

    def balances(self) -> dict[str, int]:
        return {a: self.bal(a) for a in self.ids}


@pytest.fixture
def make_world() -> Callable[..., World]:
    """`make_world(n=4, **world_config)` -> a fresh `World`."""
    return World


@pytest.fixture
def world() -> World:
    return World()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LiveServer:
    """uvicorn in a thread on 127.0.0.1:<free port>; stopped by the fixture."""

    def __init__(self, db: str, token: str = "admin-token") -> None:
        import uvicorn

        from distsafe.economy.server import create_app

        self.token = token
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(db, token)
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        )
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
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    srv = LiveServer(str(tmp_path / "live.db"))
    yield srv
    srv.stop()


class EngineProcess:
    """`distsafe economy serve` as a child process on 127.0.0.1, for tests that SIGKILL it."""

    def __init__(self, db: str, token: str, delay: float = 0.0) -> None:
        import httpx

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "distsafe.economy.cli", "serve", "--db", db, "--port", str(self.port),
               "--admin-token", token, "--debug-commit-delay", str(delay)]  # fmt: skip
        self.p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if httpx.get(self.url + "/health", timeout=0.5).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(
            "engine did not start: " + (self.p.stderr.read() if self.p.stderr else b"").decode()
        )

    def kill(self) -> None:
        if self.p.poll() is None:
            os.kill(self.p.pid, signal.SIGKILL)
        self.p.wait(timeout=10)
        if self.p.stderr:
            self.p.stderr.close()


@pytest.fixture
def engine_process() -> Iterator[Callable[..., EngineProcess]]:
    """`engine_process(db, token, delay=0.0)` starts an engine; every one still running is killed after."""
    started: list[EngineProcess] = []

    def start(db: str, token: str, delay: float = 0.0) -> EngineProcess:
        proc = EngineProcess(db, token, delay)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()


class Api:
    """An engine app on `db` (TestClient), initialised with agents a0..a2 (wallets of seed 0)."""

    token = "s3cret"

    def __init__(self, db: Path, **app_kw: Any) -> None:
        from fastapi.testclient import TestClient

        from distsafe.economy.server import create_app

        self.db = db
        self.app = create_app(db, self.token, **app_kw)
        self.c = TestClient(self.app, raise_server_exceptions=False)
        self.auth = {"Authorization": f"Bearer {self.token}"}
        self.w = {a: Wallet.derive(0, a) for a in ("a0", "a1", "a2")}

    def init_body(self, **cfg: Any) -> dict[str, Any]:
        agents = [{"agent_id": a, "public_key": x.public_key} for a, x in self.w.items()]
        return {"config": cfg, "agents": agents}

    def init(self, **cfg: Any) -> None:
        r = self.c.post("/init", json=self.init_body(**cfg), headers=self.auth)
        assert r.status_code == 200, r.text

    def turn(self, body: dict[str, Any]) -> Any:
        return self.c.post("/turn", json=body, headers=self.auth)

    def raw(self, path: str, text: str | bytes) -> Any:
        return self.c.post(path, content=text, headers={**self.auth, "Content-Type": "application/json"})

    def state(self) -> dict[str, Any]:
        r = self.c.get("/state")
        assert r.status_code == 200, r.text
        out: dict[str, Any] = r.json()
        return out

    def __iter__(self) -> Iterator[Any]:  # `c, w = api`
        return iter((self.c, self.w))


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """An initialised engine app (agents a0..a2, default world); `c, w = api` unpacks client and wallets."""
    a = Api(tmp_path / "api.db")
    with a.c:
        a.init()
        yield a


@pytest.fixture
def make_api(tmp_path: Path) -> Iterator[Callable[..., Api]]:
    """`make_api(name="x", **create_app_kw)` -> an uninitialised `Api` on tmp_path/name.db (closed after)."""
    made: list[Api] = []

    def make(name: str = "x", **kw: Any) -> Api:
        a = Api(tmp_path / f"{name}.db", **kw)
        a.c.__enter__()
        made.append(a)
        return a

    yield make
    for a in made:
        a.c.__exit__(None, None, None)


@pytest.fixture
def run_economy() -> Callable[..., Awaitable[tuple[TurnLoop, RunReport]]]:
    """`await run_economy(db, n, turns, seed=0, strategies=None, cfg=None)`: init a world of n agents
    (scripted strategies unless given) on an in-process engine, play the turns; -> (turn loop, report)."""

    async def run(
        db: Path,
        n: int,
        turns: int,
        seed: int = 0,
        strategies: dict[str, Any] | None = None,
        cfg: dict[str, Any] | None = None,
    ) -> tuple[TurnLoop, RunReport]:
        from distsafe.economy.client import EconomyClient
        from distsafe.economy.server import create_app
        from distsafe.economy.strategies import assign_strategies

        client = EconomyClient(app=create_app(db, "t"), admin_token="t")
        ids = [f"agent_{i}" for i in range(n)]
        chosen: dict[str, Any] = strategies or dict(assign_strategies(ids, seed))
        loop = TurnLoop(client, chosen, seed=seed, world_config=cfg)
        await loop.setup()
        report = await loop.run(turns)
        await client.aclose()
        return loop, report

    return run
