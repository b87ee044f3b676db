"""The provider layer's import graph: every module imports alone in a fresh interpreter, providers import only
the contract, the errors and the shared helpers (never each other, never the dry-run provider), no module
imports the agents, and the package has no import circle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import distsafe.llm

PACKAGE = Path(distsafe.llm.__file__).parent
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
PROVIDERS = ("anthropic_provider", "openai_provider", "ollama_provider", "dry_run")
PROVIDER_MAY_IMPORT = {"distsafe.llm.contract", "distsafe.llm.errors", "distsafe.llm._shared"}


def distsafe_imports(module: str, *, top_level_only: bool) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("distsafe"):
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("distsafe")}
    return out


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_alone(module):
    code = f"import distsafe.llm.{module}"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_providers_import_only_the_contract_errors_and_helpers(provider):
    assert distsafe_imports(provider, top_level_only=False) <= PROVIDER_MAY_IMPORT


def test_the_provider_layer_never_imports_the_agents():
    for module in [*MODULES, "__init__"]:
        assert not any(
            m.startswith("distsafe.agents") for m in distsafe_imports(module, top_level_only=False)
        )


def test_no_import_circle():
    graph = {
        m: {
            i.removeprefix("distsafe.llm.")
            for i in distsafe_imports(m, top_level_only=True)
            if i.startswith("distsafe.llm.")
        }
        for m in MODULES
    }
    done: set[str] = set()

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, f"import circle: {' -> '.join((*path, node))}"
        if node in done:
            return
        for nxt in graph.get(node, ()):
            visit(nxt, (*path, node))
        done.add(node)

    for m in MODULES:
        visit(m, ())
