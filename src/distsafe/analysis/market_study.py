"""The marketplace study: escrows released against disputed, and the money lost to bad posters and to bad
workers, as the share of bad actors in the market grows (docs/economies.md, "The marketplace").

    python -m distsafe.analysis.market_study --seeds 5 --plot docs/market_bad_share.png

For each bad-actor share b in `SHARES` and seeds 0 .. n-1, the shipped `marketplace` scenario is run with
`N_AGENTS` agents: round(b * N) bad actors (half deceptive, the rest adversarial) and the others honest, the
scenario's governance, marketplace and rates as shipped. Each run's epoch records are summed
(`SECTION_METRICS["market"]`): escrows released, disputes filed, `withheld_from_workers` (the pay of disputed
escrows the workers did not get at settlement: lost to posters who refused to pay) and `paid_for_bad_work`
(the expected part of released payments that paid for bad work, sum of pay x (1 - p): lost to bad work,
honest workers' included, since honest effort is 0.9).
The table gives the mean and the standard error over the seeds; nothing is tuned.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from distsafe.scenarios.loader import load_scenario
from distsafe.scenarios.runner import run_scenario
from distsafe.scenarios.spec import AgentSpec

SHARES: tuple[float, ...] = (0.0, 1 / 6, 1 / 3, 1 / 2, 2 / 3)
N_AGENTS = 12
#: the run totals the study reports, per share
KEYS: tuple[str, ...] = ("bounties_filled", "escrow_released", "disputes_filed", "withheld_from_workers",
                         "paid_for_bad_work", "market_fees")  # fmt: skip


@dataclass
class Point:
    share: float
    n_bad: int
    #: key -> the run totals, one per seed
    runs: dict[str, list[float]]

    def mean(self, key: str) -> float:
        return float(np.mean(self.runs[key]))

    def sem(self, key: str) -> float:
        v = self.runs[key]
        return float(np.std(v, ddof=1) / math.sqrt(len(v))) if len(v) > 1 else math.nan


def population(share: float, n: int = N_AGENTS) -> list[AgentSpec]:
    bad = round(share * n)
    deceptive = bad // 2
    agents = [("honest", n - bad), ("deceptive", deceptive), ("adversarial", bad - deceptive)]
    return [AgentSpec(type=t, count=c) for t, c in agents if c > 0]


def run_point(share: float, seeds: int, epochs: int | None = None) -> Point:
    base = load_scenario("marketplace")
    runs: dict[str, list[float]] = {k: [] for k in KEYS}
    for seed in range(seeds):
        sim = base.simulation.model_copy(update={"seed": seed, **({"n_epochs": epochs} if epochs else {})})
        spec = base.model_copy(update={"agents": population(share), "simulation": sim})
        res = run_scenario(spec)
        for k in KEYS:
            runs[k].append(float(sum(m.values[k] for m in res.metrics)))
    return Point(share, round(share * N_AGENTS), runs)


def study(seeds: int = 5, epochs: int | None = None, progress: bool = True) -> list[Point]:
    from rich.progress import Progress

    points = []
    with Progress(disable=not progress) as bar:
        task = bar.add_task("marketplace study", total=len(SHARES))
        for share in SHARES:
            points.append(run_point(share, seeds, epochs))
            bar.advance(task)
    return points


def markdown(points: list[Point]) -> str:
    head = "| bad actors | " + " | ".join(KEYS) + " |"
    lines = [head, "|" + "---|" * (len(KEYS) + 1)]
    for p in points:
        cells = [f"{p.mean(k):.2f} ± {p.sem(k):.2f}" for k in KEYS]
        lines.append(f"| {p.n_bad} of {N_AGENTS} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(points: list[Point], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [p.n_bad / N_AGENTS for p in points]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for key, label in (("escrow_released", "escrows released"), ("disputes_filed", "disputes filed")):
        ax1.errorbar(x, [p.mean(key) for p in points], yerr=[p.sem(key) for p in points], marker="o",
                     capsize=3, label=label)  # fmt: skip
    ax1.set_xlabel("share of bad actors (half deceptive, half adversarial)")
    ax1.set_ylabel("per run (10 epochs)")
    ax1.legend()
    for key, label in (("withheld_from_workers", "lost to bad posters (pay withheld)"),
                       ("paid_for_bad_work", "paid for bad work (pay x (1 - p))")):  # fmt: skip
        ax2.errorbar(x, [p.mean(key) for p in points], yerr=[p.sem(key) for p in points], marker="o",
                     capsize=3, label=label)  # fmt: skip
    ax2.set_xlabel("share of bad actors")
    ax2.set_ylabel("money per run")
    ax2.legend()
    fig.suptitle("marketplace: escrow outcomes and losses (mean ± s.e. over seeds)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=None, help="override the scenario's n_epochs")
    ap.add_argument("--plot", type=Path, default=None, help="write the figure (PNG) here")
    args = ap.parse_args(argv)
    if args.seeds < 1 or (args.epochs is not None and args.epochs < 1):
        print("error: --seeds and --epochs must be at least 1")
        return 2
    points = study(args.seeds, args.epochs)
    print(markdown(points))
    if args.plot is not None:
        plot(points, args.plot)
        print(f"figure: {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
