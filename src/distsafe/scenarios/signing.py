"""Signed runs: Ed25519 over a run's log (its final chain hash) and the files beside it.

The hash chain proves a log was not changed line by line, but anyone can rewrite a log and recompute the
chain. A signature by a key you know (`distsafe keygen`, `distsafe run --sign KEY`) ties the whole log to
its signer: `distsafe replay --verify --pubkey KEY.pub` refuses a log whose final hash, or a file beside it
(scenario.yaml, metrics, LLM recording), is not the one signed.

    KEY       distsafe-ed25519-secret-key <64 hex digits: the 32-byte seed>     (mode 0600)
    KEY.pub   distsafe-ed25519-public-key <64 hex digits>

    signature.json  {"format": "distsafe-run-signature", "version": 1, "algorithm": "ed25519",
                     "public_key": hex, "signed": {...}, "signature": hex}

`signed` holds the log's name, final hash, event count and status, the scenario id and seed, and the
sha256 of every other file the run wrote; the signature covers its canonical JSON (sorted keys, no spaces).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from distsafe.scenarios.loader import ScenarioError
from distsafe.scenarios.run_files import RECORDING_NAME, SIGNATURE_NAME, sha256_of

SECRET_TAG = "distsafe-ed25519-secret-key"
PUBLIC_TAG = "distsafe-ed25519-public-key"
SIGNATURE_FORMAT = "distsafe-run-signature"
#: the files beside the log whose sha256 is signed (when the run wrote them)
SIGNED_FILES = ("scenario.yaml", "metrics.csv", "metrics.json", "metrics.png", RECORDING_NAME)
_MAX_KEY_FILE = 4096
_MAX_SIGNATURE_FILE = 1 << 20


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def fingerprint(public_key_hex: str) -> str:
    """A short name for a public key: the first 16 hex digits of its sha256."""
    return hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()[:16]


# ---- keys ------------------------------------------------------------------------------------------------
def keygen(path: Path) -> tuple[Path, str]:
    """Write a new key pair: `path` (secret, mode 0600) and `path.pub`; refuses to overwrite either.
    Returns the public key file and the public key (hex)."""
    pub_path = path.with_name(path.name + ".pub")
    for p in (path, pub_path):
        if p.exists() or p.is_symlink():
            raise ScenarioError(f"{p}: already exists; keygen never overwrites a key (choose another name)")
    if not path.parent.is_dir():
        raise ScenarioError(f"{path.parent}: no such folder")
    key = SigningKey.generate()
    public = key.verify_key.encode().hex()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"{SECRET_TAG} {key.encode().hex()}\n")
    pub_path.write_text(f"{PUBLIC_TAG} {public}\n")
    return pub_path, public


def _key_hex(path: Path, tag: str) -> str:
    if not path.is_file():
        raise ScenarioError(f"{path}: no such key file")
    if path.stat().st_size > _MAX_KEY_FILE:
        raise ScenarioError(f"{path}: not a distsafe key file (too large)")
    try:
        words = path.read_text(encoding="ascii").split()
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a distsafe key file") from None
    if len(words) == 2 and words[0] in (SECRET_TAG, PUBLIC_TAG) and words[0] != tag:
        kind = "public" if tag == PUBLIC_TAG else "secret"
        raise ScenarioError(f"{path}: holds a {words[0].split('-')[2]} key, not a {kind} key")
    if len(words) != 2 or words[0] != tag or len(words[1]) != 64:
        raise ScenarioError(f"{path}: not a distsafe key file (expected '{tag} <64 hex digits>')")
    try:
        bytes.fromhex(words[1])
    except ValueError:
        raise ScenarioError(f"{path}: not a distsafe key file (the key is not hex)") from None
    return words[1]


def load_signing_key(path: Path) -> SigningKey:
    """The secret key in `path`; refused when other users may read the file (like ssh does)."""
    hex_key = _key_hex(path, SECRET_TAG)
    mode = stat.S_IMODE(path.stat().st_mode)
    if os.name == "posix" and mode & 0o077:
        raise ScenarioError(
            f"{path}: secret key file is readable by others (mode {mode:o}); chmod 600 {path}"
        )
    return SigningKey(bytes.fromhex(hex_key))


def load_public_key(path: Path) -> str:
    """The public key (hex) in `path`, checked to be a valid Ed25519 point."""
    hex_key = _key_hex(path, PUBLIC_TAG)
    try:
        VerifyKey(bytes.fromhex(hex_key))
    except Exception:  # noqa: BLE001 - nacl raises several types for a bad point
        raise ScenarioError(f"{path}: not a valid Ed25519 public key") from None
    return hex_key


# ---- signing and checking a run folder ------------------------------------------------------------------
def signed_payload(folder: Path, log: str, status: str) -> dict[str, Any]:
    """What a signature covers for the run in `folder` whose log is `folder/log`."""
    from distsafe.eventlog import log_info

    info = log_info(folder / log)
    return {
        "format": SIGNATURE_FORMAT,
        "version": 1,
        "log": log,
        "log_final_hash": info.last_hash,
        "n_events": info.n_events,
        "status": status,
        "scenario": info.header.get("scenario"),
        "seed": info.header.get("seed"),
        "files": {name: sha256_of(folder / name) for name in SIGNED_FILES if (folder / name).is_file()},
    }


def sign_run_folder(folder: Path, log: str, key: SigningKey, status: str) -> dict[str, Any]:
    """Write `folder/signature.json` for the run whose log is `folder/log`; returns its content."""
    payload = signed_payload(folder, log, status)
    doc = {
        "format": SIGNATURE_FORMAT,
        "version": 1,
        "algorithm": "ed25519",
        "public_key": key.verify_key.encode().hex(),
        "signed": payload,
        "signature": key.sign(canonical(payload)).signature.hex(),
    }
    (folder / SIGNATURE_NAME).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return doc


@dataclass
class SignatureCheck:
    ok: bool
    message: str


def check_signature(log_path: Path, last_hash: str, n_events: int, public_key_hex: str) -> SignatureCheck:
    """Check the signature.json beside `log_path` against the trusted `public_key_hex`: the signature, the
    log's final hash and event count, and the sha256 of each signed file that is present."""
    log_path = Path(log_path)
    folder = log_path.parent
    sig_path = folder / SIGNATURE_NAME
    fp = fingerprint(public_key_hex)
    if not sig_path.is_file():
        return SignatureCheck(False, f"no {SIGNATURE_NAME} beside the log: the run is not signed")
    if sig_path.stat().st_size > _MAX_SIGNATURE_FILE:
        return SignatureCheck(False, f"{SIGNATURE_NAME} is too large to be a signature file")
    try:
        doc = json.loads(sig_path.read_bytes())
        payload = doc["signed"]
        signature = bytes.fromhex(doc["signature"])
        if not isinstance(payload, dict) or doc.get("format") != SIGNATURE_FORMAT or len(signature) != 64:
            raise ValueError("not a run signature")
        message = canonical(payload)
    except (ValueError, KeyError, TypeError, RecursionError):
        return SignatureCheck(False, f"{SIGNATURE_NAME} is not a distsafe run signature")
    try:
        VerifyKey(bytes.fromhex(public_key_hex)).verify(message, signature)
    except (BadSignatureError, ValueError, TypeError):
        signer = doc.get("public_key")
        other = (
            f" (it names key {fingerprint(signer)})"
            if isinstance(signer, str) and len(signer) == 64 and signer != public_key_hex and _is_hex(signer)
            else ""
        )
        return SignatureCheck(False, f"{SIGNATURE_NAME} is not a valid signature by key {fp}{other}")
    if payload.get("log") != log_path.name:
        return SignatureCheck(False, f"the signature is for the log {str(payload.get('log'))[:80]!r}")
    if payload.get("log_final_hash") != last_hash or payload.get("n_events") != n_events:
        signed_hash = str(payload.get("log_final_hash"))[:16]
        return SignatureCheck(
            False,
            f"the log is not the one signed: signed {payload.get('n_events')} events ending in hash "
            f"{signed_hash}..., the log has {n_events} ending in {last_hash[:16]}...",
        )
    raw_files = payload.get("files")
    files: dict[str, Any] = raw_files if isinstance(raw_files, dict) else {}
    missing = []
    for name, digest in sorted(files.items()):
        p = folder / str(name)
        if name not in SIGNED_FILES:
            continue
        if not p.is_file():
            missing.append(name)
        elif sha256_of(p) != digest:
            return SignatureCheck(False, f"{name} beside the log is not the one signed (sha256 differs)")
    note = f"; not present, so not checked: {', '.join(missing)}" if missing else ""
    return SignatureCheck(
        True, f"signed by key {fp}: the log and {len(files) - len(missing)} file(s) match{note}"
    )


def _is_hex(s: str) -> bool:
    try:
        bytes.fromhex(s)
    except ValueError:
        return False
    return True
