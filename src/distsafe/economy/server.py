"""FastAPI engine: the seed's HTTP API over `Engine` + `Store`.

Turns are serialised by a lock and idempotent: a turn number can be applied once; resubmitting the same
body returns the stored result, a different body for an applied turn gets 409. `/init` and `/turn` need
the admin token (exactly `Authorization: Bearer <token>`); every action inside a turn is also signed by its
agent, and an agent reads what it bought with a signed read (`X-Agent-Signature`).

Hostile input (docs/economy.md, "Limits"): bodies over `max_body_bytes` get 413, turns over
`max_actions_per_turn` 413; JSON with NaN or Infinity, or a number out of its field's range, gets 422 naming
the field; a malformed action is rejected alone. A turn that fails for any reason leaves no trace: the
engine is reloaded from its file, and while the file cannot be loaded every request gets 503.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from distsafe.economy.actions import InitRequest, TurnRequest
from distsafe.economy.crypto import READ_HEADER, is_public_key, read_error
from distsafe.economy.engine import Engine
from distsafe.economy.limits import MAX_TURN
from distsafe.economy.records import InvariantError
from distsafe.economy.store import Store
from distsafe.textsafe import clean


@dataclass(frozen=True, kw_only=True)
class ServerLimits:
    """Caps on what one request may ask of the engine (raise them for very large worlds)."""

    max_body_bytes: int = 1024 * 1024
    max_actions_per_turn: int = 10_000
    max_actions_per_agent: int = 64

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_actions_per_turn", "max_actions_per_agent"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")


class EngineService:
    """The engine, its store and the turn lock; usable without HTTP (the CLI's embedded mode uses the app)."""

    def __init__(
        self, db_path: str | Path, commit_delay_s: float = 0.0, limits: ServerLimits | None = None
    ) -> None:
        # commit_delay_s > 0 holds each turn's write transaction open that long (crash tests only).
        self.store = Store(db_path)
        self.lock = threading.Lock()
        self.limits = limits or ServerLimits()
        self.engine: Engine | None = self.store.load()
        self.broken: str | None = None  # why the in-memory engine was discarded and not yet reloaded
        self.commit_delay_s = commit_delay_s

    def _discard(self) -> None:
        """Drop the in-memory engine after a failure and rebuild it from the file (the last committed turn).
        If the file cannot be loaded now, nothing is served until it can (`require` retries)."""
        self.engine = None
        try:
            self.engine = self.store.load()
            self.broken = None
        except Exception as exc:  # noqa: BLE001 - any reason: the engine stays unserved, never stale
            self.broken = f"{type(exc).__name__}: {exc}"

    def init(self, req: InitRequest, force: bool) -> dict[str, Any]:
        for spec in req.agents:
            if not is_public_key(spec.public_key):
                raise HTTPException(422, f"agent {spec.agent_id}: public_key is not a valid Ed25519 key")
        with self.lock:
            if self.broken is not None:
                self._discard()
            if self.broken is not None and not force:
                raise HTTPException(
                    503, f"ledger unavailable and not reset without ?force=true: {self.broken}"
                )
            if self.engine is not None and not force:
                raise HTTPException(409, "world already initialised; pass ?force=true to reset it")
            eng = Engine.genesis(req.config, {a.agent_id: a.public_key for a in req.agents})
            self.store.init_world(eng)  # one transaction: on failure the file and self.engine are unchanged
            self.engine, self.broken = eng, None
            return {
                "turn": 0,
                "agents": len(eng.agents),
                "genesis_hash": eng.chain[0].hash,
                "supply": eng.supply(),
            }

    def require(self) -> Engine:
        """The engine (call with the lock held); 503 while the file cannot be loaded after a failed turn."""
        if self.broken is not None:
            self._discard()
            if self.broken is not None:
                raise HTTPException(
                    503, f"ledger unavailable, a failed turn could not be reloaded: {self.broken}"
                )
        if self.engine is None:
            raise HTTPException(409, "world not initialised; POST /init first")
        return self.engine

    def turn(self, req: TurnRequest) -> dict[str, Any]:
        # idempotency key: the parsed request re-serialised (whitespace and defaults do not matter)
        h = hashlib.sha256(req.model_dump_json().encode()).hexdigest()
        n_actions = req.n_actions()
        if n_actions > self.limits.max_actions_per_turn:
            raise HTTPException(
                413,
                f"actions: {n_actions} actions in one turn, the limit is {self.limits.max_actions_per_turn} "
                "(max_actions_per_turn)",
            )
        with self.lock:
            eng = self.require()
            if req.turn <= eng.turn:
                rec = self.store.turn_record(req.turn)
                if rec is not None and rec[0] == h:
                    return dict(json.loads(rec[1]), replayed=True)
                raise HTTPException(
                    409,
                    f"turn {req.turn} was already applied with different actions; "
                    f"next turn is {eng.turn + 1}",
                )
            if req.turn != eng.turn + 1:
                raise HTTPException(409, f"wrong turn {req.turn}: next turn is {eng.turn + 1}")
            for aid in req.usage:
                if aid not in eng.agents:
                    raise HTTPException(404, f"unknown agent {aid!r} in usage")
            committed = False
            try:  # from here on the engine changes: anything short of a commit discards it
                try:
                    result = eng.apply_turn(req, self.limits.max_actions_per_agent)
                except InvariantError as exc:
                    raise HTTPException(500, f"turn refused, invariant broken: {exc}") from None
                if req.on_invalid == "fail" and result.rejected:
                    bad = next(r for r in result.results if not r.accepted)
                    raise HTTPException(422, f"{bad.kind} by {bad.agent_id} rejected: {bad.reason}")
                body = result.to_dict()
                delay = self.commit_delay_s
                self.store.save_turn(
                    eng,
                    result,
                    h,
                    json.dumps(body),
                    before_commit=(lambda: time.sleep(delay)) if delay else None,
                )
                committed = True
            finally:
                if not committed:
                    self._discard()
            return dict(body, replayed=False)


def _non_finite_at(data: Any) -> list[str | int] | None:
    """Path to the first NaN or infinite number in parsed JSON (iterative: any depth), or None."""
    stack: list[tuple[list[str | int], Any]] = [([], data)]
    while stack:
        path, v = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            return path
        if isinstance(v, dict):
            stack.extend((path + [k], x) for k, x in reversed(list(v.items())))
        elif isinstance(v, list):
            stack.extend((path + [i], x) for i, x in reversed(list(enumerate(v))))
    return None


class _FiniteJSONRequest(Request):
    """JSON bodies may not hold NaN or Infinity (RFC 8259 has neither): 422 naming where the first one is."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                data = json.loads(await self.body())
            except RecursionError:
                raise HTTPException(422, "malformed JSON: nested too deep") from None
            except UnicodeDecodeError:
                raise HTTPException(422, "malformed JSON: not UTF-8") from None
            where = _non_finite_at(data)
            if where is not None:
                loc = ".".join(str(x) for x in where) or "body"
                raise HTTPException(422, clean(f"{loc}: Input should be a finite number", max_len=500))
            self._json = data
        return self._json


class _FiniteJSONRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            return await handler(_FiniteJSONRequest(request.scope, request.receive))

        return route


class BodyLimit:
    """ASGI middleware: a request body over `max_bytes` gets 413 (by its Content-Length before anything is
    read, or counted as it arrives)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        mib, kib = divmod(max_bytes, 1024 * 1024)[1] == 0, max_bytes % 1024 == 0
        limit = f"{max_bytes >> 20} MiB" if mib else f"{max_bytes >> 10} KiB" if kib else f"{max_bytes} bytes"
        self.message = f"request body larger than {limit} (max_body_bytes)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for k, v in scope.get("headers", ()):
            if k == b"content-length" and (not v.isdigit() or int(v) > self.max_bytes):
                await JSONResponse({"error": self.message}, status_code=413)(scope, receive, send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_bytes:  # FastAPI passes an HTTPException from the body read through
                    raise HTTPException(413, self.message)
            return msg

        await self.app(scope, counted, send)


def _validation_message(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    errs = exc.errors()
    first: dict[str, Any] = dict(errs[0]) if errs else {"loc": (), "msg": "invalid request"}
    if first.get("type") == "json_invalid":
        return f"malformed JSON: {first.get('ctx', {}).get('error', first['msg'])}", []
    loc = ".".join(str(x) for x in first.get("loc", ()) if x not in ("body", "path", "query", "header"))
    msg = str(first["msg"]).replace("Value error, ", "")
    # the offending input is not echoed: it may be huge, deeply nested, or a number JSON cannot carry
    detail = [
        {"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type"))}
        for e in errs[:20]
    ]
    # one line: field names are the client's own keys and may hold newlines or control characters
    return clean(f"{loc}: {msg}" if loc else msg, max_len=500), detail


def create_app(
    db_path: str | Path,
    admin_token: str,
    commit_delay_s: float = 0.0,
    *,
    max_body_bytes: int = ServerLimits.max_body_bytes,
    max_actions_per_turn: int = ServerLimits.max_actions_per_turn,
    max_actions_per_agent: int = ServerLimits.max_actions_per_agent,
) -> FastAPI:
    if not admin_token:
        raise ValueError("an admin token is required")
    limits = ServerLimits(
        max_body_bytes=max_body_bytes,
        max_actions_per_turn=max_actions_per_turn,
        max_actions_per_agent=max_actions_per_agent,
    )
    svc = EngineService(db_path, commit_delay_s, limits)
    app = FastAPI(
        title="distsafe economy engine",
        version="1.0",
        description="Token economy ledger: mine/stake/burn validation, contracts, inference billing.",
    )
    app.router.route_class = _FiniteJSONRoute
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)
    app.state.service = svc
    expected = admin_token.encode()

    @app.exception_handler(StarletteHTTPException)  # FastAPI's and the router's own (404, 405)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        msg, detail = _validation_message(exc)
        return JSONResponse({"error": msg, "detail": detail}, status_code=422)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        msg = " ".join(f"internal error: {type(exc).__name__}: {exc}".split())[:500]
        return JSONResponse({"error": msg}, status_code=500)

    def admin(authorization: str | None = Header(None)) -> None:
        # exactly "Bearer <token>" (the scheme's case is free, RFC 9110); a bare token is refused
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected):
            raise HTTPException(401, "admin token missing or wrong (Authorization: Bearer <token>)")

    @app.post("/init", dependencies=[Depends(admin)], summary="Initialise world, genesis block and agents")
    def init(req: InitRequest, force: bool = Query(False)) -> dict[str, Any]:
        return svc.init(req, force)

    @app.post("/turn", dependencies=[Depends(admin)], summary="Submit all signed agent actions for a turn")
    def turn(req: TurnRequest) -> dict[str, Any]:
        return svc.turn(req)

    @app.get("/state", summary="World state snapshot (supply invariant included)")
    def state(agents: bool = Query(True)) -> dict[str, Any]:
        with svc.lock:
            return svc.require().state_view(include_agents=agents)

    @app.get(
        "/agent/{agent_id}",
        summary="One agent; with a signed read (X-Agent-Signature) also the information it bought",
    )
    def agent(agent_id: str, signature: str | None = Header(None, alias=READ_HEADER)) -> dict[str, Any]:
        with svc.lock:
            eng = svc.require()
            if agent_id not in eng.agents:
                raise HTTPException(404, f"unknown agent {agent_id[:100]!r}")
            if signature is not None:
                why = read_error(eng.agents[agent_id].public_key, agent_id, signature, time.time())
                if why is not None:
                    raise HTTPException(403, why)
            return eng.agent_view(agent_id, purchases=signature is not None)

    @app.get("/contract/{contract_id}", summary="One contract")
    def contract(contract_id: str) -> dict[str, Any]:
        with svc.lock:
            eng = svc.require()
            c = eng.contracts.get(contract_id)
            if c is None:
                raise HTTPException(404, f"unknown contract {contract_id[:100]!r}")
            return c.to_dict()

    @app.get("/speech/{turn}", summary="Public speech log of a turn")
    def speech(turn: int = PathParam(ge=0, le=MAX_TURN)) -> list[dict[str, Any]]:
        with svc.lock:
            return svc.store.speech(turn)

    @app.get("/config", summary="World config")
    def config() -> dict[str, Any]:
        with svc.lock:
            return svc.require().cfg.model_dump()

    @app.get("/health", include_in_schema=False)
    def health() -> Response:
        return Response("ok")

    return app
