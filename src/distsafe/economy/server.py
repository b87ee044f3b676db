"""FastAPI engine: the seed's HTTP API over `Engine` + `Store`.

Turns are serialised by a lock and idempotent: a turn number can be applied once; resubmitting the same
body returns the stored result, a different body for an applied turn gets 409. `/init` and `/turn` need
the admin token (`Authorization: Bearer <token>`); every action inside a turn is also signed by its agent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import threading
import time
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from distsafe.economy.actions import Bundle, InitRequest, LedgerAction, TurnRequest
from distsafe.economy.crypto import is_public_key
from distsafe.economy.engine import Engine
from distsafe.economy.records import InvariantError
from distsafe.economy.store import Store


class EngineService:
    """The engine, its store and the turn lock; usable without HTTP (the CLI's embedded mode uses the app)."""

    def __init__(self, db_path: str | Path, commit_delay_s: float = 0.0) -> None:
        # commit_delay_s > 0 holds each turn's write transaction open that long (crash tests only).
        self.store = Store(db_path)
        self.lock = threading.Lock()
        self.engine: Engine | None = self.store.load()
        self.commit_delay_s = commit_delay_s

    def _reload(self) -> None:
        self.engine = self.store.load()

    def init(self, req: InitRequest, force: bool) -> dict[str, Any]:
        for spec in req.agents:
            if not is_public_key(spec.public_key):
                raise HTTPException(422, f"agent {spec.agent_id}: public_key is not a valid Ed25519 key")
        with self.lock:
            if self.engine is not None and not force:
                raise HTTPException(409, "world already initialised; pass ?force=true to reset it")
            eng = Engine.genesis(req.config, {a.agent_id: a.public_key for a in req.agents})
            self.store.init_world(eng)
            self.engine = eng
            return {
                "turn": 0,
                "agents": len(eng.agents),
                "genesis_hash": eng.chain[0].hash,
                "supply": eng.supply(),
            }

    def require(self) -> Engine:
        if self.engine is None:
            raise HTTPException(409, "world not initialised; POST /init first")
        return self.engine

    def turn(self, req: TurnRequest) -> dict[str, Any]:
        # idempotency key: the parsed request re-serialised (whitespace and defaults do not matter)
        h = hashlib.sha256(req.model_dump_json().encode()).hexdigest()
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
            units: list[LedgerAction | Bundle] = [*req.actions, *req.bundles]
            for a in units:
                if a.agent_id not in eng.agents:
                    raise HTTPException(404, f"unknown agent {a.agent_id!r}")
            for aid in req.usage:
                if aid not in eng.agents:
                    raise HTTPException(404, f"unknown agent {aid!r} in usage")
            try:
                result = eng.apply_turn(req)
            except InvariantError as exc:
                self._reload()
                raise HTTPException(500, f"turn refused, invariant broken: {exc}") from None
            except Exception:
                self._reload()
                raise
            if req.on_invalid == "fail" and result.rejected:
                self._reload()
                bad = next(r for r in result.results if not r.accepted)
                raise HTTPException(422, f"{bad.kind} by {bad.agent_id} rejected: {bad.reason}")
            body = result.to_dict()
            delay = self.commit_delay_s
            try:
                self.store.save_turn(
                    eng,
                    result,
                    h,
                    json.dumps(body),
                    before_commit=(lambda: time.sleep(delay)) if delay else None,
                )
            except BaseException:
                self._reload()
                raise
            return dict(body, replayed=False)


def _json_float(x: float) -> float | str:
    return x if math.isfinite(x) else str(x)


def create_app(db_path: str | Path, admin_token: str, commit_delay_s: float = 0.0) -> FastAPI:
    if not admin_token:
        raise ValueError("an admin token is required")
    svc = EngineService(db_path, commit_delay_s)
    app = FastAPI(
        title="distsafe economy engine",
        version="1.0",
        description="Token economy ledger: mine/stake/burn validation, contracts, inference billing.",
    )
    app.state.service = svc

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errs = exc.errors()
        first: dict[str, Any] = dict(errs[0]) if errs else {"loc": (), "msg": "invalid request"}
        if first.get("type") == "json_invalid":
            msg = f"malformed JSON: {first.get('ctx', {}).get('error', first['msg'])}"
        else:
            loc = ".".join(str(x) for x in first.get("loc", ()) if x != "body")
            msg = f"{loc or 'body'}: {first['msg']}".replace("Value error, ", "")
        # the offending input may be NaN or infinite, which JSON cannot carry: such numbers become strings
        detail = jsonable_encoder(errs, custom_encoder={Exception: str, float: _json_float})
        return JSONResponse({"error": msg, "detail": detail}, status_code=422)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": f"internal error: {type(exc).__name__}: {exc}"}, status_code=500)

    def admin(authorization: str | None = Header(None)) -> None:
        given = (authorization or "").removeprefix("Bearer ").strip()
        if not given or not hmac.compare_digest(given.encode(), admin_token.encode()):
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

    @app.get("/agent/{agent_id}", summary="One agent")
    def agent(agent_id: str) -> dict[str, Any]:
        with svc.lock:
            eng = svc.require()
            if agent_id not in eng.agents:
                raise HTTPException(404, f"unknown agent {agent_id!r}")
            return eng.agent_view(agent_id)

    @app.get("/contract/{contract_id}", summary="One contract")
    def contract(contract_id: str) -> dict[str, Any]:
        with svc.lock:
            eng = svc.require()
            c = eng.contracts.get(contract_id)
            if c is None:
                raise HTTPException(404, f"unknown contract {contract_id!r}")
            return c.to_dict()

    @app.get("/speech/{turn}", summary="Public speech log of a turn")
    def speech(turn: int) -> list[dict[str, Any]]:
        if turn < 0:
            raise HTTPException(422, "turn must be >= 0")
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
