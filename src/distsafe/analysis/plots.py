"""Plots of a run's per-epoch metrics (matplotlib, the [analysis] extra)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

PANELS = (
    ("toxicity_rate", "toxicity E[1-p | accepted]"),
    ("quality_gap", "quality gap E[p|acc] - E[p|rej]"),
    ("total_welfare", "welfare (sum of payoffs)"),
    ("bad_actor_payoff", "bad actor payoff (cumulative mean)"),
)


def plot_epoch_metrics(rows: Sequence[dict[str, Any]], path: Path, title: str = "") -> Path | None:
    """Write a 2x2 figure of the per-epoch metrics to `path` (PNG); None if matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    epochs = [r["epoch"] for r in rows]
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.5), sharex=True)
    for ax, (key, label) in zip(axes.ravel(), PANELS):
        values = [float("nan") if r.get(key) is None else float(r[key]) for r in rows]
        ax.plot(epochs, values, marker="o", lw=1.5, label="all")
        types = (
            sorted(k for k in rows[0] if k.startswith("toxicity_") and k != "toxicity_rate")
            if key == "toxicity_rate" and rows
            else []
        )
        for k in types:
            ax.plot(
                epochs,
                [float("nan") if r.get(k) is None else float(r[k]) for r in rows],
                lw=1,
                ls="--",
                label=k.removeprefix("toxicity_"),
            )
        if types:
            ax.legend(fontsize=7, title="initiated by", title_fontsize=7)
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("epoch")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


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
        ("avg_toxicity", "avg toxicity"),
        ("welfare_per_epoch", "welfare / epoch"),
        ("avg_quality_gap", "avg quality gap"),
    )
    fig, axes = plt.subplots(1, len(keys), figsize=(3.2 * len(keys), 3.6))
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
