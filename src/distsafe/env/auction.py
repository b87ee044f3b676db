"""Seed 003's Dworkin-style auction: equal token endowments, tatonnement to market-clearing prices, an
allocation that never exceeds supply, the envy-freeness check and fairness metrics.

The mechanism (the seed's five steps), vectorized with numpy over agents x resources:

1. every agent gets the same token endowment (`AuctionConfig.initial_endowment`); with
   `reputation_modulation` on, the endowment is scaled by the agent's average p (the soft-label
   connection: `effective_endowments`, endowment * (1 + w (2 p_bar - 1)));
2. each agent bids its valuation of one unit of each resource (linear utility u_i(x) = sum_r v_ir x_r);
3. tatonnement: at prices p each agent demands the bundle a linear-utility buyer buys with its budget
   (resources in order of value per token v_ir / p_r, each up to the supply, until the budget is spent);
   each price moves with the relative excess demand z_r / S_r (clipped to [-1, 1]):
   p_r <- max(PRICE_FLOOR, p_r (1 + rate * z_r / S_r)). Prices start where the total budget spread
   evenly over the resources buys the supply (p_r = sum_i B_i / (R S_r)). The market has converged when
   every resource's |z_r| / S_r is below `convergence_tolerance` (the tolerance is relative to the
   supply, so that it does not depend on units), or its price is at the floor with supply left over;
4. the demands at the final prices are scaled down so that total demand <= supply, by one factor
   s = min(1, min_r S_r / D_r) for every agent and resource (not per resource: a common factor keeps each
   bundle the best one the agent could buy with s times its budget, which per-resource scaling breaks;
   after convergence s >= 1 / (1 + convergence_tolerance), so at most that share of the supply is left);
5. envy-freeness at the clearing prices: agent i envies j when j's bundle costs at most what i's scaled
   budget s B_i buys and i values it more than its own by more than `envy_tolerance`. Since every
   bundle is optimal for its owner's scaled budget (and within the scaled supply, which every bundle
   respects), an allocation is envy-free at the bids up to float rounding, converged or not; the check is
   kept, and `envy` measures envy at any other valuations (the engine: at the bidders' true values).

The seed's dict API (`run_auction(bids, resources)` -> `AuctionResult`) wraps the array API
(`clear(valuations, budgets, supply)` -> `Clearing`), which the engine's component (`core.parts.auction`)
calls for whole populations. The envy check is pairwise (n^2 R) and runs in row blocks of
`ENVY_BLOCK` agents, so 10^4 agents need ~80 MB at a time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import ConfigDict, Field

from distsafe.env.fairness import gini_coefficient
from distsafe.models.config_base import ConfigModel

#: the lowest price tatonnement sets (a resource nobody wants ends there)
PRICE_FLOOR = 1e-3
#: agents per block of the pairwise envy check
ENVY_BLOCK = 1024
#: envy violations kept as `EnvyViolation` records (all are counted)
MAX_LISTED_VIOLATIONS = 100


class AuctionConfig(ConfigModel):
    """The seed's auction settings (its table), and the soft-label switch."""

    model_config = ConfigDict(extra="forbid")

    #: equal token budget per agent
    initial_endowment: float = Field(default=100.0, gt=0)
    #: maximum tatonnement iterations
    max_rounds: int = Field(default=50, ge=1, le=100_000)
    #: price change speed, in (0, 1]
    price_adjustment_rate: float = Field(default=0.1, gt=0, le=1)
    #: largest relative excess demand |z_r| / S_r at which the market counts as cleared
    convergence_tolerance: float = Field(default=0.01, gt=0)
    #: utility gap (and budget slack) tolerated by the envy-freeness check
    envy_tolerance: float = Field(default=0.05, gt=0)
    #: the soft-label connection: endowments scaled by each agent's average p (`effective_endowments`)
    reputation_modulation: bool = False
    #: w in endowment * (1 + w (2 p_bar - 1)): 0 keeps endowments equal, 1 ranges them over [0, 2x]
    reputation_weight: float = Field(default=0.5, ge=0, le=1)


def _finite_nonneg(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


@dataclass
class AuctionBid:
    """An agent's bid: its valuation of one unit of each resource, and its token budget."""

    agent_id: str = ""
    valuations: dict[str, float] = field(default_factory=dict)
    budget: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.agent_id, str) or not self.agent_id:
            raise ValueError(f"bid agent_id must be a non-empty string, got {self.agent_id!r}")
        self.budget = _finite_nonneg(f"bid of {self.agent_id}: budget", self.budget)
        self.valuations = {
            str(r): _finite_nonneg(f"bid of {self.agent_id}: valuation of {r!r}", v)
            for r, v in dict(self.valuations).items()
        }

    def to_dict(self) -> dict[str, Any]:
        return {"agent_id": self.agent_id, "valuations": dict(self.valuations), "budget": self.budget}


@dataclass
class AuctionAllocation:
    """One agent's bundle, what it paid at the clearing prices and its utility (at its bid)."""

    agent_id: str = ""
    resources: dict[str, float] = field(default_factory=dict)
    price_paid: float = 0.0
    utility: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "resources": dict(self.resources),
            "price_paid": self.price_paid,
            "utility": self.utility,
        }


@dataclass
class EnvyViolation:
    """Agent `envious_agent` values `envied_agent`'s bundle more than its own by `utility_gap`."""

    envious_agent: str = ""
    envied_agent: str = ""
    utility_gap: float = 0.0


@dataclass
class Clearing:
    """The array result of `DworkinAuction.clear` (rows are agents, columns resources)."""

    prices: np.ndarray
    allocation: np.ndarray
    spent: np.ndarray
    utility: np.ndarray
    rounds: int
    converged: bool
    #: the largest |z_r| / S_r of the last round
    max_excess: float
    envy_count: int
    max_envy: float
    #: up to MAX_LISTED_VIOLATIONS (envious row, envied row, gap), in row order
    violations: list[tuple[int, int, float]]
    #: the common factor the demands were scaled by (step 4)
    scale: float = 1.0

    @property
    def is_envy_free(self) -> bool:
        return self.envy_count == 0


@dataclass
class AuctionResult:
    """The seed's result of one auction."""

    allocations: dict[str, AuctionAllocation] = field(default_factory=dict)
    clearing_prices: dict[str, float] = field(default_factory=dict)
    rounds_to_converge: int = 0
    is_envy_free: bool = False
    #: the first MAX_LISTED_VIOLATIONS violations (`envy_count` counts them all)
    envy_violations: list[EnvyViolation] = field(default_factory=list)
    envy_count: int = 0
    max_envy: float = 0.0
    total_utility: float = 0.0
    converged: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "allocations": {k: v.to_dict() for k, v in self.allocations.items()},
            "clearing_prices": dict(self.clearing_prices),
            "rounds_to_converge": self.rounds_to_converge,
            "is_envy_free": self.is_envy_free,
            "envy_violation_count": self.envy_count,
            "max_envy": self.max_envy,
            "total_utility": self.total_utility,
            "converged": self.converged,
        }


def greedy_demand(
    values: np.ndarray, budgets: np.ndarray, prices: np.ndarray, supply: np.ndarray
) -> np.ndarray:
    """Each agent's demand at `prices`: resources in order of value per token (ties: column order), each
    up to the supply, until the budget is spent; resources it values at 0 are not bought."""
    n, n_res = values.shape
    ratio = values / prices[None, :]
    order = np.argsort(-ratio, axis=1, kind="stable")
    demand = np.zeros((n, n_res))
    left = budgets.astype(np.float64).copy()
    rows = np.arange(n)
    for k in range(n_res):
        r = order[:, k]
        want = values[rows, r] > 0
        qty = np.where(want, np.minimum(left / prices[r], supply[r]), 0.0)
        demand[rows, r] = qty
        left = left - qty * prices[r]
        left[left <= 1e-9 * np.maximum(budgets, 1.0)] = 0.0  # spent (rounding residue)
    return demand


class DworkinAuction:
    """The seed's `DworkinAuction`: equal endowments, tatonnement, allocation, the envy-freeness check."""

    def __init__(self, config: AuctionConfig | None = None) -> None:
        self.config = config if config is not None else AuctionConfig()

    # ---- the soft-label connection --------------------------------------------------------------------
    def effective_endowments(self, avg_p: Any) -> np.ndarray:
        """Each agent's token budget: `initial_endowment`, times (1 + w (2 p_bar - 1)) when
        `reputation_modulation` is on (p_bar: the agent's average p; 0.5 leaves it unchanged)."""
        p = np.asarray(avg_p, dtype=np.float64).ravel()
        if p.size and (not np.all(np.isfinite(p)) or p.min() < 0 or p.max() > 1):
            raise ValueError("average p must be finite and in [0, 1]")
        base = np.full(p.shape[0], self.config.initial_endowment)
        if not self.config.reputation_modulation:
            return base
        return base * (1.0 + self.config.reputation_weight * (2.0 * p - 1.0))

    # ---- the array API -------------------------------------------------------------------------------
    def clear(self, valuations: Any, budgets: Any, supply: Any) -> Clearing:
        """Tatonnement, allocation and the envy check for `valuations` (n x R, >= 0), `budgets` (n, >= 0)
        and `supply` (R, > 0). ValueError (one line) on a bad shape or number; nothing is kept."""
        v = np.asarray(valuations, dtype=np.float64)
        b = np.asarray(budgets, dtype=np.float64).ravel()
        s = np.asarray(supply, dtype=np.float64).ravel()
        if v.ndim != 2 or v.shape[0] != b.shape[0] or v.shape[1] != s.shape[0]:
            raise ValueError(f"valuations must be (agents x resources) = ({b.shape[0]} x {s.shape[0]}), "
                             f"got {v.shape}")  # fmt: skip
        for name, arr in (("valuation", v), ("budget", b)):
            if arr.size and (not np.all(np.isfinite(arr)) or arr.min() < 0):
                raise ValueError(f"every {name} must be a finite number >= 0")
        if s.size == 0 or not np.all(np.isfinite(s)) or s.min() <= 0:
            raise ValueError("every resource's supply must be a finite number > 0")
        n, n_res = v.shape
        if n == 0:
            z = np.zeros((0, n_res))
            return Clearing(s * 0 + 1.0, z, np.zeros(0), np.zeros(0), 0, True, 0.0, 0, 0.0, [], 1.0)
        cfg = self.config
        total_budget = float(b.sum())
        prices = np.full(n_res, PRICE_FLOOR) if total_budget <= 0 else np.maximum(
            total_budget / (n_res * s), PRICE_FLOOR)  # fmt: skip
        converged, rounds, max_excess = False, 0, float("inf")
        for k in range(cfg.max_rounds):
            rounds = k + 1
            rel = (greedy_demand(v, b, prices, s).sum(axis=0) - s) / s
            slack = (rel < 0) & (prices <= PRICE_FLOOR)  # unwanted even at the floor: cleared
            max_excess = float(np.max(np.where(slack, 0.0, np.abs(rel))))
            if max_excess < cfg.convergence_tolerance:
                converged = True
                break
            prices = np.maximum(PRICE_FLOOR, prices * (1.0 + cfg.price_adjustment_rate * np.clip(rel, -1, 1)))
        demand = greedy_demand(v, b, prices, s)
        total = demand.sum(axis=0)
        over = total > s
        scale = float(np.min(s[over] / total[over])) if over.any() else 1.0
        alloc = demand * scale
        utility = (v * alloc).sum(axis=1)
        spent = alloc @ prices
        count, worst, listed = self.envy(v, b * scale, alloc, prices)
        return Clearing(
            prices, alloc, spent, utility, rounds, converged, max_excess, count, worst, listed, scale
        )

    def envy(
        self, values: np.ndarray, budgets: np.ndarray, alloc: np.ndarray, prices: np.ndarray
    ) -> tuple[int, float, list[tuple[int, int, float]]]:
        """Envy at `values` (n x R): i envies j (j != i) when j's bundle costs at most `budgets[i]` (up to
        float rounding) and v_i . x_j - v_i . x_i > envy_tolerance. Returns (violations, the largest gap
        found (>= 0), the first MAX_LISTED_VIOLATIONS (i, j, gap)).

        Rows are skipped when a bound rules their envy out: any bundle i can afford is worth at most
        rho_i * budget_i to i (rho_i = max_r v_ir / p_r), so i envies nobody when that minus its own
        utility is <= envy_tolerance. The pairwise check (blocks of ENVY_BLOCK rows) runs on the rest; the
        largest gap is exact whenever some gap exceeds the tolerance."""
        tol = self.config.envy_tolerance
        v = np.asarray(values, dtype=np.float64)
        b = np.asarray(budgets, dtype=np.float64)
        utility = (v * alloc).sum(axis=1)
        cost = alloc @ prices
        limit = b * (1.0 + 1e-9) + 1e-12  # float rounding only
        p = np.asarray(prices, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):  # a free resource someone values: no bound
            ratio = np.where(v > 0, v / np.where(p > 0, p, 0.0)[None, :], 0.0)
        bound = ratio.max(axis=1, initial=0.0) * limit
        rows = np.flatnonzero(bound - utility > tol - 1e-9 * np.maximum(bound, 1.0))
        count, worst = 0, 0.0
        listed: list[tuple[int, int, float]] = []
        for lo in range(0, rows.size, ENVY_BLOCK):
            blk = rows[lo : lo + ENVY_BLOCK]
            gap = v[blk] @ alloc.T - utility[blk, None]
            ok = cost[None, :] <= limit[blk, None]
            ok[np.arange(blk.size), blk] = False
            gap = np.where(ok, gap, -np.inf)
            worst = max(worst, float(gap.max(initial=0.0)))
            bad = gap > tol
            count += int(np.count_nonzero(bad))
            if len(listed) < MAX_LISTED_VIOLATIONS and bad.any():
                ii, jj = np.nonzero(bad)
                for i, j in zip(ii[: MAX_LISTED_VIOLATIONS - len(listed)], jj, strict=False):
                    listed.append((int(blk[i]), int(j), float(gap[i, j])))
        return count, worst, listed

    # ---- the seed's dict API -------------------------------------------------------------------------
    def run_auction(
        self, bids: Mapping[str, AuctionBid], available_resources: Mapping[str, float]
    ) -> AuctionResult:
        """The seed's `run_auction`: bids by agent id, resources by name -> quantity. A resource a bid does
        not name is valued 0; a bid naming an unknown resource is refused (ValueError, one line)."""
        names = list(available_resources)
        supply = np.array([_finite_nonneg(f"resource {r!r}", available_resources[r]) for r in names])
        if not bids or not names:
            return AuctionResult(converged=True, is_envy_free=True)
        ids = list(bids)
        for key, bid in bids.items():
            if not isinstance(bid, AuctionBid):
                raise ValueError(f"bid {key!r} must be an AuctionBid, got {type(bid).__name__}")
            if bid.agent_id != key:
                raise ValueError(f"bid under key {key!r} is agent {bid.agent_id!r}'s")
            unknown = sorted(set(bid.valuations) - set(names))
            if unknown:
                raise ValueError(f"bid of {key}: unknown resource {unknown[0]!r} (have: {', '.join(names)})")
        vals = np.array([[bids[a].valuations.get(r, 0.0) for r in names] for a in ids])
        budgets = np.array([bids[a].budget for a in ids])
        c = self.clear(vals, budgets, supply)
        allocations = {
            a: AuctionAllocation(
                agent_id=a,
                resources={
                    r: float(c.allocation[i, k]) for k, r in enumerate(names) if c.allocation[i, k] > 0
                },
                price_paid=float(c.spent[i]),
                utility=float(c.utility[i]),
            )
            for i, a in enumerate(ids)
        }
        return AuctionResult(
            allocations=allocations,
            clearing_prices={r: float(c.prices[k]) for k, r in enumerate(names)},
            rounds_to_converge=c.rounds,
            is_envy_free=c.is_envy_free,
            envy_violations=[EnvyViolation(ids[i], ids[j], g) for i, j, g in c.violations],
            envy_count=c.envy_count,
            max_envy=c.max_envy,
            total_utility=float(c.utility.sum()),
            converged=c.converged,
        )

    def compute_gini_coefficient(self, allocations: Mapping[str, AuctionAllocation] | Any) -> float:
        """Gini of the allocations' utilities (a dict of `AuctionAllocation`, or an array of utilities)."""
        if isinstance(allocations, Mapping):
            return gini_coefficient([a.utility for a in allocations.values()])
        return gini_coefficient(allocations)
