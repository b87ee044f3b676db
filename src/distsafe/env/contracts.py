"""Contract markets: screening agents into governed pools by costly signing (the reference implementation's
`contracts:` section, swarm/contracts/{contract,market,metrics}.py; the same mechanism and parameters).

Three pools: two governed contracts, a **truthful auction** (index 0) and a **fair division** (index 1),
and the **default market** (index 2) where every agent that signs nothing ends up.

1. **Signing** (each epoch's start). Each agent weighs each governed contract:
   utility = preference(type, contract) * belief(contract) * resources - cost - switching, plus noise
   N(0, 0.1 |utility| + 0.01); it signs the contract of highest utility if that is above 0 and it can afford
   the cost (cost <= resources), else it stays in the default market. Costs: the truthful auction's bond
   max(min_bond, stake_fraction * resources), the fair division's flat entry_fee. Switching: an agent whose
   last pool was another one (the default market included) adds switching_cost_multiplier * cost. With
   allow_switching false an agent keeps its first pool. Preferences come from `market:` by type: honest,
   opportunistic, and deceptive/adversarial (the reference's "adversarial" pair); any other type 0.3. The
   cost enters the decision (and the record); as in the reference, it is not charged to the agent.
2. **Routing** (each interaction, before governance and payoffs): both parties in the same pool: that
   pool's protocol; else the default market's. Truthful auction: the initiator's reputation change gets
   +surplus_bonus; a random audit (audit_probability) of an interaction with p < audit_threshold_p charges
   both parties (audit_threshold_p - p) * penalty_multiplier. Fair division: tau *= 1 - redistribution_rate,
   both reputation changes get +fairness_bonus. Default market: both parties pay friction_premium.
3. **Beliefs** (each epoch's end): each pool's belief moves to the mean p of the interactions it routed
   this epoch, belief += belief_update_rate * (mean p - belief) (pools without interactions keep theirs;
   all start at 0.5).
4. **Screening metrics** (each epoch's end, `screening_metrics`): separation quality (share of honest
   agents in governed pools minus share in the default market), infiltration rate (share of deceptive and
   adversarial agents in governed pools), welfare delta (mean over the two governed pools of their mean
   welfare per accepted interaction, an empty pool counting 0, minus the default market's) and attack
   displacement (share of the interactions with p < 0.4 that the default market routed).

This module is the model (config and pure numpy rules); `core.parts.contracts` drives it in the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import ConfigDict, Field

from distsafe.models.agent import AgentType
from distsafe.models.config_base import ConfigModel

TRUTHFUL, FAIR, DEFAULT = 0, 1, 2
POOLS = ("truthful_auction", "fair_division", "default_market")
#: p below which an interaction counts as an attack (the reference's `attack_threshold_p`)
ATTACK_THRESHOLD_P = 0.4
#: preference of a type the reference's table does not name
OTHER_PREFERENCE = 0.3
GOOD_TYPES = (AgentType.HONEST,)
ADVERSARIAL_TYPES = (AgentType.DECEPTIVE, AgentType.ADVERSARIAL)


class TruthfulAuctionConfig(ConfigModel):
    model_config = ConfigDict(extra="forbid")

    stake_fraction: float = Field(default=0.05, ge=0, le=1, description="bond as a share of resources")
    audit_probability: float = Field(default=0.2, ge=0, le=1, description="chance an interaction is audited")
    audit_threshold_p: float = Field(default=0.4, ge=0, le=1, description="p below which an audit penalizes")
    penalty_multiplier: float = Field(default=3.0, ge=0, description="penalty per unit of p shortfall")
    surplus_bonus: float = Field(default=0.1, ge=0, description="added to the initiator's reputation change")
    min_bond: float = Field(default=0.5, ge=0, description="the bond's floor")


class FairDivisionConfig(ConfigModel):
    model_config = ConfigDict(extra="forbid")

    entry_fee: float = Field(default=2.0, ge=0, description="flat signing cost")
    fairness_bonus: float = Field(default=0.05, ge=0, description="added to both reputation changes")
    redistribution_rate: float = Field(default=0.1, ge=0, le=1, description="tau shrinks by this share")


class DefaultMarketConfig(ConfigModel):
    model_config = ConfigDict(extra="forbid")

    friction_premium: float = Field(default=0.05, ge=0, description="extra cost to both parties")


class ContractMarketConfig(ConfigModel):
    model_config = ConfigDict(extra="forbid")

    allow_switching: bool = True
    switching_cost_multiplier: float = Field(default=0.5, ge=0)
    belief_update_rate: float = Field(default=0.3, ge=0, le=1)
    honest_truthful_preference: float = Field(default=0.8, ge=0)
    honest_fair_preference: float = Field(default=0.6, ge=0)
    opportunistic_truthful_preference: float = Field(default=0.3, ge=0)
    opportunistic_fair_preference: float = Field(default=0.4, ge=0)
    adversarial_truthful_preference: float = Field(default=0.1, ge=0)
    adversarial_fair_preference: float = Field(default=0.15, ge=0)


class ContractsConfig(ConfigModel):
    """A scenario's `contracts:` block (the reference's names); both governed contracts always exist."""

    model_config = ConfigDict(extra="forbid")

    truthful_auction: TruthfulAuctionConfig = Field(default_factory=TruthfulAuctionConfig)
    fair_division: FairDivisionConfig = Field(default_factory=FairDivisionConfig)
    default_market: DefaultMarketConfig = Field(default_factory=DefaultMarketConfig)
    market: ContractMarketConfig = Field(default_factory=ContractMarketConfig)


def preferences(type_codes: np.ndarray, market: ContractMarketConfig) -> np.ndarray:
    """[n, 2]: each agent's preference weight for the truthful auction and the fair division."""
    out = np.full((type_codes.shape[0], 2), OTHER_PREFERENCE)
    table = {
        (AgentType.HONEST,): (market.honest_truthful_preference, market.honest_fair_preference),
        (AgentType.OPPORTUNISTIC,): (
            market.opportunistic_truthful_preference,
            market.opportunistic_fair_preference,
        ),
        ADVERSARIAL_TYPES: (market.adversarial_truthful_preference, market.adversarial_fair_preference),
    }
    for types, pair in table.items():
        mask = np.isin(type_codes, [t.code for t in types])
        out[mask] = pair
    return out


def signing_costs(resources: np.ndarray, cfg: ContractsConfig) -> np.ndarray:
    """[n, 2]: the truthful auction's bond and the fair division's entry fee for each agent."""
    bond = np.maximum(cfg.truthful_auction.min_bond, resources * cfg.truthful_auction.stake_fraction)
    return np.stack([bond, np.full(resources.shape[0], cfg.fair_division.entry_fee)], axis=1)


def utilities(
    pref: np.ndarray, beliefs: np.ndarray, resources: np.ndarray, cost: np.ndarray, prev: np.ndarray,
    switching_cost_multiplier: float,
) -> np.ndarray:  # fmt: skip
    """[n, 2]: preference * belief * resources - cost - switching (no noise); `prev` each agent's last
    pool (-1: none yet), `beliefs` the two governed pools' beliefs."""
    switching = np.where(
        (prev[:, None] >= 0) & (prev[:, None] != np.arange(2)[None, :]), cost * switching_cost_multiplier, 0.0
    )
    out: np.ndarray = pref * beliefs[None, :2] * resources[:, None] - cost - switching
    return out


def choose_pools(
    type_codes: np.ndarray, resources: np.ndarray, prev: np.ndarray, beliefs: np.ndarray,
    cfg: ContractsConfig, rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Each agent's pool this epoch (0 truthful, 1 fair, 2 default), the signing cost it paid (0 in the
    default market) and its noisy utilities [n, 2] (-inf where it cannot afford the contract)."""
    n = type_codes.shape[0]
    m = cfg.market
    cost = signing_costs(resources, cfg)
    u = utilities(preferences(type_codes, m), beliefs, resources, cost, prev, m.switching_cost_multiplier)
    u = u + rng.normal(0.0, 1.0, size=(n, 2)) * (0.1 * np.abs(u) + 0.01)
    u = np.where(cost <= resources[:, None], u, -np.inf)
    best = np.argmax(u, axis=1)  # ties: the truthful auction, as the reference tries it first
    pick = u[np.arange(n), best] > 0.0
    pool = np.where(pick, best, DEFAULT)
    if not m.allow_switching:
        pool = np.where(prev >= 0, prev, pool)
    paid = np.where(pool < DEFAULT, cost[np.arange(n), np.minimum(pool, 1)], 0.0)
    if not m.allow_switching:
        paid = np.where(prev >= 0, 0.0, paid)
    return pool.astype(np.int8), paid, u


def route(pool_of: np.ndarray, initiator: np.ndarray, counterparty: np.ndarray) -> np.ndarray:
    """Each interaction's pool: both parties' pool when they share one, else the default market."""
    a, b = pool_of[initiator], pool_of[counterparty]
    return np.where(a == b, a, DEFAULT).astype(np.int8)


@dataclass
class Terms:
    """What the contracts change in a step's interactions (arrays aligned with them)."""

    tau_factor: np.ndarray
    cost: np.ndarray  # added to both c_a and c_b
    rep_a: np.ndarray  # added to r_a
    rep_b: np.ndarray  # added to r_b
    audited: np.ndarray
    penalty: np.ndarray  # the audit penalty within `cost`


def contract_terms(pool: np.ndarray, p: np.ndarray, cfg: ContractsConfig, rng: np.random.Generator) -> Terms:
    """Each routed interaction's terms; one audit draw per truthful-auction interaction (in row order)."""
    ta, fd = cfg.truthful_auction, cfg.fair_division
    m = pool.shape[0]
    truthful, fair = pool == TRUTHFUL, pool == FAIR
    audited = np.zeros(m, dtype=bool)
    audited[truthful] = rng.random(int(np.count_nonzero(truthful))) < ta.audit_probability
    penalty = np.where(audited, np.maximum(ta.audit_threshold_p - p, 0.0) * ta.penalty_multiplier, 0.0)
    friction = np.where(pool == DEFAULT, cfg.default_market.friction_premium, 0.0)
    return Terms(
        tau_factor=np.where(fair, 1.0 - fd.redistribution_rate, 1.0),
        cost=friction + penalty,
        rep_a=np.where(truthful, ta.surplus_bonus, 0.0) + np.where(fair, fd.fairness_bonus, 0.0),
        rep_b=np.where(fair, fd.fairness_bonus, 0.0),
        audited=audited,
        penalty=penalty,
    )


def update_beliefs(beliefs: np.ndarray, sum_p: np.ndarray, count: np.ndarray, rate: float) -> np.ndarray:
    """Each pool's belief after an epoch: moved by `rate` toward its mean p (kept where it routed none)."""
    mean = np.divide(sum_p, count, out=np.zeros_like(sum_p), where=count > 0)
    out: np.ndarray = np.where(count > 0, rate * mean + (1.0 - rate) * beliefs, beliefs)
    return out


def screening_metrics(
    pool_of: np.ndarray, type_codes: np.ndarray, welfare_sum: np.ndarray, n_accepted: np.ndarray,
    n_attacks: np.ndarray,
) -> dict[str, float]:  # fmt: skip
    """Separation quality, infiltration rate, welfare delta and attack displacement for one epoch: the
    agents' pools, and per pool the summed welfare of its accepted interactions, their count and its
    interactions with p < ATTACK_THRESHOLD_P."""
    governed = pool_of < DEFAULT
    good = np.isin(type_codes, [t.code for t in GOOD_TYPES])
    bad = np.isin(type_codes, [t.code for t in ADVERSARIAL_TYPES])
    n_good, n_bad = int(good.sum()), int(bad.sum())
    separation = (int((good & governed).sum()) - int((good & ~governed).sum())) / n_good if n_good else 0.0
    infiltration = int((bad & governed).sum()) / n_bad if n_bad else 0.0
    welfare = np.divide(welfare_sum, n_accepted, out=np.zeros_like(welfare_sum), where=n_accepted > 0)
    total_attacks = float(n_attacks.sum())
    return {
        "separation_quality": float(separation),
        "infiltration_rate": float(infiltration),
        "welfare_delta": float(welfare[:2].mean() - welfare[DEFAULT]),
        "attack_displacement": float(n_attacks[DEFAULT] / total_attacks) if total_attacks else 0.0,
        "welfare_truthful": float(welfare[TRUTHFUL]),
        "welfare_fair": float(welfare[FAIR]),
        "welfare_default": float(welfare[DEFAULT]),
    }
