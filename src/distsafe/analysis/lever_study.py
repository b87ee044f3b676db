"""The lever study (`distsafe levers`): each governance lever switched on alone against a base scenario,
paired by seed, with 95% t intervals of the paired differences.

For a base scenario (default `baseline`) and seeds 0 .. n-1, the study runs

* the base scenario itself,
* the base with each lever of the registry (`governance.registry.LEVERS`) switched on alone, at the
  setting in `LEVER_SETTINGS` (the settings issue 10 measured: those of `strict_governance`),
* the three seed scenarios (`REFERENCE_SCENARIOS`) for reference,

every arm at the same seeds, with the same user overrides. For each arm and metric (`METRICS`, keys of
`metrics.epoch.run_summary`, read, not recomputed) it takes the paired differences d_s = arm_s - base_s
over the seeds s where both are defined, and reports their mean and the 95% Student t interval
mean ± t(0.975, n-1) · sd(d) / sqrt(n). A change is significant when that interval excludes 0.

The seed plan's criterion "at least two levers measurably reduce toxicity" is answered by counting the
levers whose interval for the change in soft toxicity (and, separately, realized harm) lies entirely below
0. Nothing here is tuned toward an answer: the settings are fixed in this module, and the runs are the
scenarios as shipped.

Runs go to a process pool (`workers`); each run is a pure function of (scenario, overrides, seed), and the
results are collected by arm and seed, so they do not depend on the number of workers or on the order in
which the runs finish.
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from distsafe.governance.registry import LEVERS_BY_SWITCH
from distsafe.scenarios.builder import build_orchestrator
from distsafe.scenarios.loader import load_scenario

#: lever name -> the overrides that switch it on alone (documented in docs/levers.md). The other settings
#: of a lever keep their defaults (audit penalty multiplier 2 and threshold p 0.5; stake slash rate 0.1;
#: circuit breaker 3 violations, frozen 2 epochs; tax split 0.5).
LEVER_SETTINGS: dict[str, tuple[str, ...]] = {
    "transaction_tax": ("governance.transaction_tax_rate=0.10",),
    "reputation_decay": ("governance.reputation_decay_rate=0.85",),
    "vote_normalization": (
        "governance.vote_normalization_enabled=true",
        "governance.max_vote_weight_per_agent=5.0",
    ),
    "bandwidth_cap": ("governance.bandwidth_cap=12",),
    "staking": ("governance.staking_enabled=true", "governance.min_stake_to_participate=25"),
    "circuit_breaker": (
        "governance.circuit_breaker_enabled=true",
        "governance.freeze_threshold_toxicity=0.5",
    ),
    "random_audit": ("governance.audit_enabled=true", "governance.audit_probability=0.25"),
    # seed 002's ledger and seed 001's security lever, at their defaults (added after issue 10's study)
    "transparency": ("governance.transparency_enabled=true",),
    "security": ("governance.security_enabled=true",),
    # collusion detection at the seed's settings (docs/collusion.md); its penalty binds on flagged agents only
    "collusion_penalty": (
        "governance.collusion_detection_enabled=true",
        "governance.collusion_penalty_multiplier=1.5",
    ),
    # seed 003's Sybil detection at the seed's settings (docs/governance.md)
    "sybil_detection": ("governance.sybil_detection_enabled=true",),
    # the reference's RBAC lever at its defaults, as its scenario files run it: no agent has a role, so every
    # interaction is a violation (docs/governance.md, "Role-based access control")
    "rbac": ("governance.rbac_enabled=true",),
    # the reference's resample protocol (Ctrl-Z) at the reference's defaults (docs/governance.md)
    "resample": ("governance.resample_enabled=true",),
}

#: The seed scenarios, run at the same seeds and paired with the base for reference.
REFERENCE_SCENARIOS = ("baseline", "status_game", "strict_governance")

#: (run_summary key, label, short label for plots and narrow tables)
METRICS: tuple[tuple[str, str, str], ...] = (
    ("avg_realized_harm", "Realized harm P(v=-1 | acc)", "realized harm"),
    ("avg_toxicity", "Soft toxicity E[1-p | acc]", "soft toxicity"),
    ("avg_quality_gap", "Quality gap", "quality gap"),
    ("welfare_money_per_epoch", "Welfare/epoch (money)", "welfare (money)"),
    ("payoff_honest", "Honest agents' payoff", "honest payoff"),
    ("bad_actor_payoff", "Bad actors' payoff", "bad-actor payoff"),
)
METRIC_KEYS = tuple(k for k, _, _ in METRICS)
#: metrics of the seed plan's criterion "at least two levers measurably reduce toxicity"
CRITERION_METRICS = ("avg_toxicity", "avg_realized_harm")
CONFIDENCE = 0.95


def default_workers() -> int:
    return min(2, multiprocessing.cpu_count() or 1)


# ---- statistics ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PairedChange:
    """Mean of the paired differences and its 95% t interval; n pairs (NaN bounds below 2 pairs)."""

    n: int
    mean: float
    lo: float
    hi: float

    @property
    def significant(self) -> bool:
        """The interval excludes 0 (False when it is undefined)."""
        return self.n >= 2 and (self.lo > 0 or self.hi < 0)

    @property
    def below_zero(self) -> bool:
        return self.n >= 2 and self.hi < 0

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "mean": _num(self.mean),
            "ci_low": _num(self.lo),
            "ci_high": _num(self.hi),
            "significant": self.significant,
        }


def t_interval(x: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """(mean, low, high): the Student t interval of the mean of `x`; NaN bounds for fewer than 2 values."""
    a = np.asarray(x, dtype=float)
    if a.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(a.mean())
    if a.size < 2:
        return mean, math.nan, math.nan
    from scipy import stats

    half = float(stats.t.ppf(0.5 + confidence / 2, a.size - 1) * a.std(ddof=1) / math.sqrt(a.size))
    return mean, mean - half, mean + half


def paired_change(arm: Sequence[float], base: Sequence[float]) -> PairedChange:
    """The change arm - base, paired by position (seed); pairs where either side is NaN are left out."""
    if len(arm) != len(base):
        raise ValueError(f"paired samples differ in length ({len(arm)} vs {len(base)})")
    d = [a - b for a, b in zip(arm, base) if not (math.isnan(a) or math.isnan(b))]
    mean, lo, hi = t_interval(d)
    return PairedChange(len(d), mean, lo, hi)


# ---- the arms and their runs -----------------------------------------------------------------------------
@dataclass
class Arm:
    """One column of the study: a scenario with overrides, run at every seed."""

    name: str
    kind: str  # "base", "lever" or "scenario"
    scenario: str
    overrides: tuple[str, ...]
    #: what the arm switches on, for people ("-" for the base)
    setting: str = "-"
    #: binding warnings (`governance.binding`) for this arm's configuration
    warnings: list[str] = field(default_factory=list)
    #: metric -> value at each seed (NaN where the run does not define it)
    samples: dict[str, list[float]] = field(default_factory=dict)
    #: runs (of the seeds) in which a bad actor / another agent was frozen
    bad_actor_frozen_runs: int = 0
    others_frozen_runs: int = 0
    changes: dict[str, PairedChange] = field(default_factory=dict)


def lever_arms(base: str, overrides: Sequence[str]) -> list[Arm]:
    """The base, each registry lever alone, the reference scenarios: the study's arms, in that order."""
    missing = [e.name for e in LEVERS_BY_SWITCH if e.name not in LEVER_SETTINGS]
    if missing:
        raise ValueError(f"lever study: no setting for {', '.join(missing)} in LEVER_SETTINGS")
    user = tuple(overrides)
    arms = [Arm("base: " + base, "base", base, user)]
    for e in LEVERS_BY_SWITCH:
        ov = LEVER_SETTINGS[e.name]
        arms.append(Arm(e.name, "lever", base, user + ov, setting=", ".join(o.split(".", 1)[1] for o in ov)))
    for name in REFERENCE_SCENARIOS:
        arms.append(Arm(name, "scenario", name, user, setting=f"scenario {name}"))
    return arms


def check_arms(scenario: str, overrides: Sequence[str]) -> list[Arm]:
    """The study's arms, each loaded and validated once: a bad scenario or override fails here, in one
    `ScenarioError`, before any run."""
    arms = lever_arms(scenario, overrides)
    for arm in arms:
        load_scenario(arm.scenario, [*arm.overrides, "simulation.seed=0"])
    return arms


def _run_one(scenario: str, overrides: tuple[str, ...], seed: int) -> dict[str, Any]:
    """One run (in a worker process): the metrics of its summary, its freezes and binding warnings."""
    spec = load_scenario(scenario, [*overrides, f"simulation.seed={seed}"])
    orch = build_orchestrator(spec)
    warnings = orch.lever_warnings()
    orch.run()
    s = orch.summary()
    return {
        "metrics": {k: float(s.get(k, math.nan)) for k in METRIC_KEYS},
        "bad_actor_frozen": int(s.get("bad_actors_frozen", 0)) > 0,
        "others_frozen": int(s.get("agents_frozen_ever", 0)) > int(s.get("bad_actors_frozen", 0)),
        "warnings": warnings,
    }


@dataclass
class LeverStudy:
    scenario: str
    seeds: list[int]
    overrides: list[str]
    arms: list[Arm]

    @property
    def base(self) -> Arm:
        return self.arms[0]

    def reducing(self, metric: str) -> list[str]:
        """Levers whose interval for the change in `metric` lies entirely below 0."""
        return [a.name for a in self.arms if a.kind == "lever" and a.changes[metric].below_zero]

    def criterion(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in CRITERION_METRICS:
            names = self.reducing(key)
            out[key] = {"levers": names, "count": len(names), "at_least_two": len(names) >= 2}
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "seeds": self.seeds,
            "overrides": self.overrides,
            "confidence": CONFIDENCE,
            "metrics": list(METRIC_KEYS),
            "arms": [
                {
                    "name": a.name,
                    "kind": a.kind,
                    "scenario": a.scenario,
                    "overrides": list(a.overrides),
                    "setting": a.setting,
                    "warnings": a.warnings,
                    "bad_actor_frozen_runs": a.bad_actor_frozen_runs,
                    "others_frozen_runs": a.others_frozen_runs,
                    "samples": {k: [_num(v) for v in a.samples[k]] for k in METRIC_KEYS},
                    "change_vs_base": {k: a.changes[k].to_json() for k in METRIC_KEYS},
                }
                for a in self.arms
            ],
            "criterion": self.criterion(),
        }


def _num(v: float) -> float | None:
    return None if math.isnan(v) else v


def run_lever_study(
    scenario: str = "baseline",
    seeds: int = 20,
    overrides: Sequence[str] = (),
    workers: int = 1,
    on_run: Callable[[], None] | None = None,
) -> LeverStudy:
    """Run the study (seeds 0 .. seeds-1); `on_run` is called in this process after each run."""
    if seeds < 2:
        raise ValueError(f"seeds must be at least 2 for a paired t interval, not {seeds}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    arms = check_arms(scenario, overrides)
    # Identical arms (the base and the reference `baseline` when the base is `baseline`) run once.
    keys = list(dict.fromkeys((a.scenario, a.overrides) for a in arms))
    seed_list = list(range(seeds))
    tasks = [(k, s) for k in keys for s in seed_list]
    results: dict[tuple[tuple[str, tuple[str, ...]], int], dict[str, Any]] = {}
    if workers == 1:
        for k, s in tasks:
            results[(k, s)] = _run_one(k[0], k[1], s)
            if on_run:
                on_run()
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = {pool.submit(_run_one, k[0], k[1], s): (k, s) for k, s in tasks}
            for fut in as_completed(futures):
                results[futures[fut]] = fut.result()
                if on_run:
                    on_run()
    for arm in arms:
        runs = [results[((arm.scenario, arm.overrides), s)] for s in seed_list]
        arm.samples = {k: [r["metrics"][k] for r in runs] for k in METRIC_KEYS}
        arm.warnings = list(runs[0]["warnings"])
        arm.bad_actor_frozen_runs = sum(r["bad_actor_frozen"] for r in runs)
        arm.others_frozen_runs = sum(r["others_frozen"] for r in runs)
    base = arms[0]
    for arm in arms:
        arm.changes = {k: paired_change(arm.samples[k], base.samples[k]) for k in METRIC_KEYS}
    return LeverStudy(scenario, seed_list, list(overrides), arms)


def run_count(seeds: int, arms: Sequence[Arm]) -> int:
    """How many runs `run_lever_study` makes over `arms` (identical arms run once)."""
    return seeds * len({(a.scenario, a.overrides) for a in arms})


# ---- output ----------------------------------------------------------------------------------------------
def _cell(c: PairedChange) -> str:
    if c.n == 0:
        return "n/a"
    if c.n < 2:
        return f"{c.mean:+.3g}"
    star = "*" if c.significant else ""
    return f"{c.mean:+.3g} [{c.lo:+.3g}, {c.hi:+.3g}]{star}"


def table_rows(study: LeverStudy) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the study's table (the base's own means first, then each arm's change)."""
    header = ["Arm", "Setting", *[label for _, label, _ in METRICS], "Frozen (bad / other, runs)", "Notes"]
    notes = notes_of(study)
    rows = []
    b = study.base
    means = []
    for k in METRIC_KEYS:
        m, _, _ = t_interval([v for v in b.samples[k] if not math.isnan(v)])
        means.append("n/a" if math.isnan(m) else f"{m:.3g} (mean)")
    n = len(study.seeds)
    for j, a in enumerate(study.arms):
        refs = ", ".join(f"[{i}]" for i, (name, _) in enumerate(notes, 1) if name == a.name)
        frozen = f"{a.bad_actor_frozen_runs}/{n} / {a.others_frozen_runs}/{n}"
        cells = means if j == 0 else [_cell(a.changes[k]) for k in METRIC_KEYS]
        rows.append([a.name, a.setting, *cells, frozen, refs])
    return header, rows


def notes_of(study: LeverStudy) -> list[tuple[str, str]]:
    """(arm, warning) for every binding warning of an arm (the base scenario's own ones included)."""
    return [(a.name, w) for a in study.arms for w in a.warnings]


def criterion_lines(study: LeverStudy) -> list[str]:
    crit = study.criterion()
    out = []
    for key in CRITERION_METRICS:
        c = crit[key]
        label = next(lab for k, _, lab in METRICS if k == key)
        names = ", ".join(c["levers"]) or "none"
        out.append(
            f"{label}: {c['count']} of {len(LEVER_SETTINGS)} levers reduce it measurably "
            f"(95% CI of the paired change entirely below 0: {names}) -> "
            f"{'YES' if c['at_least_two'] else 'NO'}"
        )
    return out


def caption(study: LeverStudy) -> str:
    s = study.seeds
    ov = f", overrides {' '.join(study.overrides)}" if study.overrides else ""
    return (
        f"Lever study on {study.scenario}: change vs the base, paired by seed (seeds {s[0]}..{s[-1]}, "
        f"n = {len(s)}{ov}); mean [95% t CI]; * = CI excludes 0"
    )


def study_markdown(study: LeverStudy) -> str:
    header, rows = table_rows(study)
    esc = [[c.replace("|", "\\|") for c in r] for r in [header, *rows]]
    lines = [caption(study), "", "| " + " | ".join(esc[0]) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in esc[1:]]
    notes = notes_of(study)
    if notes:
        lines.append("")
        lines += [f"[{i}] {name}: {w}  " for i, (name, w) in enumerate(notes, 1)]
    lines += ["", 'Seed plan criterion "at least two levers measurably reduce toxicity":', ""]
    lines += [f"- {line}" for line in criterion_lines(study)]
    return "\n".join(lines)


def plot_series(study: LeverStudy) -> list[tuple[str, list[str], list[PairedChange]]]:
    """For each metric: (label, arm names, changes), the base left out: what the plot draws."""
    arms = study.arms[1:]
    return [(lab, [a.name for a in arms], [a.changes[k] for a in arms]) for k, _, lab in METRICS]
