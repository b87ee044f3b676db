"""The sweep report's figure (`distsafe sweep report DIR --plot PNG`).

One row per metric. For a parameter design: one panel per swept parameter, the metric's mean over every
run at each of the parameter's values (the other parameters pooled) with its 95% t band; for a
two-parameter grid a last column is the heatmap of the mean over the grid. For a `configs` design: one
panel per metric, each configuration's mean with its 95% t interval (bars) and bootstrap interval (thin
line).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from distsafe.analysis.lever_study import t_interval
from distsafe.experiments.report import SweepSummary


def _mpl() -> Any:
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _numeric(values: list[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def plot_sweep(s: SweepSummary, runs: Any, path: Path) -> Path | None:
    """Draw the figure of `s` (with `runs`, `load_summary`'s frame) to `path`; None without matplotlib."""
    plt = _mpl()
    if plt is None:
        return None
    if s.design == "configs":
        return _plot_configs(plt, s, path)
    params = s.param_paths
    heat = s.design == "grid" and len(params) == 2
    ncols = len(params) + (1 if heat else 0)
    nrows = len(s.metrics)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 2.8 * nrows), squeeze=False)
    for i, metric in enumerate(s.metrics):
        for j, p in enumerate(params):
            ax = axes[i][j]
            col = runs[f"param.{p}"].tolist()
            levels = sorted(set(col), key=lambda v: (str(type(v)), v))
            means, los, his = [], [], []
            for lv in levels:
                vals = [float(v) for v, c in zip(runs[metric], col) if c == lv and not math.isnan(float(v))]
                m, lo, hi = t_interval(vals)
                means.append(m)
                los.append(lo if not math.isnan(lo) else m)
                his.append(hi if not math.isnan(hi) else m)
            xs: list[Any] = levels if _numeric(levels) else list(range(len(levels)))
            ax.plot(xs, means, marker="o", lw=1.2)
            ax.fill_between(xs, los, his, alpha=0.25, label="95% t CI")
            if not _numeric(levels):
                ax.set_xticks(xs, [str(v) for v in levels])
            if i == nrows - 1:
                ax.set_xlabel(p)
            if j == 0:
                ax.set_ylabel(metric)
            ax.grid(alpha=0.3)
        if heat:
            ax = axes[i][-1]
            p0, p1 = params
            rows = sorted(set(runs[f"param.{p0}"]), key=lambda v: (str(type(v)), v))
            cols = sorted(set(runs[f"param.{p1}"]), key=lambda v: (str(type(v)), v))
            grid = [
                [
                    float(runs[(runs[f"param.{p0}"] == a) & (runs[f"param.{p1}"] == b)][metric].mean())
                    for b in cols
                ]
                for a in rows
            ]
            im = ax.imshow(grid, aspect="auto", origin="lower", cmap="viridis")
            ax.set_xticks(range(len(cols)), [str(_round(v)) for v in cols])
            ax.set_yticks(range(len(rows)), [str(_round(v)) for v in rows])
            ax.set_xlabel(p1)
            ax.set_ylabel(p0)
            ax.set_title(f"mean {metric}", fontsize=9)
            fig.colorbar(im, ax=ax)
    fig.suptitle(f"sweep {s.name}: mean and 95% t band over seeds {s.seeds[0]}..{s.seeds[-1]}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _round(v: Any) -> Any:
    return round(v, 4) if isinstance(v, float) else v


def _plot_configs(plt: Any, s: SweepSummary, path: Path) -> Path:
    n = len(s.metrics)
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    height = max(3.0, 0.32 * len(s.rows) + 1.2)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, height * nrows), squeeze=False)
    names = [r.config_id for r in s.rows]
    ys = list(range(len(names)))[::-1]
    for k, metric in enumerate(s.metrics):
        ax = axes[k // ncols][k % ncols]
        st = [r.stats[metric] for r in s.rows]
        means = [x.mean for x in st]
        err = [
            [x.mean - x.t_lo if not math.isnan(x.t_lo) else 0 for x in st],
            [x.t_hi - x.mean if not math.isnan(x.t_hi) else 0 for x in st],
        ]
        colors = ["tab:gray" if r.config_id == s.baseline else "tab:blue" for r in s.rows]
        ax.barh(ys, means, xerr=err, color=colors, alpha=0.75, capsize=2)
        for y, x in zip(ys, st):
            if not math.isnan(x.boot_lo):
                ax.plot([x.boot_lo, x.boot_hi], [y + 0.3, y + 0.3], color="k", lw=0.8)
        base = next(r for r in s.rows if r.config_id == s.baseline).stats[metric].mean
        ax.axvline(base, color="tab:gray", ls="--", lw=0.8)
        ax.set_yticks(ys, names, fontsize=8)
        ax.set_title(metric, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    for k in range(n, nrows * ncols):
        axes[k // ncols][k % ncols].axis("off")
    fig.suptitle(
        f"sweep {s.name}: mean, 95% t CI (bar), bootstrap CI (line); dashed: {s.baseline} "
        f"(seeds {s.seeds[0]}..{s.seeds[-1]})",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
