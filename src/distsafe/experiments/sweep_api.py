"""Seed 001's sweep API: `SweepParameter`, `SweepConfig`, `SweepRunner` (also importable from
`distsafe.analysis`, as the seed's `from src.analysis import ...` does).

    config = SweepConfig(base_scenario=load_scenario("scenarios/baseline.yaml"),
                         parameters=[SweepParameter("governance.transaction_tax_rate", [0.0, 0.1])],
                         runs_per_config=3, seed_base=42)
    runner = SweepRunner(config)          # executor="inline" (this process); "local", "dask", "ray"
    results = runner.run()                # one SweepResult per run
    runner.to_csv(Path("results.csv"))    # one row per run: parameters, run_index, seed, summary metrics
    summary = runner.summary()            # per configuration: mean and 95% t interval of each metric

It is a grid sweep of the experiment layer (the same plan, checks and runs as `distsafe sweep`), held in
memory; with `out_dir` it also writes a sweep folder (shards, resumable). Parameter names are dotted paths
(`governance.*`, `payoff.*`, `agents.<i>.*`, `simulation.*`); the seed's bare `n_epochs` and
`steps_per_epoch` mean `simulation.n_epochs` and `simulation.steps_per_epoch`.

Seeds: configuration run r uses seed `seed_base + r`, the same seeds for every configuration (common random
numbers: the runs pair by seed, which the report's paired comparisons need). The seed's reference
implementation counted seeds up across all runs instead.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from distsafe.experiments.executors import make_executor
from distsafe.experiments.plan import SweepPlan, make_plan
from distsafe.experiments.report import REPORT_METRICS
from distsafe.experiments.runner import run_sweep
from distsafe.experiments.spec import ParameterSpec, SpecSource, SweepSpec
from distsafe.experiments.stats import mean_stats
from distsafe.scenarios.spec import ScenarioSpec

#: the seed's bare simulation settings
BARE_NAMES = {"n_epochs": "simulation.n_epochs", "steps_per_epoch": "simulation.steps_per_epoch"}


@dataclass
class SweepParameter:
    """A parameter to sweep over: a dotted path and its values."""

    name: str
    values: list[Any]

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError(f"parameter {self.name} must have at least one value")

    @property
    def path(self) -> str:
        return BARE_NAMES.get(self.name, self.name)


@dataclass
class SweepConfig:
    """A grid sweep over a base scenario."""

    base_scenario: ScenarioSpec
    parameters: list[SweepParameter] = field(default_factory=list)
    runs_per_config: int = 1
    seed_base: int = 42

    def add_parameter(self, name: str, values: list[Any]) -> SweepConfig:
        self.parameters.append(SweepParameter(name, values))
        return self

    def total_runs(self) -> int:
        n = 1
        for p in self.parameters:
            n *= len(p.values)
        return n * self.runs_per_config

    def to_spec(self) -> SweepSpec:
        if not self.parameters:
            raise ValueError("a sweep needs at least one parameter")
        spec = SweepSpec(
            name=f"{self.base_scenario.scenario_id}_sweep",
            base="<inline>",
            design="grid",
            seeds=self.runs_per_config,
            seed_base=self.seed_base,
            parameters=[ParameterSpec(name=p.path, values=list(p.values)) for p in self.parameters],
        )
        problem = spec.design_problem()
        if problem is not None:
            raise ValueError(problem[1])
        return spec


@dataclass
class SweepResult:
    """One run: its parameters (by the names given), index within its configuration, seed, summary."""

    params: dict[str, Any]
    config_id: str
    run_index: int
    seed: int
    summary: dict[str, Any]
    epochs: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {**self.params, "config_id": self.config_id, "run_index": self.run_index, "seed": self.seed,
                **self.summary}  # fmt: skip


class SweepRunner:
    def __init__(
        self,
        config: SweepConfig,
        executor: str = "inline",
        workers: int = 1,
        address: str | None = None,
        out_dir: str | Path | None = None,
    ):
        self.config, self.executor, self.workers, self.address = config, executor, workers, address
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.results: list[SweepResult] = []
        self.failures: dict[str, str] = {}
        spec = config.to_spec()
        text = yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False)
        base = config.base_scenario
        base_text = yaml.safe_dump(
            base.model_dump(mode="json", by_alias=True, exclude_unset=True), sort_keys=False
        )
        self.plan: SweepPlan = make_plan(SpecSource(text, "<sweep>", None, spec, Path(".")), base_text,
                                         f"<{base.scenario_id}>")  # fmt: skip

    def run(self) -> list[SweepResult]:
        """Run every configuration at every seed; failures are kept in `failures` (run id -> error)."""
        names = {p.path: p.name for p in self.config.parameters}
        tasks = {t.run_id: t for t in self.plan.tasks(self.out_dir)}
        index = {s: i for i, s in enumerate(self.plan.seeds)}
        got: dict[str, SweepResult] = {}
        ex = make_executor(self.executor, self.workers, self.address)
        if self.out_dir is not None:
            from distsafe.experiments.store import load_results

            run_sweep(self.plan, self.out_dir, ex)
            df = load_results(self.out_dir)
            from distsafe.experiments.store import load_summary

            for row in load_summary(self.out_dir).to_dict("records"):
                t = tasks[row["run_id"]]
                ids = ("run_id", "config_id", "config_index", "seed")
                summ = {k: v for k, v in row.items() if k not in ids and not k.startswith("param.")}
                epochs = df[df["run_id"] == t.run_id].to_dict("records")
                got[t.run_id] = SweepResult(
                    {names[p]: v for p, v in t.params}, t.config_id, index[t.seed], t.seed, summ, epochs
                )
        else:
            for out in ex.map_unordered(tasks.values()):
                t = tasks[out.run_id]
                if not out.ok:
                    self.failures[t.run_id] = out.error
                    continue
                got[t.run_id] = SweepResult(
                    {names[p]: v for p, v in t.params},
                    t.config_id,
                    index[t.seed],
                    t.seed,
                    out.summary,
                    out.epochs,
                )
        self.results = [got[rid] for rid in tasks if rid in got]
        return self.results

    def to_csv(self, path: str | Path) -> Path:
        """One row per run (parameters by their given names, config_id, run_index, seed, summary metrics)."""
        rows = [r.to_dict() for r in self.results]
        cols = list(dict.fromkeys(k for r in rows for k in r))
        p = Path(path)
        with p.open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=cols)
            w.writeheader()
            w.writerows(rows)
        return p

    def summary(self, metrics: tuple[str, ...] = REPORT_METRICS) -> list[dict[str, Any]]:
        """Per configuration: its parameters, n_runs, and for each metric mean, ci_low, ci_high (95% t)."""
        out = []
        for cid in dict.fromkeys(r.config_id for r in self.results):
            runs = [r for r in self.results if r.config_id == cid]
            row: dict[str, Any] = {**runs[0].params, "config_id": cid, "n_runs": len(runs)}
            for k in metrics:
                st = mean_stats([float(r.summary.get(k, math.nan)) for r in runs])
                row[f"{k}_mean"], row[f"{k}_ci_low"], row[f"{k}_ci_high"] = st.mean, st.t_lo, st.t_hi
            out.append(row)
        return out
