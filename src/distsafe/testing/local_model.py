"""The local model for tests: re-exported from `distsafe.llm.local_server`, where the runs that ask for it
(`llm: {local_model: ...}`) also find it."""

from __future__ import annotations

from distsafe.llm.local_server import (
    DEFAULT_ALIAS,
    SMOLLM2_GGUF,
    LocalModelServer,
    free_port,
    local_model_missing,
    smollm2_gguf_path,
)

__all__ = [
    "DEFAULT_ALIAS",
    "SMOLLM2_GGUF",
    "LocalModelServer",
    "free_port",
    "local_model_missing",
    "smollm2_gguf_path",
]
