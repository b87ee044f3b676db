"""What an epoch reports: `EpochMetrics`, and the one place that measures it (`measure_epoch`).

The engine hands over the epoch's interactions (one `InteractionBatch`), the agent table and the epoch's
counters; everything reported per epoch and over a run (`run_summary`) is computed here. The order of
the keys is the column order of metrics.csv and metrics.json.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from distsafe.metrics.batch_stats import gini
from distsafe.metrics.soft_metrics import SoftMetrics
from distsafe.models.agent import BAD_ACTOR_TYPES, AgentType
from distsafe.models.agent_table import AgentTable
from distsafe.models.columns import InteractionBatch

#: Keys every `EpochMetrics` of a run has, in order, before the per-type keys.
EPOCH_FIELDS: tuple[str, ...] = (
    "epoch", "n_interactions", "n_accepted", "acceptance_rate", "toxicity_rate", "quality_gap", "avg_p",
    "total_welfare", "avg_payoff_initiator", "avg_payoff_counterparty", "conditional_loss_initiator",
    "conditional_loss_counterparty", "brier", "ece", "expected_harm", "hard_toxicity_rate",
    "hard_quality_gap", "realized_harm", "quality_gap_by_choice", "n_rejected_frozen", "welfare_money",
    "welfare_reputation", "avg_reputation", "gini_payoff", "n_frozen", "n_frozen_bad_actors",
    "bad_actor_payoff", "n_posts", "n_votes", "tasks_completed", "n_blocked", "governance_revenue",
    "revenue_redistributed", "public_pool",
)  # fmt: skip

#: The governance revenue keys an epoch reports (from `GovernanceEngine.settle_epoch`), 0 without levers.
REVENUE_FIELDS: tuple[str, ...] = ("governance_revenue", "revenue_redistributed", "public_pool")

_BAD_CODES = sorted(t.code for t in BAD_ACTOR_TYPES)

#: Metrics measured only when a run asks for them (a scenario's `metrics_to_track`), appended after the
#: per-type keys in the order asked. influence_gini: the Gini coefficient (`batch_stats.gini`) over all
#: agents of the vote influence each exerted this epoch, sum_k |w_k| over its votes (the weight the
#: vote-normalization lever caps: seed 002's "Cap vote influence per agent" and "Influence distribution
#: (Gini coefficient over time)"); 0 when every agent's influence is equal, near 1 when one agent holds
#: it all; nan in an epoch without votes.
OPTIONAL_METRICS: dict[str, str] = {
    "influence_gini": "Gini over agents of the vote weight each cast this epoch",
    # the reference implementation's net social welfare (its SoftMetrics.welfare_metrics): the private
    # surplus minus the externality, sum over accepted of S_soft - E_soft = p s+ - (1 - p)(s- + h)
    "net_social_welfare": "sum over accepted interactions of p s_plus - (1 - p)(s_minus + h)",
}


#: Metrics of the optional parts, reported (after everything else) in the epochs of runs that switch the
#: part on: the network (seed 001's "Network Metrics", env.network), collusion detection
#: (governance.collusion) and composite tasks (env.composite_tasks, seed 001's emergent metrics).
SECTION_METRICS: dict[str, tuple[str, ...]] = {
    "network": ("n_edges", "avg_degree", "avg_clustering", "n_components", "avg_path_length", "density",
                "edges_pruned", "agents_disconnected"),
    "collusion": ("n_flagged_pairs", "n_flagged_agents", "n_collusion_groups", "ecosystem_collusion_risk",
                  "collusion_penalties"),
    "composite": ("composite_tasks_open", "composite_tasks_completed", "composite_subtasks_completed",
                  "avg_coordination_score", "avg_synergy_score", "information_flow", "specialization_index",
                  "complementarity_score", "knowledge_transfer", "composite_completion_rate",
                  "capability_concentration"),
    # seed 003's order book (env.hfn, core.parts.hfn)
    "hfn": ("hfn_trades", "hfn_volume", "hfn_price", "hfn_price_min", "hfn_crashes", "hfn_halted_ticks",
            "hfn_speed_gini", "hfn_trade_p"),
    # seed 003's Dworkin auction (core.parts.auction): the latest auction's results, this epoch's extra
    # interactions from the action resource and the payments
    # (envy at the bids, which the mechanism makes envy-free, and at the bidders' true valuations)
    "auction": ("auction_held", "auction_rounds", "auction_converged", "auction_scale", "auction_envy_free",
                "auction_envy_count", "auction_true_envy_free", "auction_true_envy_count",
                "auction_true_max_envy", "auction_gini", "auction_true_utility",
                "auction_bad_actor_share", "auction_extra_interactions", "auction_extra_accepted",
                "auction_payments"),
    # seed 003's mission economy (core.parts.mission)
    "mission": ("missions_active", "missions_proposed", "missions_succeeded", "missions_failed",
                "mission_members", "mission_contributions", "mission_rewards_paid", "mission_public_funds",
                "mission_score", "free_rider_index", "free_rider_reward_share"),
    # seed 002's marketplace (core.parts.market; docs/economies.md)
    "market": ("bounties_posted", "bids_submitted", "bounties_filled", "bounties_expired", "escrow_released",
               "disputes_filed", "disputes_resolved", "escrow_held", "avg_bounty", "market_fees",
               "paid_for_bad_work", "withheld_from_workers"),
    # seed 002's Moltbook motifs (env.motifs, core.parts.motifs; docs/motifs.md)
    "motifs": ("motif_posts", "motif_adoptions", "dominant_share", "narrative_entropy", "n_narratives",
               "meme_r0", "meme_mean_offspring", "max_cascade", "n_cascades", "stance_polarization",
               "stance_consensus", "adversary_meme_share", "rules_proposed", "rules_adopted",
               "rule_violations", "rule_compliance", "n_communities", "modularity"),
    "identity": ("identities", "identities_refused", "credentials_issued", "avg_trust_score",
                 "avg_trust_sybil", "pop_verification_rate", "sybil_clusters_found", "sybil_precision",
                 "sybil_recall"),
    "permeability": ("effective_permeability", "threat_level", "flows_crossed", "spillovers",
                     "spillovers_blocked", "external_harm", "cumulative_external_harm", "containment_rate"),
    "dynamic_toxicity": ("dt_sigmoid_k", "dt_cumulative_toxicity", "dt_rolling_toxicity", "dt_honest_exits",
                         "dt_bias_mean"),
    # contract markets (env.contracts, core.parts.contracts; the reference's `contracts:`)
    "contracts": ("contract_separation_quality", "contract_infiltration_rate", "contract_welfare_delta",
                  "contract_attack_displacement", "contract_welfare_truthful", "contract_welfare_fair",
                  "contract_welfare_default", "contract_truthful_agents", "contract_fair_agents",
                  "contract_default_agents", "contract_audits", "contract_audit_penalty"),
    # recursive spawning (env.spawn, core.parts.spawn)
    "spawn": ("spawn_total", "spawn_max_depth", "spawn_eligible"),
    "perturbations": ("perturb_new_dropouts", "perturb_dropped_agent_steps", "perturb_partition_active",
                      "perturb_shocks_active"),
}  # fmt: skip


def trackable_metrics() -> tuple[str, ...]:
    """Every name `metrics_to_track` accepts: the epoch fields, the per-type keys and `OPTIONAL_METRICS`
    (and the `SECTION_METRICS` of the parts a run switches on)."""
    per_type = tuple(f"{kind}_{t.value}" for t in AgentType for kind in ("payoff", "toxicity"))
    sections = tuple(name for names in SECTION_METRICS.values() for name in names)
    return EPOCH_FIELDS + per_type + tuple(OPTIONAL_METRICS) + sections


def check_metric_names(names: list[str]) -> list[str]:
    """`names` if every one is trackable; else ValueError naming the first unknown one and the known."""
    known = trackable_metrics()
    for name in names:
        if name not in known:
            raise ValueError(f"unknown metric {name!r}; known: {', '.join(known)}")
    return names


def net_social_welfare(soft: SoftMetrics, batch: InteractionBatch) -> float:
    """`OPTIONAL_METRICS["net_social_welfare"]`: sum over accepted of S_soft - E_soft (0 when none)."""
    p = np.asarray(batch.p, dtype=np.float64)[np.asarray(batch.accepted, dtype=bool)]
    eng = soft.payoff_engine
    return float(np.sum(eng.expected_surplus(p) - eng.expected_harm(p)))


def influence_gini(vote_weight: np.ndarray | None) -> float:
    """`OPTIONAL_METRICS["influence_gini"]` from each agent's summed |vote weight| this epoch."""
    w = np.zeros(0) if vote_weight is None else np.asarray(vote_weight, dtype=np.float64)
    return float(gini(w)) if w.size and float(w.sum()) > 0 else float("nan")


class EpochMetrics:
    """Metrics of one epoch. Attribute access for every key (`m.toxicity_rate`), `to_dict()` for all.

    Per-type keys: `payoff_<type>` (mean cumulative payoff of the agents of that type),
    `toxicity_<type>` (toxicity of the interactions they initiated this epoch), `harm_<type>` (realized
    harm of those interactions: share with v = -1), `frozen_<type>` (its agents frozen at the epoch's
    end) and `share_<type>` (the type's share of the population at the epoch's end; it moves only under
    population dynamics).
    """

    __slots__ = ("values",)

    def __init__(self, values: Mapping[str, Any]):
        self.values = dict(values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def epoch(self) -> int:
        return int(self.values["epoch"])

    def to_dict(self) -> dict[str, Any]:
        return dict(self.values)

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-safe: nan becomes None."""
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in self.values.items()}

    def __repr__(self) -> str:
        return (
            f"EpochMetrics(epoch={self.epoch}, toxicity_rate={self.values.get('toxicity_rate'):.3f}, "
            f"total_welfare={self.values.get('total_welfare'):.2f})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EpochMetrics):
            return NotImplemented
        return self.to_json_dict() == other.to_json_dict()


@dataclass(kw_only=True)
class EpochCounts:
    """What the step counts during an epoch (feed activity, verified tasks, blocked actions)."""

    n_posts: int = 0
    n_votes: int = 0
    tasks_completed: int = 0
    n_blocked: int = 0

    def as_floats(self) -> dict[str, float]:
        """The counters in report order, as floats (every metric value is a float)."""
        return {
            "n_posts": float(self.n_posts),
            "n_votes": float(self.n_votes),
            "tasks_completed": float(self.tasks_completed),
            "n_blocked": float(self.n_blocked),
        }


def bad_actor_payoff(agents: AgentTable) -> float:
    """Mean cumulative payoff of the bad-actor types; nan without any."""
    bad = np.isin(agents.type_code, _BAD_CODES)
    return float(agents.total_payoff[bad].mean()) if bad.any() else float("nan")


def type_payoffs(agents: AgentTable) -> dict[str, float]:
    """`{type: mean cumulative payoff}` for each `AgentType` present, in `AgentType` order."""
    out: dict[str, float] = {}
    for t in AgentType:
        rows = agents.type_code == t.code
        if rows.any():
            out[t.value] = float(agents.total_payoff[rows].mean())
    return out


def type_toxicity(batch: InteractionBatch, agents: AgentTable) -> dict[str, float]:
    """`{type: E[1 - p | accepted, initiated by that type]}` for each `AgentType` present (nan if it
    initiated no accepted interaction)."""
    init_type = agents.type_code[batch.initiator]  # one gather, shared by the types
    out: dict[str, float] = {}
    for t in AgentType:
        if not np.any(agents.type_code == t.code):
            continue
        mine = (init_type == t.code) & batch.accepted if len(batch) else np.zeros(0, bool)
        out[t.value] = float((1.0 - batch.p[mine]).mean()) if np.any(mine) else float("nan")
    return out


def type_shares(agents: AgentTable) -> dict[str, float]:
    """`{type: share of the population}` for each `AgentType` present (moves under population dynamics)."""
    counts = np.bincount(agents.type_code, minlength=len(AgentType))
    n = max(len(agents), 1)
    return {t.value: float(counts[t.code]) / n for t in AgentType if counts[t.code]}


def type_harm(batch: InteractionBatch, agents: AgentTable) -> dict[str, float]:
    """`{type: P(v = -1 | accepted, initiated by that type, v known)}` for each `AgentType` present (nan if
    it initiated no accepted interaction of known truth): realized harm from the simulated ground truth."""
    init_type = agents.type_code[batch.initiator]
    base = batch.accepted & (batch.v != 0) if len(batch) else np.zeros(0, bool)
    out: dict[str, float] = {}
    for t in AgentType:
        if not np.any(agents.type_code == t.code):
            continue
        mine = base & (init_type == t.code)
        n = int(np.count_nonzero(mine))
        out[t.value] = float(np.count_nonzero(batch.v[mine] < 0)) / n if n else float("nan")
    return out


def frozen_by_type(agents: AgentTable, epoch: int, ever: bool = False) -> dict[str, int]:
    """`{type: agents of that type frozen}` for each `AgentType` present: frozen at the end of `epoch`, or
    (ever=True) frozen at least once so far (an agent's `frozen_until` is -1 until its first freeze)."""
    frozen = agents.frozen_until >= 0 if ever else agents.frozen_until > epoch
    out: dict[str, int] = {}
    for t in AgentType:
        rows = agents.type_code == t.code
        if rows.any():
            out[t.value] = int(np.count_nonzero(frozen & rows))
    return out


def n_bad_actors(counts: Mapping[str, int]) -> int:
    """The sum of per-type counts over the bad-actor types (`BAD_ACTOR_TYPES`)."""
    return int(sum(v for t, v in counts.items() if AgentType(t) in BAD_ACTOR_TYPES))


def measure_epoch(
    epoch: int,
    batch: InteractionBatch,
    agents: AgentTable,
    counts: EpochCounts,
    soft: SoftMetrics,
    extra: Sequence[str] = (),
    vote_weight: np.ndarray | None = None,
    revenue: Mapping[str, float] | None = None,
    lever_metrics: Mapping[str, float] | None = None,
    sections: Mapping[str, float] | None = None,
) -> EpochMetrics:
    """The metrics of an epoch from its interactions and the agents' state at its end.

    `extra` names the `OPTIONAL_METRICS` to add (other names are measured anyway and are ignored here);
    `vote_weight` is each agent's summed |vote weight| this epoch (for influence_gini). `revenue` is the
    epoch's governance settlement (`GovernanceEngine.settle_epoch`: `REVENUE_FIELDS`); revenue that is
    redistributed or kept in the public pool is added to `welfare_money`, since it is still money in the
    economy (only destroyed revenue is a loss). `sections`: the metrics of the optional parts a run
    switched on (`SECTION_METRICS`), appended in their order."""
    values: dict[str, Any] = {"epoch": epoch}
    values.update(soft.compute_epoch(batch))
    rev = {k: float((revenue or {}).get(k, 0.0)) for k in REVENUE_FIELDS}
    kept = float((revenue or {}).get("revenue_kept", 0.0))
    values["welfare_money"] += kept
    values["avg_reputation"] = float(agents.reputation.mean())
    values["gini_payoff"] = float(gini(agents.total_payoff))
    frozen = frozen_by_type(agents, epoch)
    values["n_frozen"] = int(np.count_nonzero(agents.frozen_until > epoch))
    values["n_frozen_bad_actors"] = n_bad_actors(frozen)
    values["bad_actor_payoff"] = bad_actor_payoff(agents)
    values.update(counts.as_floats())
    values.update(rev)
    payoffs, toxicity, harm = type_payoffs(agents), type_toxicity(batch, agents), type_harm(batch, agents)
    for t, pay in payoffs.items():  # interleaved per type: the column order of metrics.csv
        values[f"payoff_{t}"] = pay
        values[f"toxicity_{t}"] = toxicity[t]
        values[f"harm_{t}"] = harm[t]
        values[f"frozen_{t}"] = frozen[t]
    for t, share in type_shares(agents).items():
        values[f"share_{t}"] = share
    if "influence_gini" in extra:
        values["influence_gini"] = influence_gini(vote_weight)
    if "net_social_welfare" in extra:
        values["net_social_welfare"] = net_social_welfare(soft, batch)
    values.update(lever_metrics or {})  # levers' own metrics (e.g. security), only in runs that use them
    # the metrics of the parts a run switched on (network, collusion detection, composite tasks), last,
    # so runs without them keep their columns
    values.update(sections or {})
    return EpochMetrics(values)


def _nanmean(values: Sequence[float]) -> float:
    """Mean over the defined values; nan (without a warning) when there are none."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    return float(x.mean()) if x.size else float("nan")


def run_summary(
    epochs: Sequence[EpochMetrics], agents: AgentTable, governance_stats: Mapping[str, float]
) -> dict[str, Any]:
    """Totals over a run (what the CLI's final report shows), from its epochs and the final agents."""

    def per_epoch(key: str) -> float:
        return float(np.mean([m.values.get(key, 0.0) for m in epochs])) if epochs else float("nan")

    ever = frozen_by_type(agents, 0, ever=True)
    out: dict[str, Any] = {
        "epochs": len(epochs),
        "n_agents": len(agents),
        "n_interactions": int(sum(m.n_interactions for m in epochs)),
        "avg_toxicity": _nanmean([m.toxicity_rate for m in epochs]),
        "avg_realized_harm": _nanmean([m.values.get("realized_harm", float("nan")) for m in epochs]),
        "avg_quality_gap": _nanmean([m.quality_gap for m in epochs]),
        "avg_quality_gap_by_choice": _nanmean(
            [m.values.get("quality_gap_by_choice", float("nan")) for m in epochs]
        ),
        "rejected_frozen": int(sum(m.values.get("n_rejected_frozen", 0) for m in epochs)),
        "rejected_by_choice": int(
            sum(
                m.values.get("n_interactions", 0)
                - m.values.get("n_accepted", 0)
                - m.values.get("n_rejected_frozen", 0)
                for m in epochs
            )
        ),
        "welfare_per_epoch": per_epoch("total_welfare"),
        "welfare_money_per_epoch": per_epoch("welfare_money"),
        "welfare_reputation_per_epoch": per_epoch("welfare_reputation"),
        "total_welfare": float(sum(m.total_welfare for m in epochs)),
        "governance_revenue": float(sum(m.values.get("governance_revenue", 0.0) for m in epochs)),
        "public_pool": float(epochs[-1].values.get("public_pool", 0.0)) if epochs else 0.0,
        "frozen_ever": int(governance_stats.get("freezes", 0)),
        "agents_frozen_ever": int(sum(ever.values())),
        "bad_actors_frozen": n_bad_actors(ever),
        "bad_actor_payoff": bad_actor_payoff(agents),
    }
    for t, n in ever.items():
        out[f"frozen_{t}"] = n
    for t, pay in type_payoffs(agents).items():
        out[f"payoff_{t}"] = pay
    for t in type_payoffs(agents):
        out[f"harm_{t}"] = _nanmean([m.values.get(f"harm_{t}", float("nan")) for m in epochs])
    out.update(governance_stats)
    return out
