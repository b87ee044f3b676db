"""Load scenario YAML with errors that name the file, line and field path; apply `a.b=value` overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from distsafe.scenarios.spec import ScenarioSpec

DATA_DIR = Path(__file__).parent / "data"


class ScenarioError(ValueError):
    """A scenario problem, with a one-line message fit to show a user."""


def list_scenarios() -> dict[str, Path]:
    """The scenarios shipped with distsafe: name -> file."""
    return {p.stem: p for p in sorted(DATA_DIR.glob("*.yaml"))}


def resolve_scenario(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if p.is_file():
        return p
    shipped = list_scenarios()
    if str(name_or_path) in shipped:
        return shipped[str(name_or_path)]
    if p.suffix in (".yaml", ".yml") and p.stem in shipped and not p.exists():
        raise ScenarioError(
            f"{p}: no such file (a shipped scenario is named {p.stem!r}: run it by that name)"
        )
    raise ScenarioError(
        f"{name_or_path}: no such scenario file or shipped scenario (shipped: {', '.join(shipped) or 'none'})"
    )


def parse_override(text: str) -> tuple[list[str], Any]:
    if "=" not in text:
        raise ScenarioError(f"override {text!r} must look like path.to.field=value")
    path, _, raw = text.partition("=")
    keys = [k for k in path.strip().split(".")]
    if not path.strip() or any(not k for k in keys):
        raise ScenarioError(f"override {text!r} has an empty path segment")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as e:
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ScenarioError(f"override {text!r}: value is not valid YAML ({problem})") from None
    return keys, value


def apply_overrides(data: dict[str, Any], overrides: list[str] | None) -> dict[str, Any]:
    """Set dotted paths in the raw scenario data (lists are indexed by number: agents.0.count=3)."""
    for text in overrides or []:
        keys, value = parse_override(text)
        node: Any = data
        for depth, k in enumerate(keys):
            last = depth == len(keys) - 1
            where = ".".join(keys[: depth + 1])
            if isinstance(node, list):
                if not k.isdigit() or int(k) >= len(node):
                    raise ScenarioError(
                        f"override {text!r}: {where} is not an index of a {len(node)}-item list"
                    )
                if last:
                    node[int(k)] = value
                else:
                    node = node[int(k)]
            elif isinstance(node, dict):
                if last:
                    node[k] = value
                else:
                    if node.get(k) is None:
                        node[k] = {}
                    node = node[k]
            else:
                raise ScenarioError(f"override {text!r}: {'.'.join(keys[:depth])} is a value, not a section")
    return data


def _line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML node at a pydantic error location (nearest existing ancestor)."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        nxt = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if getattr(k, "value", None) == str(part):
                    nxt = v
                    line = k.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            nxt = node.value[part]
            line = nxt.start_mark.line + 1
        if nxt is None:
            break
        node = nxt
    return line


def _format_errors(source: str, err: ValidationError, root: yaml.Node | None) -> str:
    errors = err.errors()
    first = errors[0]
    loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    path = ".".join(str(p) for p in loc) or "(top level)"
    line = _line_of(root, loc)
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        msg = "unknown field"
    where = f"{source}:{line}" if line else source
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{where}: {path}: {msg}{more}"


def scenario_from_text(
    text: str, source: str = "<scenario>", overrides: list[str] | None = None
) -> ScenarioSpec:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ScenarioError(f"{where}: malformed YAML: {problem}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: a scenario must be a YAML mapping (scenario_id, agents, ...)")
    data = apply_overrides(data, overrides)
    try:
        return ScenarioSpec.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(_format_errors(source, e, root)) from None


def load_scenario(path: str | Path, overrides: list[str] | None = None) -> ScenarioSpec:
    """Read and validate a scenario file (or the name of a shipped scenario)."""
    p = resolve_scenario(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(f"{p}: cannot read scenario ({e})") from None
    return scenario_from_text(text, str(p), overrides)
