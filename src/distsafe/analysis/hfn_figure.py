"""The figure of seed 003's flash crash (docs/economies.md): the shipped `hfn_flash_crash` scenario run
twice at its seed, with the circuit breaker and without (`hfn.circuit_breaker=false`): the market price
over ticks with the halt shaded, and the mean p of each step's trades.

    python -m distsafe.analysis.hfn_figure docs/hfn_flash_crash.png [-o key=value ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from distsafe.scenarios import load_scenario  # noqa: E402
from distsafe.scenarios.builder import build_orchestrator  # noqa: E402


def run(overrides: list[str]) -> Any:
    """The scenario's `hfn` component after a run with `overrides`."""
    orch = build_orchestrator(load_scenario("hfn_flash_crash", overrides))
    orch.run()
    return orch.get_component("hfn")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("-o", dest="overrides", action="append", default=[])
    args = ap.parse_args(argv)
    fig, (ax, axp) = plt.subplots(2, 1, figsize=(9, 6), sharex=True, height_ratios=[3, 1.4])
    for label, extra, color in (("circuit breaker on", [], "tab:blue"),
                                ("no halt", ["hfn.circuit_breaker=false"], "tab:red")):  # fmt: skip
        comp = run([*args.overrides, *extra])
        ticks = [t for t, _, _ in comp.ticks]
        ax.plot(ticks, [p for _, p, _ in comp.ticks], color=color, lw=1.1, label=label)
        halted = [t for t, _, h in comp.ticks if h]
        if halted:
            ax.axvspan(min(halted) - 0.5, max(halted) + 0.5, color=color, alpha=0.15, label="halted")
        axp.plot([t for t, _, _ in comp.step_p], [p for _, p, _ in comp.step_p], color=color, lw=1.0)
        s = comp.summary()
        low = min(p for _, p, _ in comp.ticks)
        for c in s["crashes"]:
            print(
                f"{label}: crash at tick {c['start_tick']}, drop at detection {c['price_drop_pct']:.1%}, "
                f"trough {c['trough_price']:.3f} ({1 - c['trough_price'] / c['pre_crash_price']:.1%} below "
                f"{c['pre_crash_price']:.3f}), recovered after {c['recovery_time_ticks']} ticks"
            )
        print(f"{label}: lowest price {low:.3f}, halted ticks {s['halted_ticks']}, trades {s['trades']}, "
              f"speed Gini {s['speed_gini']:.3f}")  # fmt: skip
    ax.set_ylabel("market price")
    ax.set_title("hfn_flash_crash (seed 42): a fast trader's dump from tick 300")
    ax.legend(loc="lower right", fontsize=8)
    axp.set_ylabel("mean p of trades")
    axp.set_xlabel("tick")
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
