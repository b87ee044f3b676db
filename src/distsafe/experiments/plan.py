"""A sweep's plan: the base scenario, every configuration checked against it, and the runs (tasks).

Nothing is written while planning: a bad spec (an unknown dotted path, an empty range, a non-numeric value
for a numeric setting, a configuration the scenario model refuses) fails here, in one `ScenarioError` line
that names the sweep file, the line and the field.

Every run is a `RunTask`: the base scenario's YAML text, the overrides that make its configuration, and
its seed. A worker rebuilds the scenario from exactly that (`tasks.execute_run`), so a run is a pure
function of its task, whichever process or machine runs it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from distsafe.experiments.designs import design_points
from distsafe.experiments.spec import SpecSource, SweepSpec
from distsafe.scenarios.loader import ScenarioError, line_of, resolve_scenario, scenario_from_text
from distsafe.scenarios.spec import ScenarioSpec


@dataclass(frozen=True)
class RunTask:
    """One run: everything a worker needs, and nothing from the driver's disk."""

    run_id: str
    config_id: str
    config_index: int
    seed: int
    scenario_text: str
    scenario_source: str
    overrides: tuple[str, ...]
    #: (dotted path, resolved value) of every swept parameter, in the plan's order
    params: tuple[tuple[str, Any], ...]
    #: where the run writes its run folder (None: no folder)
    run_folder: str | None = None


@dataclass
class ConfigPoint:
    index: int
    config_id: str
    #: dotted path -> the value as the spec gives it
    values: dict[str, Any]
    #: dotted path -> the value in the validated scenario (the parquet column's value)
    resolved: dict[str, Any]


@dataclass
class SweepPlan:
    source: SpecSource
    base_text: str
    base_source: str
    base: ScenarioSpec
    points: list[ConfigPoint]
    param_paths: list[str]
    seeds: list[int]
    param_types: dict[str, str] = field(default_factory=dict)

    @property
    def spec(self) -> SweepSpec:
        return self.source.spec

    def tasks(self, out_dir: Path | None = None) -> list[RunTask]:
        out = []
        for pt in self.points:
            ov = tuple(self.spec.overrides) + tuple(f"{k}={json.dumps(v)}" for k, v in pt.values.items())
            for s in self.seeds:
                rid = run_id(pt.config_id, s)
                folder = str(out_dir / "run_folders" / rid) if (out_dir and self.spec.run_folders) else None
                params = tuple((p, pt.resolved[p]) for p in self.param_paths)
                out.append(
                    RunTask(
                        rid, pt.config_id, pt.index, s, self.base_text, self.base_source, ov, params, folder
                    )
                )
        return out


def run_id(config_id: str, seed: int) -> str:
    return f"{config_id}__seed{seed}"


def resolve_path(spec: ScenarioSpec, path: str) -> tuple[bool, Any]:
    """(found, value) of a dotted path in a validated scenario (attributes, list indices, dict keys)."""
    node: Any = spec
    for part in path.split("."):
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return False, None
            node = node[int(part)]
        elif isinstance(node, dict):
            if part not in node:
                return False, None
            node = node[part]
        elif isinstance(node, BaseModel) and part in type(node).model_fields:
            node = getattr(node, part)
        else:
            return False, None
    return True, node


def column_value(v: Any) -> Any:
    """A resolved value as a parquet cell: scalars as they are, anything else as its JSON text."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if hasattr(v, "model_dump"):
        v = v.model_dump(mode="json")
    return json.dumps(v, sort_keys=True)


def arrow_type(values: list[Any]) -> str:
    """The one column type of a parameter's resolved values across the plan (nulls allowed)."""
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return "string"
    if kinds == {bool}:
        return "bool"
    if kinds <= {int}:
        return "int64"
    if kinds <= {int, float}:
        return "float64"
    return "string"


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _base_file(spec: SweepSpec, folder: Path) -> Path:
    near = folder / spec.base
    return near if near.is_file() else resolve_scenario(spec.base)


def make_plan(src: SpecSource, base_text: str | None = None, base_source: str | None = None) -> SweepPlan:
    """Check `src` against its base scenario and list its configurations (nothing is written). The base is
    the file `src.spec.base` names, or `base_text` (a scenario's YAML, the seed API's inline base)."""
    spec, where = src.spec, src.source

    def err(loc: tuple[Any, ...], msg: str) -> ScenarioError:
        line = line_of(src.root, loc)
        path = ".".join(str(p) for p in loc)
        return ScenarioError(f"{where}:{line}: {path}: {msg}" if line else f"{where}: {path}: {msg}")

    try:
        if base_text is None:
            base_path = _base_file(spec, src.folder)
            base_text = base_path.read_text(encoding="utf-8")
        else:
            base_path = Path(base_source or "<scenario>")
        base = scenario_from_text(base_text, str(base_path), list(spec.overrides))
    except ScenarioError as e:
        raise err(("base",), str(e)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise err(("base",), f"cannot read the base scenario ({str(e).splitlines()[0]})") from None

    raw = design_points(spec)
    # where each path's values come from in the spec, for the errors' lines
    if spec.design == "configs":
        origin = {(j, k): ("configs", j, "set", k) for j, c in enumerate(spec.configs) for k in c.set}
    else:
        origin = {}
    paths = list(dict.fromkeys(k for _, vals in raw for k in vals))
    pindex = {p.name: i for i, p in enumerate(spec.parameters)}

    def loc_of(j: int, path: str, what: str) -> tuple[Any, ...]:
        if (j, path) in origin:
            return origin[(j, path)]
        return ("parameters", pindex[path], what)

    # 1. every path exists in the scenario and its values have the setting's kind
    for path in paths:
        j0 = next(j for j, (_, vals) in enumerate(raw) if path in vals)
        found, current = resolve_path(base, path)
        if found and (_is_number(current) or isinstance(current, bool)):
            numeric = _is_number(current)
            for j, (_, vals) in enumerate(raw):
                if path not in vals:
                    continue
                v = vals[path]
                if numeric and not _is_number(v):
                    raise err(loc_of(j, path, "values"), f"{v!r} is not a number ({path} is numeric)")
                if not numeric and not isinstance(v, bool):
                    raise err(loc_of(j, path, "values"), f"{v!r} is not true/false ({path} is a switch)")
        elif not found and "." not in path:
            raise err(loc_of(j0, path, "name"), f"unknown dotted path {path!r} (no such scenario section)")

    # 2. every configuration validates as a scenario; the resolved values fill the parameter columns
    points = []
    for j, (cid, vals) in enumerate(raw):
        ov = list(spec.overrides) + [f"{k}={json.dumps(v)}" for k, v in vals.items()]
        try:
            cfg = scenario_from_text(base_text, str(base_path), ov)
        except ScenarioError as e:
            bad = next((k for k in vals if f": {k}:" in str(e) or str(e).find(f"'{k}=") >= 0), None)
            bad = bad or next(iter(vals), None)
            reason = str(e).split(": ", 2)[-1] if ": " in str(e) else str(e)
            if "unknown field" in str(e):
                reason = f"unknown dotted path {bad!r} (no such field in the scenario)"
            loc = loc_of(j, bad, "name") if bad else ("configs", j)
            raise err(loc, f"configuration {cid}: {reason}") from None
        resolved = {}
        for k in paths:
            found, v = resolve_path(cfg, k)
            if not found and k in vals:
                raise err(loc_of(j, k, "name"), f"unknown dotted path {k!r} (no such field in the scenario)")
            resolved[k] = column_value(v)
        points.append(ConfigPoint(j, cid, vals, resolved))

    if spec.baseline is not None and spec.baseline not in {p.config_id for p in points}:
        raise err(("baseline",), f"no configuration named {spec.baseline!r}")
    seeds = list(range(spec.seed_base, spec.seed_base + spec.seeds))
    types = {k: arrow_type([p.resolved[k] for p in points]) for k in paths}
    return SweepPlan(src, base_text, str(base_path), base, points, paths, seeds, types)
