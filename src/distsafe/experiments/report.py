"""`distsafe sweep report DIR`: per configuration, each metric's mean with its 95% t and bootstrap
intervals; against the baseline configuration, the paired difference by seed with its t interval, Hedges'
g and the Holm-corrected p-value (the formulas are in `stats.py`). Read from the folder only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distsafe.experiments.spec import SweepSpec, parse_sweep_spec
from distsafe.experiments.stats import Comparison, MeanStats, compare_paired, mean_stats, with_holm
from distsafe.experiments.store import SweepStore, load_summary
from distsafe.scenarios.loader import ScenarioError

#: the summary metrics a report shows unless the spec lists its own (keys of metrics.epoch.run_summary)
REPORT_METRICS = (
    "avg_toxicity",
    "avg_realized_harm",
    "avg_quality_gap",
    "welfare_money_per_epoch",
    "payoff_honest",
    "bad_actor_payoff",
)


@dataclass
class ConfigRow:
    config_id: str
    params: dict[str, Any]
    n: int
    stats: dict[str, MeanStats] = field(default_factory=dict)
    vs_base: dict[str, Comparison] = field(default_factory=dict)


@dataclass
class SweepSummary:
    name: str
    design: str
    baseline: str
    metrics: list[str]
    param_paths: list[str]
    seeds: list[int]
    rows: list[ConfigRow]
    n_failed: int

    def row(self, config_id: str) -> ConfigRow:
        return next(r for r in self.rows if r.config_id == config_id)


def summarize(
    root: str | Path, baseline: str | None = None, metrics: list[str] | None = None
) -> SweepSummary:
    store = SweepStore(root)
    spec: SweepSpec = parse_sweep_spec(store.spec_text(), str(Path(root) / "sweep.yaml")).spec
    df = load_summary(root)
    if df.empty:
        raise ScenarioError(f"{root}: no finished run to report on yet")
    keys = list(metrics or spec.metrics or REPORT_METRICS)
    missing = [k for k in keys if k not in df.columns]
    if missing:
        known = sorted(
            c
            for c in df.columns
            if not c.startswith("param.") and c not in ("run_id", "config_id", "seed", "config_index")
        )
        raise ScenarioError(
            f"{root}: no summary metric {missing[0]!r} in the runs (known: {', '.join(known)})"
        )
    order = list(dict.fromkeys(df["config_id"]))
    base = baseline or spec.baseline or order[0]
    if base not in order:
        raise ScenarioError(
            f"--baseline {base}: no finished configuration of that name (have: {', '.join(order)})"
        )
    params = [c for c in df.columns if c.startswith("param.")]
    rows: list[ConfigRow] = []
    for cid in order:
        sub = df[df["config_id"] == cid]
        first = sub.iloc[0]
        row = ConfigRow(cid, {p.removeprefix("param."): _py(first[p]) for p in params}, len(sub))
        for k in keys:
            row.stats[k] = mean_stats([float(v) for v in sub[k]], seed=len(rows))
        rows.append(row)
    base_sub = df[df["config_id"] == base]
    for k in keys:
        b = {int(s): float(v) for s, v in zip(base_sub["seed"], base_sub[k])}
        others = [r for r in rows if r.config_id != base]
        comps = []
        for r in others:
            sub = df[df["config_id"] == r.config_id]
            comps.append(compare_paired({int(s): float(v) for s, v in zip(sub["seed"], sub[k])}, b))
        for r, c in zip(others, with_holm(comps)):
            r.vs_base[k] = c
    return SweepSummary(
        spec.name,
        spec.design,
        base,
        keys,
        [p.removeprefix("param.") for p in params],
        sorted({int(s) for s in df["seed"]}),
        rows,
        len(store.failed_ids()),
    )


def _py(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def _g(v: float, digits: int = 3) -> str:
    return "n/a" if math.isnan(v) else f"{v:.{digits}g}"


def mean_cell(s: MeanStats) -> str:
    if s.n < 2:
        return _g(s.mean)
    return f"{_g(s.mean)} [{_g(s.t_lo)}, {_g(s.t_hi)}] b[{_g(s.boot_lo)}, {_g(s.boot_hi)}]"


def diff_cell(c: Comparison) -> str:
    if c.n < 2:
        return "n/a"
    star = "*" if c.significant else ""
    p = "n/a" if math.isnan(c.p_holm) else (f"{c.p_holm:.2g}" if c.p_holm >= 1e-4 else "<1e-4")
    return f"{c.diff:+.3g} [{c.lo:+.3g}, {c.hi:+.3g}] g={_g(c.g, 2)} p={p}{star}"


def _param_text(r: ConfigRow, design: str) -> str:
    if design == "configs":
        return ""
    return ", ".join(f"{k.rsplit('.', 1)[-1]}={_short(v)}" for k, v in r.params.items())


def _short(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def tables(s: SweepSummary) -> tuple[list[str], list[list[str]], list[str], list[list[str]]]:
    """(header, rows) of the means table and of the comparison table."""
    show_params = s.design != "configs"
    h1 = ["config", *(["parameters"] if show_params else []), "n", *s.metrics]
    r1 = [
        [r.config_id, *([_param_text(r, s.design)] if show_params else []), str(r.n)]
        + [mean_cell(r.stats[k]) for k in s.metrics]
        for r in s.rows
    ]
    h2 = ["config", "pairs", *s.metrics]
    r2 = [
        [r.config_id, str(next(iter(r.vs_base.values())).n if r.vs_base else 0)]
        + [diff_cell(r.vs_base[k]) for k in s.metrics]
        for r in s.rows
        if r.config_id != s.baseline
    ]
    return h1, r1, h2, r2


def metric_table(s: SweepSummary, metric: str) -> tuple[list[str], list[list[str]]]:
    """One metric, one row per configuration: the terminal's layout (narrower than `tables`)."""
    show_params = s.design != "configs"
    h = ["config", *(["parameters"] if show_params else []), "n", "mean", "95% t CI", "95% bootstrap CI",
         f"diff vs {s.baseline}", "95% t CI", "Hedges' g", "p (Holm)"]  # fmt: skip
    rows = []
    for r in s.rows:
        st = r.stats[metric]
        c = r.vs_base.get(metric)
        cells = [r.config_id, *([_param_text(r, s.design)] if show_params else []), str(st.n), _g(st.mean, 4),
                 f"[{_g(st.t_lo)}, {_g(st.t_hi)}]", f"[{_g(st.boot_lo)}, {_g(st.boot_hi)}]"]  # fmt: skip
        if c is None:
            cells += ["(baseline)", "", "", ""]
        else:
            star = "*" if c.significant else ""
            cells += [f"{c.diff:+.3g}", f"[{c.lo:+.3g}, {c.hi:+.3g}]", _g(c.g, 2), f"{_g(c.p_holm, 2)}{star}"]
        rows.append(cells)
    return h, rows


def caption(s: SweepSummary) -> str:
    seeds = f"seeds {s.seeds[0]}..{s.seeds[-1]}" if s.seeds else "no seeds"
    failed = f"; {s.n_failed} failed run(s) left out" if s.n_failed else ""
    return f"Sweep {s.name} ({s.design} design, {len(s.rows)} configurations, {seeds}{failed})"


def markdown(s: SweepSummary) -> str:
    h1, r1, h2, r2 = tables(s)

    def md(h: list[str], rows: list[list[str]]) -> list[str]:
        esc = [[c.replace("|", "\\|") for c in r] for r in [h, *rows]]
        return [
            "| " + " | ".join(esc[0]) + " |",
            "|" + "---|" * len(h),
            *["| " + " | ".join(r) + " |" for r in esc[1:]],
        ]

    lines = [caption(s), "", "Mean [95% t CI] b[95% bootstrap CI] per configuration:", "", *md(h1, r1)]
    lines += [
        "",
        f"Change vs {s.baseline}, paired by seed: mean difference [95% t CI], Hedges' g, "
        "Holm-corrected paired t p-value (per metric); * = p_holm < 0.05:",
        "",
        *md(h2, r2),
    ]
    return "\n".join(lines)
