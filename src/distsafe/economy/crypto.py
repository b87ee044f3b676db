"""Ed25519 identities: every action and every contract signature is checked against the agent's key."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey


def canonical(obj: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace. What every signature covers."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def digest(obj: Any) -> str:
    return hashlib.sha256(canonical(obj)).hexdigest()


def derive_key(seed: int | str, agent_id: str) -> SigningKey:
    """Deterministic key for simulations: the same seed gives the same identities."""
    return SigningKey(hashlib.sha256(f"distsafe-economy:{seed}:{agent_id}".encode()).digest())


def public_hex(key: SigningKey) -> str:
    return key.verify_key.encode().hex()


def sign(key: SigningKey, payload: Any) -> str:
    return key.sign(canonical(payload)).signature.hex()


@lru_cache(maxsize=65536)
def _key_bytes(public_key_hex: str) -> bytes:
    return bytes.fromhex(public_key_hex)


def verify(public_key_hex: str, payload: Any, signature_hex: str | None) -> bool:
    """True iff `signature_hex` is a valid Ed25519 signature of canonical(payload) by the key."""
    if not signature_hex or not isinstance(signature_hex, str) or len(signature_hex) != 128:
        return False
    try:
        crypto_sign_open(bytes.fromhex(signature_hex) + canonical(payload), _key_bytes(public_key_hex))
    except (BadSignatureError, ValueError, TypeError):
        return False
    return True


def is_public_key(value: str) -> bool:
    try:
        VerifyKey(bytes.fromhex(value))
    except (ValueError, TypeError):
        return False
    return True


def action_payload(action: dict[str, Any]) -> dict[str, Any]:
    """The signed part of an action: everything but the signature."""
    return {k: action[k] for k in ("agent_id", "turn", "nonce", "kind", "params")}


def sign_action(
    key: SigningKey, agent_id: str, turn: int, nonce: int, kind: str, params: dict[str, Any]
) -> dict[str, Any]:
    action = {"agent_id": agent_id, "turn": turn, "nonce": nonce, "kind": kind, "params": params}
    action["signature"] = sign(key, action_payload(action))
    return action


def sign_bundle(
    key: SigningKey, agent_id: str, turn: int, nonce: int, actions: list[dict[str, Any]]
) -> dict[str, Any]:
    """One signature over several actions ({"kind", "params"} dicts) of one agent for one turn."""
    bundle = {
        "agent_id": agent_id,
        "turn": turn,
        "nonce": nonce,
        "actions": [{"kind": a["kind"], "params": a["params"]} for a in actions],
    }
    bundle["signature"] = sign(key, dict(bundle))
    return bundle


READ_HEADER = "X-Agent-Signature"
READ_WINDOW_S = 300  # how long a signed read stays valid (either side of the engine's clock)


def read_payload(agent_id: str, at: int) -> dict[str, Any]:
    """What an agent signs to read its own private view (`GET /agent/{id}` with what it bought)."""
    return {"purpose": "read_agent", "agent_id": agent_id, "ts": at}


def sign_read(key: SigningKey, agent_id: str, at: int) -> str:
    """The `X-Agent-Signature` header value: `<unix seconds>:<signature hex>`."""
    return f"{at}:{sign(key, read_payload(agent_id, at))}"


def read_error(public_key_hex: str, agent_id: str, header: str, now: float) -> str | None:
    """Why a signed read header does not authenticate `agent_id` (None when it does)."""
    at_text, _, sig = header.partition(":")
    if not (at_text.isascii() and at_text.isdigit() and len(at_text) <= 12):
        return f"{READ_HEADER} must be '<unix seconds>:<signature hex>'"
    at = int(at_text)
    if abs(now - at) > READ_WINDOW_S:
        return f"{READ_HEADER} is older or newer than {READ_WINDOW_S} s"
    if not verify(public_key_hex, read_payload(agent_id, at), sig):
        return f"{READ_HEADER} does not verify for agent {agent_id!r}"
    return None


def contract_payload(terms_hash: str) -> dict[str, str]:
    """What each of the three parties signs to agree to a contract (the hash covers the proposer's nonce,
    so a signature cannot be reused for a second contract with the same terms)."""
    return {"contract_terms": terms_hash}


def contract_terms_hash(
    kind: str, proposer: str, counterparty: str, arbitrator: str, terms: dict[str, Any], proposer_nonce: int
) -> str:
    return digest(
        {
            "type": kind,
            "proposer": proposer,
            "counterparty": counterparty,
            "arbitrator": arbitrator,
            "terms": terms,
            "nonce": proposer_nonce,
        }
    )


def contract_id_for(terms_hash: str) -> str:
    return "c" + terms_hash[:16]
