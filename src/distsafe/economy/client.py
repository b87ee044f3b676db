"""Client side: `Wallet` (an agent's key and nonce counter) and `EconomyClient` (async HTTP client).

`EconomyClient` talks to a remote engine (`base_url`) or to an in-process FastAPI app (`app`, through
httpx's ASGI transport: no socket is opened).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from nacl.signing import SigningKey

from distsafe.economy.actions import ContractTerms
from distsafe.economy.crypto import (
    READ_HEADER,
    contract_id_for,
    contract_payload,
    contract_terms_hash,
    derive_key,
    public_hex,
    sign,
    sign_action,
    sign_bundle,
    sign_read,
)


class EconomyAPIError(RuntimeError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


class Wallet:
    """An agent's identity. Nonces increase by one per signed action."""

    def __init__(self, agent_id: str, key: SigningKey, last_nonce: int = 0) -> None:
        self.agent_id = agent_id
        self.key = key
        self.nonce = last_nonce

    @classmethod
    def derive(cls, seed: int | str, agent_id: str) -> Wallet:
        return cls(agent_id, derive_key(seed, agent_id))

    @property
    def public_key(self) -> str:
        return public_hex(self.key)

    def action(self, turn: int, kind: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.nonce += 1
        return sign_action(self.key, self.agent_id, turn, self.nonce, kind, dict(params or {}))

    def read_headers(self, agent_id: str | None = None, at: float | None = None) -> dict[str, str]:
        """Headers that authenticate a read of this agent's private view (what it bought), signed now."""
        when = int(time.time() if at is None else at)
        return {READ_HEADER: sign_read(self.key, agent_id or self.agent_id, when)}

    def sign_terms(self, terms_hash: str) -> str:
        return sign(self.key, contract_payload(terms_hash))

    def propose_body(
        self, type_: str, counterparty: str, arbitrator: str, terms: dict[str, Any], nonce: int
    ) -> tuple[dict[str, Any], str, str]:
        """propose_contract body for an action or bundle signed with `nonce`; also its terms hash and id."""
        norm = ContractTerms.model_validate(terms).model_dump(exclude_none=True)
        h = contract_terms_hash(type_, self.agent_id, counterparty, arbitrator, norm, nonce)
        params = {
            "type": type_,
            "counterparty": counterparty,
            "arbitrator": arbitrator,
            "terms": norm,
            "contract_signature": self.sign_terms(h),
        }
        return {"kind": "propose_contract", "params": params}, h, contract_id_for(h)

    def sign_contract_body(self, contract_id: str, role: str, terms_hash: str) -> dict[str, Any]:
        return {
            "kind": "sign_contract",
            "params": {"contract_id": contract_id, "role": role, "signature": self.sign_terms(terms_hash)},
        }

    def propose(
        self, turn: int, type_: str, counterparty: str, arbitrator: str, terms: dict[str, Any]
    ) -> tuple[dict[str, Any], str, str]:
        """Signed propose_contract action plus the terms hash and the contract id it will get."""
        body, h, cid = self.propose_body(type_, counterparty, arbitrator, terms, self.nonce + 1)
        return self.action(turn, body["kind"], body["params"]), h, cid

    def sign_contract(self, turn: int, contract_id: str, role: str, terms_hash: str) -> dict[str, Any]:
        body = self.sign_contract_body(contract_id, role, terms_hash)
        return self.action(turn, body["kind"], body["params"])

    def bundle(self, turn: int, bodies: list[dict[str, Any]]) -> dict[str, Any]:
        """Sign several {"kind", "params"} bodies as one bundle (one nonce, one signature)."""
        self.nonce += 1
        return sign_bundle(self.key, self.agent_id, turn, self.nonce, bodies)


class EconomyClient:
    def __init__(
        self,
        base_url: str | None = None,
        admin_token: str | None = None,
        app: Any = None,
        timeout: float = 60.0,
    ) -> None:
        if (base_url is None) == (app is None):
            raise ValueError("give exactly one of base_url or app")
        headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
        if app is not None:
            transport = httpx.ASGITransport(app=app)
            self.http = httpx.AsyncClient(
                transport=transport, base_url="http://engine", headers=headers, timeout=timeout
            )
        else:
            assert base_url is not None
            self.http = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=timeout)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> EconomyClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def _call(self, method: str, path: str, **kw: Any) -> Any:
        r = await self.http.request(method, path, **kw)
        if r.status_code >= 400:
            try:
                msg = r.json().get("error", r.text)
            except ValueError:
                msg = r.text
            raise EconomyAPIError(r.status_code, msg)
        return r.json()

    async def _object(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        data = await self._call(method, path, **kw)
        if not isinstance(data, dict):
            raise EconomyAPIError(502, f"{method} {path} did not answer a JSON object")
        return data

    async def init(
        self, agents: dict[str, str], config: dict[str, Any] | None = None, force: bool = False
    ) -> dict[str, Any]:
        body = {
            "config": config or {},
            "agents": [{"agent_id": a, "public_key": k} for a, k in agents.items()],
        }
        return await self._object("POST", "/init", json=body, params={"force": str(force).lower()})

    async def turn(
        self,
        turn: int,
        actions: list[dict[str, Any]] | None = None,
        usage: dict[str, int] | None = None,
        on_invalid: str = "record",
        bundles: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        body = {
            "turn": turn,
            "actions": actions or [],
            "bundles": bundles or [],
            "usage": usage or {},
            "on_invalid": on_invalid,
        }
        return await self._object("POST", "/turn", json=body)

    async def state(self, agents: bool = True) -> dict[str, Any]:
        return await self._object("GET", "/state", params={"agents": str(agents).lower()})

    async def agent(self, agent_id: str, wallet: Wallet | None = None) -> dict[str, Any]:
        """`GET /agent/{id}`; with the agent's `wallet` the read is signed, so the answer includes the
        information the agent bought (`purchased_information`)."""
        headers = wallet.read_headers(agent_id) if wallet is not None else None
        return await self._object("GET", f"/agent/{agent_id}", headers=headers)

    async def contract(self, contract_id: str) -> dict[str, Any]:
        return await self._object("GET", f"/contract/{contract_id}")

    async def speech(self, turn: int) -> list[dict[str, Any]]:
        data = await self._call("GET", f"/speech/{turn}")
        if not isinstance(data, list):
            raise EconomyAPIError(502, f"GET /speech/{turn} did not answer a JSON list")
        return data

    async def config(self) -> dict[str, Any]:
        return await self._object("GET", "/config")
