"""A motif run's diffusion, read back from its event log alone (docs/motifs.md): the adoption forest of the
`meme_adopted` events (node, parent), each cascade's size, R0 and mean offspring (metrics.community), per
myth / meme / position family; the constitution's rules adopted and broken; and the figure of the cascade
size distribution pooled over runs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from distsafe.eventlog import EventLogError, read_log
from distsafe.metrics import community
from distsafe.models.events import EventType


@dataclass
class MotifDiffusion:
    """One run's motif, from its log."""

    kind: str
    parent: np.ndarray  # the adoption forest (metrics.community)
    family: np.ndarray  # each node's myth / meme / position family
    rules_adopted: list[dict[str, Any]] = field(default_factory=list)
    rules_proposed: int = 0
    violations: int = 0

    @property
    def cascade_sizes(self) -> np.ndarray:
        return community.cascade_sizes(self.parent)

    def by_family(self) -> dict[int, dict[str, float]]:
        """Per family: its seeds, adoptions (nodes), R0 and largest cascade."""
        out: dict[int, dict[str, float]] = {}
        roots = community.roots_of(self.parent)
        sizes = np.bincount(roots, minlength=self.parent.shape[0])
        kids = community.offspring(self.parent)
        for f in np.unique(self.family).tolist():
            seeds = np.flatnonzero((self.parent == -1) & (self.family == f))
            nodes = int(np.count_nonzero(np.isin(roots, seeds)))
            out[int(f)] = {
                "seeds": float(seeds.size),
                "nodes": float(nodes),
                "r0": float(kids[seeds].mean()) if seeds.size else float("nan"),
                "max_cascade": float(sizes[seeds].max()) if seeds.size else 0.0,
            }
        return out

    def summary(self) -> dict[str, Any]:
        sizes = self.cascade_sizes
        return {
            "kind": self.kind,
            "nodes": int(self.parent.shape[0]),
            "cascades": int(sizes.size),
            "r0": community.r0(self.parent) if self.parent.size else float("nan"),
            "mean_offspring": community.mean_offspring(self.parent) if self.parent.size else float("nan"),
            "max_cascade": int(sizes.max()) if sizes.size else 0,
            "rules_proposed": self.rules_proposed,
            "rules_adopted": [r["rule"] for r in self.rules_adopted],
            "violations": self.violations,
        }


def motif_diffusion(path: str | os.PathLike[str]) -> MotifDiffusion:
    """The motif of the run logged at `path` (JSONL or Parquet). EventLogError if the log has no motif."""
    res = read_log(path)
    nodes: dict[int, tuple[int, int]] = {}
    kind = ""
    out = MotifDiffusion("", np.zeros(0, np.int64), np.zeros(0, np.int64))
    for e in res.events:
        p = e.payload
        if e.event_type is EventType.MEME_ADOPTED:
            try:
                nodes[int(p["node"])] = (int(p["parent"]), int(p["family"]))
                kind = str(p["motif"])
            except (KeyError, TypeError, ValueError):
                msg = f"{path}: event {e.seq}: a meme_adopted event without node/parent/family"
                raise EventLogError(msg) from None
        elif e.event_type is EventType.RULE_PROPOSED:
            out.rules_proposed += 1
            kind = "constitution"
        elif e.event_type is EventType.RULE_ADOPTED:
            out.rules_adopted.append(dict(p))
        elif e.event_type is EventType.RULE_VIOLATED:
            out.violations += 1
    if not kind:
        raise EventLogError(f"{path}: no motif events (was the run's motifs: block on?)")
    n = len(nodes)
    if sorted(nodes) != list(range(n)):
        raise EventLogError(f"{path}: the meme_adopted nodes are not 0..{n - 1}")
    out.kind = kind
    out.parent = community.check_forest(np.array([nodes[i][0] for i in range(n)], dtype=np.int64))
    out.family = np.array([nodes[i][1] for i in range(n)], dtype=np.int64)
    return out


def cascade_size_figure(sizes: Sequence[np.ndarray], path: str | os.PathLike[str], title: str = "") -> Path:
    """The distribution of cascade sizes pooled over runs: the share of cascades of at least each size
    (complementary CDF, log-log), with the histogram beside it. Written as PNG to `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pooled = (
        np.concatenate([np.asarray(s, dtype=np.int64) for s in sizes]) if sizes else np.zeros(0, np.int64)
    )
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    if pooled.size:
        xs = np.sort(np.unique(pooled))
        ccdf = np.array([np.mean(pooled >= x) for x in xs])
        ax1.loglog(xs, ccdf, "o-", ms=4)
        bins = np.unique(np.logspace(0, np.log10(max(2, int(pooled.max()) + 1)), 20).astype(int))
        ax2.hist(pooled, bins=bins)
        ax2.set_xscale("log")
    ax1.set_xlabel("cascade size (adoptions from one seed, the seed included)")
    ax1.set_ylabel("share of cascades of at least this size")
    ax2.set_xlabel("cascade size")
    ax2.set_ylabel("cascades")
    fig.suptitle(title or f"cascade sizes: {pooled.size} cascades from {len(sizes)} runs")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
