"""The seeds' Scenario Comparison, over many seeds: governance settings and results, mean +- 95% CI."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from rich.table import Table

from distsafe.governance.registry import enabled_levers
from distsafe.scenarios.builder import build_orchestrator
from distsafe.scenarios.loader import load_scenario
from distsafe.scenarios.spec import ScenarioSpec
from distsafe.textsafe import clean, markup

RESULT_KEYS = (
    "bad_actor_payoff",
    "avg_toxicity",
    "avg_realized_harm",
    "welfare_per_epoch",
    "welfare_money_per_epoch",
    "welfare_reputation_per_epoch",
    "avg_quality_gap",
    "avg_quality_gap_by_choice",
)
#: Row labels of RESULT_KEYS in the table.
RESULT_LABELS = {
    "bad_actor_payoff": "Bad actor payoff",
    "avg_toxicity": "Avg toxicity E[1-p | acc]",
    "avg_realized_harm": "Avg realized harm P(v=-1 | acc)",
    "welfare_per_epoch": "Welfare/epoch (sum of payoffs)",
    "welfare_money_per_epoch": "Welfare/epoch: money (with revenue kept)",
    "welfare_reputation_per_epoch": "Welfare/epoch: reputation terms",
    "avg_quality_gap": "Avg quality gap",
    "avg_quality_gap_by_choice": "Avg quality gap, rejections by choice",
}


@dataclass
class ScenarioComparison:
    name: str
    spec: ScenarioSpec
    samples: dict[str, list[float]] = field(default_factory=dict)
    #: runs in which at least one bad-actor agent (deceptive, adversarial, adaptive) was frozen
    frozen_runs: int = 0
    #: runs in which at least one other agent (honest, opportunistic, ...) was frozen
    others_frozen_runs: int = 0

    def mean_ci(self, key: str) -> tuple[float, float]:
        """Mean and the half-width of its 95% confidence interval (Student t)."""
        x = np.asarray([v for v in self.samples.get(key, []) if not math.isnan(v)], dtype=float)
        if x.size == 0:
            return float("nan"), float("nan")
        if x.size == 1:
            return float(x[0]), float("nan")
        from scipy import stats

        half = stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size)
        return float(x.mean()), float(half)


def compare_scenarios(
    names: list[str],
    seeds: int = 10,
    overrides: list[str] | None = None,
    on_run: Callable[[], None] | None = None,
    seed_base: int = 0,
) -> list[ScenarioComparison]:
    """Run each scenario with seeds seed_base .. seed_base + seeds - 1 (the same seeds for all)."""
    out = []
    for name in names:
        base = load_scenario(name, overrides)
        comp = ScenarioComparison(name=base.scenario_id, spec=base)
        for k in range(seeds):
            spec = load_scenario(name, list(overrides or []) + [f"simulation.seed={seed_base + k}"])
            orch = build_orchestrator(spec)
            orch.run()
            s = orch.summary()
            for key in RESULT_KEYS:
                comp.samples.setdefault(key, []).append(float(s[key]))
            comp.frozen_runs += int(s.get("bad_actors_frozen", 0) > 0)
            comp.others_frozen_runs += int(s.get("agents_frozen_ever", 0) > s.get("bad_actors_frozen", 0))
            if on_run:
                on_run()
        out.append(comp)
    return out


def _settings(spec: ScenarioSpec) -> list[tuple[str, str]]:
    g = spec.governance
    return [
        ("Tax rate", f"{g.transaction_tax_rate:.0%}"),
        (
            "Reputation decay",
            "None" if g.reputation_decay_rate >= 1 else f"{1 - g.reputation_decay_rate:.0%}/epoch",
        ),
        ("Staking required", f"{g.min_stake_to_participate:g}" if g.staking_enabled else "No"),
        ("Circuit breaker", f"Yes ({g.freeze_threshold_toxicity:g})" if g.circuit_breaker_enabled else "No"),
        ("Audit probability", f"{g.audit_probability:.0%}" if g.audit_enabled else "0%"),
        ("Starting resources", f"{spec.environment.initial_resources:g}"),
        ("Revenue goes to", g.revenue_destination if enabled_levers(g) else "-"),
    ]


def _rows(comps: list[ScenarioComparison], seeds: int) -> list[tuple[str, list[str]]]:
    rows: list[tuple[str, list[str]]] = []
    settings = [_settings(c.spec) for c in comps]
    for i, (label, _) in enumerate(settings[0]):
        rows.append((label, [s[i][1] for s in settings]))
    rows.append(("Bad actor frozen (runs)", [f"{c.frozen_runs}/{seeds}" for c in comps]))
    rows.append(("Other agent frozen (runs)", [f"{c.others_frozen_runs}/{seeds}" for c in comps]))
    labels = RESULT_LABELS
    for key in RESULT_KEYS:
        cells = []
        for c in comps:
            m, h = c.mean_ci(key)
            cells.append(
                "n/a" if math.isnan(m) else (f"{m:+.2f} ± {h:.2f}" if not math.isnan(h) else f"{m:+.2f}")
            )
        rows.append((labels[key], cells))
    return rows


def comparison_table(comps: list[ScenarioComparison], seeds: int) -> Table:
    t = Table(title=f"Scenario comparison: mean ± 95% CI over {seeds} seeds")
    t.add_column("Metric")
    for c in comps:
        t.add_column(markup(c.name, 60), justify="right")  # scenario ids come from files: escaped
    for label, cells in _rows(comps, seeds):
        t.add_row(markup(label), *(markup(cell) for cell in cells))
    return t


def _md(text: str) -> str:
    """A table cell: a literal | is escaped."""
    return text.replace("|", "\\|")


def comparison_markdown(comps: list[ScenarioComparison], seeds: int) -> str:
    names = [clean(c.name, 60).replace("|", "\\|") for c in comps]
    lines = ["| Metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(comps)]
    for label, cells in _rows(comps, seeds):
        lines.append(f"| {_md(label)} | " + " | ".join(_md(c) for c in cells) + " |")
    return "\n".join(lines)
