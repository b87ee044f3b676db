"""The names of the files in a run folder, and their digest: shared by the folder writer and the signer."""

from __future__ import annotations

import hashlib
from pathlib import Path

RECORDING_NAME = "llm_recording.jsonl"
SIGNATURE_NAME = "signature.json"
MANIFEST_NAME = "manifest.json"
LOG_NAMES = ("events.jsonl", "events.parquet.d")
#: every name a run may write into its folder
RUN_FILES = (
    *LOG_NAMES,
    "metrics.csv",
    "metrics.json",
    "metrics.png",
    "scenario.yaml",
    RECORDING_NAME,
    SIGNATURE_NAME,
    MANIFEST_NAME,
)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file():
                h.update(p.relative_to(path).as_posix().encode())
                h.update(p.read_bytes())
        return h.hexdigest()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
