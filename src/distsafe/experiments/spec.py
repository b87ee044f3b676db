"""Sweep specs: the YAML a `distsafe sweep` reads, validated like scenarios (one line: file, line, field).

    name: governance_12                 # default: the file's stem
    base: baseline                      # a scenario file (relative to this file, then to the cwd) or a
                                        # shipped scenario's name
    overrides: [simulation.n_epochs=10] # applied to the base before every configuration
    design: grid                        # grid | random | sobol | lhs | configs
    samples: 16                         # points of a random / sobol / lhs design
    design_seed: 0                      # the random / quasi-random design's own seed
    seeds: 10                           # runs per configuration (seed 001's runs_per_config) ...
    seed_base: 0                        # ... at seeds seed_base .. seed_base + seeds - 1, the same for
                                        # every configuration, so that runs pair by seed
    parameters:                         # grid: values; random/sobol/lhs: range [low, high] or values
      - {name: governance.transaction_tax_rate, values: [0.0, 0.05, 0.1]}
      - {name: governance.audit_probability, range: [0.0, 0.5]}
    configs:                            # design: configs: named configurations, each a set of paths
      - {name: baseline, set: {}}
      - {name: audits, set: {governance.audit_enabled: true}}
    baseline: baseline                  # the report's reference configuration (default: the first)
    metrics: [avg_toxicity, ...]        # the report's summary metrics (default: REPORT_METRICS)
    run_folders: false                  # true: every run also writes its run folder under DIR/run_folders

A parameter's `name` is a dotted path into the scenario (`governance.*`, `payoff.*`, `agents.<i>.*`,
`simulation.*`, any other section), as `distsafe run -o` takes it. `check_plan` (in `plan.py`) checks
every path and value against the base scenario before anything is written.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError, model_validator

from distsafe.models.config_base import ConfigModel
from distsafe.scenarios.loader import ScenarioError, format_validation_error, line_of, read_yaml

#: configuration names become file names (run ids): letters, digits, `_`, `-`, `.`
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DESIGNS = ("grid", "random", "sobol", "lhs", "configs")

Scalar = bool | int | float | str | None


class ParameterSpec(ConfigModel):
    """One swept parameter: a dotted path and its values (grid) or range (random / sobol / lhs)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    values: list[Scalar] | None = None
    range: tuple[float, float] | None = None
    #: a range sampled on a log scale (both ends > 0)
    log: bool = False
    #: a range whose samples are rounded to integers
    integer: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> ParameterSpec:
        if (self.values is None) == (self.range is None):
            raise ValueError("give either values or range")
        if self.values is not None and not self.values:
            raise ValueError("values is empty: give at least one value")
        if self.range is not None:
            lo, hi = self.range
            if not lo < hi:
                raise ValueError(f"range [{lo:g}, {hi:g}] is empty: the low end must be below the high end")
            if self.log and lo <= 0:
                raise ValueError("a log range needs both ends above 0")
        elif self.log or self.integer:
            raise ValueError("log and integer apply to a range only")
        return self


class ConfigEntry(ConfigModel):
    """A named configuration of a `configs` design: dotted path -> value."""

    model_config = ConfigDict(extra="forbid")

    name: str
    set: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _name_ok(self) -> ConfigEntry:
        if not NAME_RE.match(self.name):
            raise ValueError(f"name {self.name!r}: use letters, digits, '_', '-', '.' (at most 64)")
        return self


class SweepSpec(ConfigModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="sweep", min_length=1)
    description: str = ""
    base: str = Field(min_length=1)
    overrides: list[str] = Field(default_factory=list)
    design: Literal["grid", "random", "sobol", "lhs", "configs"] = "grid"
    samples: int | None = Field(default=None, ge=1, le=100_000)
    design_seed: int = Field(default=0, ge=0)
    seeds: int = Field(default=1, ge=1, le=100_000)
    seed_base: int = Field(default=0, ge=0)
    parameters: list[ParameterSpec] = Field(default_factory=list)
    configs: list[ConfigEntry] = Field(default_factory=list)
    baseline: str | None = None
    metrics: list[str] = Field(default_factory=list)
    run_folders: bool = False

    def design_problem(self) -> tuple[tuple[Any, ...], str] | None:
        """(where, what) of the first way the design and its parameters or configs do not fit; None if
        they fit (checked after validation, so that the error names the field's line)."""
        if self.design == "configs":
            if not self.configs:
                return ("configs",), "design configs needs a non-empty configs list"
            if self.parameters:
                return ("parameters",), "design configs takes configs, not parameters"
            names = [c.name for c in self.configs]
            for j, n in enumerate(names):
                if n in names[:j]:
                    return ("configs", j, "name"), f"two configs are named {n!r}"
        else:
            if self.configs:
                return ("configs",), f"configs belong to design configs, not {self.design}"
            if not self.parameters:
                return ("design",), f"design {self.design} needs at least one parameter"
            if self.design == "grid":
                for i, p in enumerate(self.parameters):
                    if p.values is None:
                        return (
                            "parameters",
                            i,
                            "range",
                        ), "a grid takes values for every parameter, not a range"
            elif self.samples is None:
                return ("design",), f"design {self.design} needs samples (how many points)"
        names = [p.name for p in self.parameters]
        for i, n in enumerate(names):
            if n in names[:i]:
                return ("parameters", i, "name"), f"parameter {n!r} is listed twice"
        return None


class SpecSource:
    """A sweep spec with what its errors need: the text, its node tree and the file name."""

    def __init__(self, text: str, source: str, root: Any, spec: SweepSpec, folder: Path):
        self.text, self.source, self.root, self.spec, self.folder = text, source, root, spec, folder


def parse_sweep_spec(text: str, source: str = "<sweep>", folder: Path | None = None) -> SpecSource:
    """Read and validate a sweep spec's text; every problem is one `ScenarioError` line."""
    root, data = read_yaml(text, source)
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: a sweep spec must be a YAML mapping (base, design, parameters, ...)")
    if "name" not in data and source not in ("<sweep>", ""):
        data = {**data, "name": Path(source).stem}
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(format_validation_error(source, e, root)) from None
    problem = spec.design_problem()
    if problem is not None:
        loc, msg = problem
        line = line_of(root, loc)
        path = ".".join(str(p) for p in loc)
        raise ScenarioError(f"{source}:{line}: {path}: {msg}" if line else f"{source}: {path}: {msg}")
    return SpecSource(text, source, root, spec, folder or Path("."))


def load_sweep_spec(path: str | Path) -> SpecSource:
    p = Path(path)
    try:
        raw = p.read_bytes()
        if len(raw) > 1_000_000:
            raise ScenarioError(f"{p}: a sweep spec over 1 MB")
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(f"{p}: cannot read sweep spec ({str(e).splitlines()[0]})") from None
    return parse_sweep_spec(text, str(p), p.parent)
