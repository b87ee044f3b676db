"""Load scenario YAML with errors that name the file, line and field path; apply `a.b=value` overrides.

Scenario files are untrusted input (docs/security-scenarios.md). One parser, `BoundedLoader`, reads every
YAML a scenario is made of (the file and each `-o` value) and refuses, with the line, while it composes the
document (before any Python object is built): a file over `max_yaml_bytes`; more than `max_yaml_nodes`
nodes counted after alias expansion (a "billion laughs" bomb anywhere in the document); nesting deeper than
`max_yaml_depth` (directly or through aliases); recursive aliases; duplicate keys; and keys that are not
strings (`1:`, `on:`, `null:`, complex keys). The numbers are checked by the config models
(`distsafe.models.config_base`), the run's size against the caps (`distsafe.core.limits`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from distsafe.core.limits import Limits
from distsafe.scenarios.social_criteria import social_problem
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


_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


class YAMLLimitError(yaml.YAMLError):
    """The document breaks one of the YAML rules or caps; `mark` is where."""

    def __init__(self, message: str, mark: yaml.Mark | None):
        super().__init__(message)
        self.message, self.mark = message, mark


class BoundedLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` that counts, for every node as it is composed, its size after alias expansion and
    its depth, and checks keys. Construction then only runs on a document known to be small."""

    def __init__(self, stream: str, limits: Limits):
        super().__init__(stream)
        self.limits = limits
        self._size: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded nodes, expanded depth)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> Any:
        self._depth += 1
        if self._depth > self.limits.max_yaml_depth:
            mark = self.peek_event().start_mark
            raise YAMLLimitError(self._over("max_yaml_depth", "nested deeper than"), mark)
        try:
            is_alias = self.check_event(yaml.AliasEvent)
            alias_mark = self.peek_event().start_mark if is_alias else None
            node: yaml.Node = super().compose_node(parent, index)  # type: ignore[assignment]
        finally:
            self._depth -= 1
        if is_alias:
            if id(node) not in self._size:
                raise YAMLLimitError("recursive alias (an anchor used inside itself)", alias_mark)
            return node
        if isinstance(node, yaml.MappingNode):
            self._check_keys(node)
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            children = []
        sizes = [self._size[id(c)] for c in children]
        total = 1 + sum(n for n, _ in sizes)
        depth = 1 + max((d for _, d in sizes), default=0)
        if total > self.limits.max_yaml_nodes:
            raise YAMLLimitError(
                self._over("max_yaml_nodes", "more nodes (after alias expansion) than"), node.start_mark
            )
        if depth > self.limits.max_yaml_depth:
            raise YAMLLimitError(
                self._over("max_yaml_depth", "nested (through aliases) deeper than"), node.start_mark
            )
        self._size[id(node)] = (total, depth)
        return node

    def _over(self, field: str, what: str) -> str:
        return f"{what} {getattr(self.limits, field):,} ({self.limits.how_to_raise(field)})"

    @staticmethod
    def _check_keys(node: yaml.MappingNode) -> None:
        seen: dict[str, int] = {}
        for key, _value in node.value:
            if key.tag == _MERGE_TAG:
                continue
            if not isinstance(key, yaml.ScalarNode):
                raise YAMLLimitError("a key must be a plain string, not a list or mapping", key.start_mark)
            if key.tag != _STR_TAG:
                raise YAMLLimitError(
                    f"key {key.value!r} is read as {key.tag.rsplit(':', 1)[-1]}, not a string (quote it)",
                    key.start_mark,
                )
            if key.value in seen:
                raise YAMLLimitError(
                    f"duplicate key {key.value!r} (first at line {seen[key.value]})", key.start_mark
                )
            seen[key.value] = key.start_mark.line + 1


def _compose(text: str, limits: Limits) -> tuple[yaml.Node | None, Any]:
    """The document's node tree and its Python value, read by `BoundedLoader`."""
    if (
        len(text) > limits.max_yaml_bytes
        or len(text.encode("utf-8", "surrogatepass")) > limits.max_yaml_bytes
    ):
        raise YAMLLimitError(
            f"larger than {limits.max_yaml_bytes:,} bytes ({limits.how_to_raise('max_yaml_bytes')})", None
        )
    loader = BoundedLoader(text, limits)
    try:
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()


def _yaml_problem(e: yaml.YAMLError) -> tuple[yaml.Mark | None, str]:
    if isinstance(e, YAMLLimitError):
        return e.mark, e.message
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or str(e).splitlines()[0]
    return mark, f"malformed YAML: {problem}"


def parse_override(text: str, limits: Limits | None = None) -> tuple[list[str], Any]:
    if "=" not in text:
        raise ScenarioError(f"override {text!r} must look like path.to.field=value")
    path, _, raw = text.partition("=")
    keys = [k for k in path.strip().split(".")]
    if not path.strip() or any(not k for k in keys):
        raise ScenarioError(f"override {text!r} has an empty path segment")
    try:
        value = _compose(raw, limits or Limits.current())[1] if raw.strip() else ""
    except yaml.YAMLError as e:
        problem = _yaml_problem(e)[1].removeprefix("malformed YAML: ")
        raise ScenarioError(f"override {text!r}: value is not valid YAML ({problem})") from None
    except (RecursionError, MemoryError):
        raise ScenarioError(f"override {text!r}: value is too large or too deeply nested") from None
    return keys, value


#: keys that name one setting in two spellings (ours and the seeds'), by section: an override of one
#: replaces the other, so `--epochs 5` works on a file that says `simulation: epochs:`
SYNONYMS: dict[str, tuple[frozenset[str], ...]] = {
    "simulation": (frozenset({"n_epochs", "epochs"}),),
    "governance": (frozenset({"reputation_decay_rate", "reputation_decay"}),),
}


def _drop_synonyms(node: dict[str, Any], section: str, key: str) -> None:
    for group in SYNONYMS.get(section, ()):
        if key in group:
            for other in group - {key}:
                node.pop(other, None)


def apply_overrides(
    data: dict[str, Any], overrides: list[str] | None, limits: Limits | None = None
) -> dict[str, Any]:
    """Set dotted paths in the raw scenario data (lists are indexed by number: agents.0.count=3)."""
    for text in overrides or []:
        keys, value = parse_override(text, limits)
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
                    if depth == 1:
                        _drop_synonyms(node, keys[0], k)
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
    text: str,
    source: str = "<scenario>",
    overrides: list[str] | None = None,
    limits: Limits | None = None,
    lenient: bool = False,
) -> ScenarioSpec:
    """Parse, validate and size-check a scenario. Every problem is a `ScenarioError` with one line.

    The reference implementation's spellings are mapped first (`swarm_compat.translate`); a field of a
    feature distsafe does not have is an error naming the feature, or, with `lenient`, dropped and listed
    in the spec's `ignored_fields`."""
    caps = limits or Limits.current()
    root, data = read_yaml(text, source, caps)
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: a scenario must be a YAML mapping (scenario_id, agents, ...)")
    data = apply_overrides(data, overrides, caps)
    data, ignored, no_ops = _from_reference(data, source, root, lenient)
    try:
        spec = ScenarioSpec.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(_format_errors(source, e, root)) from None
    except (RecursionError, MemoryError):
        raise ScenarioError(f"{source}: too large or too deeply nested to validate") from None
    check_run_size(spec, caps, source, root)
    found = social_problem(spec)  # network over these agents, capabilities without composite tasks
    if found is not None:
        loc, msg = found
        line = _line_of(root, loc)
        raise ScenarioError(f"{source}:{line}: {'.'.join(str(p) for p in loc)}: {msg}" if line else
                            f"{source}: {'.'.join(str(p) for p in loc)}: {msg}")  # fmt: skip
    if ignored or no_ops:
        spec = spec.model_copy(update={"ignored_fields": ignored, "no_op_fields": no_ops})
    return spec


def _from_reference(
    data: dict[str, Any], source: str, root: yaml.Node | None, lenient: bool
) -> tuple[dict[str, Any], list[str], list[str]]:
    """`data` with the reference format's names mapped (scenarios.swarm_compat), the fields ignored under
    `lenient` and the fields dropped as no-ops; ScenarioError naming the first missing feature otherwise."""
    from distsafe.scenarios.swarm_compat import translate

    try:
        tr = translate(data)
    except ValueError as e:
        raise ScenarioError(f"{source}: {e}") from None
    if tr.unsupported and not lenient:
        first = tr.unsupported[0]
        line = _line_of(root, first.path)
        where = f"{source}:{line}" if line else source
        n = len(tr.unsupported) - 1
        more = f" (and {n} more field{'s' if n > 1 else ''} of missing features)" if n else ""
        raise ScenarioError(
            f"{where}: {first.dotted}: {first.feature} is not in distsafe "
            f"(`distsafe run --lenient` ignores such fields){more}"
        )
    return tr.data, [f"{u.dotted} ({u.feature})" for u in tr.unsupported], tr.no_ops


def check_run_size(
    spec: ScenarioSpec, limits: Limits, source: str = "<scenario>", root: yaml.Node | None = None
) -> None:
    """ScenarioError if the run `spec` describes is over a cap (the scenario's `limits:` can lower them)."""
    try:
        caps = limits.lowered(spec.limits.model_dump())
    except ValueError as e:
        line = _line_of(root, ("limits",))
        raise ScenarioError(f"{source}:{line}: limits.{e}" if line else f"{source}: limits.{e}") from None
    sim = spec.simulation
    found = caps.run_problem(spec.n_agents, sim.n_epochs, sim.steps_per_epoch)
    if found is None:
        return
    field, message = found
    loc: tuple[Any, ...] = ("agents",) if field == "max_agents" else ("simulation",)
    if field == "max_epochs":
        loc = (
            ("simulation", "n_epochs")
            if _line_of(root, ("simulation", "n_epochs"))
            else ("simulation", "epochs")
        )
    elif field == "max_steps_per_epoch":
        loc = ("simulation", "steps_per_epoch")
    line = _line_of(root, loc)
    where = f"{source}:{line}" if line else source
    raise ScenarioError(f"{where}: {'.'.join(loc)}: {message}")


def load_scenario(
    path: str | Path, overrides: list[str] | None = None, limits: Limits | None = None, lenient: bool = False
) -> ScenarioSpec:
    """Read and validate a scenario file (or the name of a shipped scenario)."""
    caps = limits or Limits.current()
    p = resolve_scenario(path)
    try:
        size = p.stat().st_size
        if size > caps.max_yaml_bytes:
            raise ScenarioError(
                f"{p}: {size:,} bytes, larger than {caps.max_yaml_bytes:,} "
                f"({caps.how_to_raise('max_yaml_bytes')})"
            )
        with p.open("rb") as f:  # never read more than the cap, whatever stat said (a pipe, a growing file)
            raw = f.read(caps.max_yaml_bytes + 1)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(f"{p}: cannot read scenario ({str(e).splitlines()[0]})") from None
    return scenario_from_text(text, str(p), overrides, caps, lenient)


# ---- the same reading and errors for the other YAML files a run is made of (sweep specs) ----------------
def read_yaml(text: str, source: str, limits: Limits | None = None) -> tuple[yaml.Node | None, Any]:
    """(node tree, value) of a YAML document read by `BoundedLoader`; a problem is one `ScenarioError`
    line `source:line: message`."""
    try:
        return _compose(text, limits or Limits.current())
    except yaml.YAMLError as e:
        mark, problem = _yaml_problem(e)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise ScenarioError(f"{where}: {problem}") from None
    except (RecursionError, MemoryError):
        raise ScenarioError(f"{source}: too large or too deeply nested to read") from None


def line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the node at `loc` (keys and list indices) in a tree from `read_yaml`."""
    return _line_of(root, loc)


def format_validation_error(source: str, err: ValidationError, root: yaml.Node | None) -> str:
    """A pydantic error as the loader's one line: `source:line: field.path: message`."""
    return _format_errors(source, err, root)
