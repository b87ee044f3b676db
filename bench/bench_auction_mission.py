"""The figures of docs/economies.md for seed 003's Dworkin auction and mission economy.

    python bench/bench_auction_mission.py                  # all three figures, tables printed
    python bench/bench_auction_mission.py --quick          # fewer sizes and seeds (a smoke run)

1. docs/auction_population.png: standalone auctions (env.auction) over population size, for an all-truthful
   population and the dworkin_auction scenario's mix of strategies (50% truthful, 20% shade, 30% inflate):
   envy at the bids (the mechanism's check), the share of ordered pairs with envy at the true valuations,
   the utility Gini at the true valuations, and how often tatonnement converged.
2. docs/auction_modulation.png: the dworkin_auction scenario with `auction.reputation_weight` from 0 (equal
   endowments) to 1: the auction's utility Gini, the compute share of bad actors, toxicity.
3. docs/mission_rewards.png: the mission_economy scenario under each reward rule: the free-rider index,
   the share of the rewards paid to free riders, and each agent type's mean final resources (rewards
   are paid into resources).

Every number comes from the runs made here; nothing is tuned.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from distsafe.core.parts.auction import AuctionComponent
from distsafe.env.auction import DworkinAuction, gini_coefficient
from distsafe.env.auction_run import AuctionRunConfig
from distsafe.models.agent import AgentType
from distsafe.scenarios import build_orchestrator, load_scenario

TYPES = ("honest", "opportunistic", "deceptive", "adversarial")
DOCS = Path(__file__).resolve().parents[1] / "docs"
console = Console(width=160)


def population_auctions(
    sizes: list[int], seeds: int, progress: Progress
) -> dict[str, dict[int, dict[str, float]]]:
    """Standalone auctions with the scenario's defaults (3 resources, 1 unit each per agent)."""
    cfg = AuctionRunConfig(max_rounds=200, convergence_tolerance=0.02)
    comp = AuctionComponent(cfg, 10)  # its bid strategies, used outside a run
    auc = DworkinAuction(cfg)
    mixes = {"truthful": (1.0, 0.0, 0.0), "strategic": (0.5, 0.2, 0.3)}
    codes = (AgentType.HONEST.code, AgentType.OPPORTUNISTIC.code, AgentType.ADVERSARIAL.code)
    out: dict[str, dict[int, dict[str, float]]] = {m: {} for m in mixes}
    task = progress.add_task("auctions by population size", total=len(mixes) * len(sizes) * seeds)
    for mix, shares in mixes.items():
        for n in sizes:
            rows = []
            for seed in range(seeds):
                rng = np.random.default_rng(1000 + seed)
                true_v = rng.uniform(cfg.valuation_low, cfg.valuation_high, (n, 3))
                k = np.floor(np.array(shares) * n).astype(int)
                k[0] = n - k[1:].sum()
                types = np.repeat(np.array(codes), k)
                budgets = np.full(n, cfg.initial_endowment)
                c = auc.clear(comp.bids(true_v, types), budgets, np.full(3, float(n)))
                true_envy, _, _ = auc.envy(true_v, budgets * c.scale, c.allocation, c.prices)
                rows.append(
                    (
                        float(c.is_envy_free),
                        true_envy / max(n * (n - 1), 1),
                        gini_coefficient((true_v * c.allocation).sum(axis=1)),
                        float(c.converged),
                        float(c.rounds),
                    )
                )
                progress.advance(task)
            a = np.array(rows)
            out[mix][n] = dict(
                zip(
                    ("envy_free_bids", "true_envy_pairs", "true_gini", "converged", "rounds"),
                    a.mean(axis=0),
                    strict=True,
                )
            )
    return out


def modulation_runs(weights: list[float], seeds: int, progress: Progress) -> dict[float, dict[str, float]]:
    out: dict[float, dict[str, float]] = {}
    task = progress.add_task("dworkin_auction by reputation weight", total=len(weights) * seeds)
    for w in weights:
        rows = []
        for seed in range(seeds):
            spec = load_scenario(
                "dworkin_auction", [f"auction.reputation_weight={w}", f"simulation.seed={seed + 1}"]
            )
            orch = build_orchestrator(spec)
            ms = [m.values for m in orch.run()]
            rows.append(
                (
                    np.mean([m["auction_gini"] for m in ms]),
                    np.mean([m["auction_bad_actor_share"] for m in ms]),
                    np.mean([m["toxicity_rate"] for m in ms]),
                    np.mean([m["auction_true_envy_count"] for m in ms]),
                )
            )
            progress.advance(task)
        out[w] = dict(
            zip(
                ("gini", "bad_actor_share", "toxicity", "true_envy_count"), np.mean(rows, axis=0), strict=True
            )
        )
    return out


def mission_runs(seeds: int, progress: Progress) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    rules = ["equal", "proportional", "shapley"]
    task = progress.add_task("mission_economy by reward rule", total=len(rules) * seeds)
    for rule in rules:
        rows = []
        for seed in range(seeds):
            spec = load_scenario(
                "mission_economy", [f"missions.reward_distribution={rule}", f"simulation.seed={seed + 1}"]
            )
            orch = build_orchestrator(spec)
            ms = [m.values for m in orch.run()]
            fri = [m["free_rider_index"] for m in ms if not np.isnan(m["free_rider_index"])]
            share = [m["free_rider_reward_share"] for m in ms if not np.isnan(m["free_rider_reward_share"])]
            s = orch.summary()
            a = orch.agents
            money = [float(a.resources[a.type_code == AgentType(t).code].mean()) for t in TYPES]
            rows.append((np.mean(fri), np.mean(share), s["components"]["mission"]["succeeded"], *money))
            progress.advance(task)
        keys = (
            "free_rider_index",
            "free_rider_reward_share",
            "succeeded",
            *(f"resources_{t}" for t in TYPES),
        )
        out[rule] = dict(zip(keys, np.mean(rows, axis=0), strict=True))
    return out


def _table(title: str, rows: dict, first: str) -> None:  # type: ignore[type-arg]
    t = Table(title=title)
    t.add_column(first)
    keys = list(next(iter(rows.values())))
    for k in keys:
        t.add_column(k, justify="right")
    for name, vals in rows.items():
        t.add_row(str(name), *(f"{vals[k]:.4g}" for k in keys))
    console.print(t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer sizes and seeds")
    ap.add_argument("--out", type=Path, default=DOCS, help="folder of the PNG files (default docs/)")
    args = ap.parse_args()
    sizes = [10, 30, 100] if args.quick else [10, 30, 100, 300, 1000, 3000]
    seeds = 2 if args.quick else 5
    run_seeds = 1 if args.quick else 3
    weights = [0.0, 1.0] if args.quick else [0.0, 0.25, 0.5, 0.75, 1.0]
    with Progress(console=console) as progress:
        pop = population_auctions(sizes, seeds, progress)
        mod = modulation_runs(weights, run_seeds, progress)
        mis = mission_runs(run_seeds, progress)
    for mix, rows in pop.items():
        _table(f"standalone auctions, {mix} bidders (mean of {seeds} seeds)", rows, "agents")
    _table(f"dworkin_auction by reputation_weight (mean of {run_seeds} seeds)", mod, "weight")
    _table(f"mission_economy by reward rule (mean of {run_seeds} seeds)", mis, "rule")
    args.out.mkdir(parents=True, exist_ok=True)

    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8))
    for mix, rows in pop.items():
        n = list(rows)
        ax[0].plot(n, [rows[k]["envy_free_bids"] for k in n], marker="o", label=f"{mix}: envy-free at bids")
        ax[0].plot(n, [rows[k]["converged"] for k in n], marker="s", ls="--", label=f"{mix}: converged")
        ax[1].plot(n, [rows[k]["true_envy_pairs"] for k in n], marker="o", label=mix)
        ax[2].plot(n, [rows[k]["true_gini"] for k in n], marker="o", label=mix)
    titles = ("share of auctions", "pairs with envy at true values", "utility Gini (true values)")
    for a, title in zip(ax, titles, strict=True):
        a.set_xscale("log")
        a.set_xlabel("bidders")
        a.set_title(title)
        a.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.out / "auction_population.png", dpi=110)

    fig, ax = plt.subplots(1, 3, figsize=(13, 3.6))
    w = list(mod)
    titles = ("auction utility Gini", "compute held by bad actors", "toxicity")
    for a, key, title in zip(ax, ("gini", "bad_actor_share", "toxicity"), titles, strict=True):
        a.plot(w, [mod[k][key] for k in w], marker="o")
        a.set_xlabel("auction.reputation_weight")
        a.set_title(title)
    fig.tight_layout()
    fig.savefig(args.out / "auction_modulation.png", dpi=110)

    fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
    rules = list(mis)
    x = np.arange(len(rules))
    ax[0].bar(x - 0.2, [mis[r]["free_rider_index"] for r in rules], 0.4, label="free-rider index")
    ax[0].bar(
        x + 0.2, [mis[r]["free_rider_reward_share"] for r in rules], 0.4, label="free riders' reward share"
    )
    ax[0].set_xticks(x, rules)
    ax[0].legend(fontsize=8)
    ax[0].set_title("missions by reward rule")
    for k, r in enumerate(rules):
        ax[1].bar(
            np.arange(len(TYPES)) + (k - 1) * 0.27, [mis[r][f"resources_{t}"] for t in TYPES], 0.27, label=r
        )
    ax[1].set_xticks(np.arange(len(TYPES)), TYPES)
    ax[1].set_title("mean final resources by type")
    ax[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out / "mission_rewards.png", dpi=110)
    console.print(f"figures: {args.out}/auction_population.png, auction_modulation.png, mission_rewards.png")


if __name__ == "__main__":
    main()
