"""Comparison plots across scenarios and seeds (matplotlib, the [analysis] extra); the per-run figure is
`distsafe.metrics.plots`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from distsafe.metrics.plots import PANELS, plot_epoch_metrics  # noqa: F401  (the run figure lives in metrics)


def plot_comparison(comps: Sequence[Any], path: Path, seeds: int) -> Path | None:
    """Bars with 95% CI error bars for each scenario of a `compare_scenarios` result; None without
    matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    keys = (
        ("bad_actor_payoff", "bad actor payoff"),
        ("avg_toxicity", "avg toxicity E[1-p | acc]"),
        ("avg_realized_harm", "avg realized harm P(v=-1 | acc)"),
        ("welfare_per_epoch", "welfare / epoch"),
        ("avg_quality_gap", "avg quality gap"),
        ("avg_quality_gap_by_choice", "quality gap, rejections by choice"),
    )
    fig, axes = plt.subplots(2, 3, figsize=(10.5, 6.8))
    axes = axes.ravel()
    names = [c.name for c in comps]
    for ax, (key, label) in zip(axes, keys):
        stats = [c.mean_ci(key) for c in comps]
        ax.bar(
            range(len(comps)),
            [m for m, _ in stats],
            yerr=[0 if h != h else h for _, h in stats],
            capsize=4,
            color=["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3"][: len(comps)],
        )
        ax.set_xticks(range(len(comps)), names, rotation=20, fontsize=8)
        ax.set_title(label, fontsize=10)
        ax.axhline(0, color="black", lw=0.6)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"scenario comparison: mean ± 95% CI over {seeds} seeds")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_calibration(
    curves: Sequence[tuple[str, dict[str, Any]]], path: Path, title: str = ""
) -> Path | None:
    """Reliability diagram: per bin, the share of v = +1 against the mean p, one line per curve (as
    `SoftMetrics.calibration_curve` returns them), the diagonal for reference; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(5.2, 5.0))
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":", label="perfectly calibrated")
    for (label, c), marker in zip(curves, "osD^v"):
        mean_p, frac, count = c["mean_p"], c["frac_positive"], c["count"]
        keep = count > 0
        ax.plot(mean_p[keep], frac[keep], marker=marker, lw=1.2, label=f"{label} (n={int(count.sum())})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean p in bin (10 equal-width bins)")
    ax.set_ylabel("share of interactions with v = +1")
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_lever_study(
    series: Sequence[tuple[str, Sequence[str], Sequence[Any]]], path: Path, title: str = ""
) -> Path | None:
    """One panel per metric: each arm's paired mean change with its 95% CI bar (`PairedChange`s, as
    `lever_study.plot_series` gives them); significant changes filled; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    cols = 3
    rows = (len(series) + cols - 1) // cols
    n_arms = max((len(names) for _, names, _ in series), default=1)
    fig, axes = plt.subplots(rows, cols, figsize=(13, 0.32 * n_arms * rows + 1.6 * rows), squeeze=False)
    for ax in axes.ravel()[len(series) :]:
        ax.set_visible(False)
    for i, (ax, (label, names, changes)) in enumerate(zip(axes.ravel(), series)):
        y = list(range(len(names)))[::-1]
        for yi, c in zip(y, changes):
            sig = bool(c.significant)
            lo = 0.0 if c.lo != c.lo else c.mean - c.lo
            hi = 0.0 if c.hi != c.hi else c.hi - c.mean
            ax.errorbar(
                c.mean,
                yi,
                xerr=[[lo], [hi]],
                fmt="o",
                capsize=3,
                color="#c44e52" if sig else "#4c72b0",
                mfc="#c44e52" if sig else "white",
            )
        ax.axvline(0, color="black", lw=0.7)
        ax.set_yticks(y, list(names) if i % cols == 0 else [""] * len(names), fontsize=8)
        ax.set_title(label, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(axis="x", labelsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
