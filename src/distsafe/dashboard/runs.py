"""Starting a run from the dashboard: check the scenario and the lever settings as `distsafe run` does (the
same loader, the same one-line error), then run `distsafe run ... --out DIR` as a child process, whose event
log the dashboard follows like that of any run started from the command line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from distsafe.governance.config import GovernanceConfig
from distsafe.scenarios.loader import ScenarioError, load_scenario
from distsafe.scenarios.spec import ScenarioSpec

#: the subfolder of the runs folder where uploaded scenario files are kept (under their own names)
UPLOADS = "uploads"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def one_line_error(exc: BaseException) -> str:
    """The line `distsafe run` prints for a scenario problem (`error: file:line: field: message`)."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        msg = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    else:
        text = str(exc).strip()
        msg = text.splitlines()[0] if text else type(exc).__name__
    return f"error: {msg}"


def lever_fields() -> dict[str, Any]:
    """The lever settings a run can set from the dashboard: GovernanceConfig's scalar fields and their
    defaults (lists and maps, such as RBAC's roles, are set in the scenario file)."""
    scalar = (type(None), bool, int, float, str)
    return {
        name: f.default for name, f in GovernanceConfig.model_fields.items() if isinstance(f.default, scalar)
    }


def as_text(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def lever_overrides(spec: ScenarioSpec, values: dict[str, str]) -> list[str]:
    """`governance.<field>=<text>` for each lever setting that differs from the scenario's value."""
    current = spec.governance.model_dump(mode="json")
    out = []
    for name, text in values.items():
        text = text.strip()
        if text and text != as_text(current.get(name)):
            out.append(f"governance.{name}={text}")
    return out


def save_upload(runs_dir: Path, name: str, data: bytes) -> Path:
    """Keep an uploaded scenario file (as data: it is only ever parsed by the bounded YAML loader)."""
    folder = runs_dir / UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    safe = _SAFE_NAME.sub("_", Path(name).name) or "scenario.yaml"
    path = folder / safe
    path.write_bytes(data)
    return path


@dataclass
class Checked:
    spec: ScenarioSpec | None
    overrides: list[str]
    error: str | None


def check_scenario(
    scenario: str | Path, overrides: list[str], epochs: int | None, seed: int | None
) -> Checked:
    """Load the scenario with the overrides as `distsafe run` would; the error line if it is refused."""
    ov = list(overrides)
    if epochs is not None:
        ov.append(f"simulation.n_epochs={epochs}")
    if seed is not None:
        ov.append(f"simulation.seed={seed}")
    try:
        return Checked(load_scenario(scenario, ov), ov, None)
    except (ScenarioError, ValidationError, FileNotFoundError) as e:
        return Checked(None, ov, one_line_error(e))


def new_run_dir(runs_dir: Path, scenario_id: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = f"{_SAFE_NAME.sub('_', scenario_id)[:40]}-{stamp}"
    path = runs_dir / base
    i = 1
    while path.exists():
        i += 1
        path = runs_dir / f"{base}-{i}"
    return path


def start_run(scenario: str | Path, overrides: list[str], out_dir: Path) -> subprocess.Popen[bytes]:
    """`distsafe run SCENARIO -o ... --out OUT_DIR -q` as a child process; its output goes to
    `OUT_DIR.log` beside the run folder."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "distsafe.cli", "run", str(scenario), "--out", str(out_dir), "-q"]
    for o in overrides:
        cmd += ["-o", o]
    log = out_dir.parent / f"{out_dir.name}.log"
    with log.open("wb") as fh:
        return subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=dict(os.environ))


def run_error(out_dir: Path) -> str | None:
    """The `error:` line of a run the dashboard started, once it has ended with one."""
    log = out_dir.parent / f"{out_dir.name}.log"
    if not log.is_file():
        return None
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("error:"):
            return line
    return None
