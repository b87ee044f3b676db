"""The figure of a run's per-epoch metrics, written into every run folder as `metrics.png` (matplotlib, the
[analysis] extra; without it no figure is drawn)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

PANELS = (
    ("toxicity_rate", "toxicity E[1-p | accepted]"),
    ("realized_harm", "realized harm P(v=-1 | accepted)"),
    ("quality_gap", "quality gap E[p|acc] - E[p|rej]"),
    ("total_welfare", "welfare (sum of payoffs)"),
    ("bad_actor_payoff", "bad actor payoff (cumulative mean)"),
    ("welfare_money", "welfare: money terms"),
)

#: panels that also draw one dashed line per initiator type, from the keys with this prefix
_PER_TYPE = {"toxicity_rate": "toxicity_", "realized_harm": "harm_"}


def plot_epoch_metrics(rows: Sequence[dict[str, Any]], path: Path, title: str = "") -> Path | None:
    """Write a 2x3 figure of the per-epoch metrics to `path` (PNG); None if matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    epochs = [r["epoch"] for r in rows]
    fig, axes = plt.subplots(2, 3, figsize=(13, 6.5), sharex=True)
    for ax, (key, label) in zip(axes.ravel(), PANELS):
        values = [float("nan") if r.get(key) is None else float(r[key]) for r in rows]
        ax.plot(epochs, values, marker="o", lw=1.5, label="all")
        prefix = _PER_TYPE.get(key)
        types = sorted(k for k in rows[0] if k.startswith(prefix) and k != key) if prefix and rows else []
        for k in types:
            ax.plot(
                epochs,
                [float("nan") if r.get(k) is None else float(r[k]) for r in rows],
                lw=1,
                ls="--",
                label=k.split("_", 1)[1],
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
