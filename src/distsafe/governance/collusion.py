"""Collusion detection (seed 001's "Collusion Detection") and the collusion penalty lever.

Pair level. Every interaction is recorded under its unordered pair (key `(lo << 32) | hi`); at each epoch's
end the pairs' running sums are merged (one sort of the epoch's keys) and every pair with at least
`collusion_min_interactions` interactions is scored from the seed's four signals:

  frequency z     over accepted interactions, per direction: k_ab those a started with b against
                  e_ab = k_a / d_a, what a's accepted initiations predict if it drew partners uniformly among
                  the d_a agents it can reach (its network degree, or N - 1 without a network). The signal
                  is the normal quantile of the larger of the two directions' Poisson tail probabilities
                  P(X >= k_ab | e_ab), Bonferroni-corrected for the number of pairs tested (`frequency_z`):
                  both sides must seek each other out more than chance, and out of ~N^2 pairs some will by
                  chance. (The seed compares a pair's count with the population of pairs, uncorrected; that
                  flags agents who all seek the same reputable partner, neighbours in a small
                  neighbourhood, and a few percent of all pairs by chance: docs/collusion.md.)
  harm z          ours, not the seed's (`collusion_signals.harm_z`, `group_harm_z`): per direction, the
                  harmful interactions (p < 0.5) among those a started with b and b accepted, against the
                  population's share of harmful work (binomial tail), the larger of the two directions,
                  Bonferroni-corrected; pooled over cohesive groups of >= 3 agents, a pair takes the larger
                  of its own and its group's z
  benefit corr.   Pearson correlation, over the pair's interactions, of a's payoff and b's payoff
  acceptance      the pair's share of accepted interactions
  quality asym.   |mean p inside the pair - mean p of the two agents' other interactions|

  f = clip((z - T) / T, 0, 1), h = clip((z_h - T) / T, 0, 1)     (0 below the threshold, 1 at twice it)
  gate = max(h, f * clip(z_h / T, 0, 1), f if the pair lies in a cohesive group of >= 3 agents joined by
             pairs whose frequency alone scores above the threshold, each agent with >= 2 such pairs)
  s = mean(clip(corr / T_corr, 0, 1), clip(acc / T_acc, 0, 1), clip(asym / T_asym, 0, 1))
  collusion_score = gate * (1 + s) / 2

so a pair is suspicious when its two sides accept each other's harmful work more than the population
does, or seek each other out far more than chance with harm behind it or as part of a ring (frequency
alone flags honest agents who are each other's favourite partner in a sparse network: docs/collusion.md;
the other three signals are high for honest pairs too, since both sides of a good interaction gain), and
more so when the other signals agree. A pair is flagged at `collusion_score >= collusion_score_threshold`;
with `collusion_min_group_size` k > 2, only if its component of suspicious pairs has at least k agents (a
ring rather than two agents who simply prefer each other).

Group level: the connected components of the flagged pairs are the suspicious groups; a group's
`internal_rate` is the share of its members' interactions that stay inside it, and its score the mean of
its pairs' scores. An agent's risk is the highest score among its flagged pairs. The ecosystem's risk is
the score-weighted share of all accepted interactions that happen inside flagged pairs.

Penalty (the lever): at each epoch's end every flagged agent pays `collusion_penalty_multiplier * risk *
collusion_penalty_amount` of its resources and loses `collusion_penalty_multiplier * risk` reputation; with
`collusion_realtime_penalty`, each interaction between a flagged pair costs both sides
`collusion_realtime_rate * (risk_a + risk_b) / 2`. The per-epoch cost is O(interactions log pairs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from distsafe.governance.collusion_signals import HARM_P, frequency_z, group_harm_z, harm_z, in_large_group
from distsafe.governance.config import GovernanceConfig
from distsafe.governance.levers import GovernanceContext, GovernanceLever
from distsafe.models.agent_table import AgentTable
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType

_MASK = np.int64((1 << 32) - 1)
#: pair sums kept per pair, in this order
_SUMS = ("n", "acc", "pa", "pb", "pa2", "pb2", "pab", "p", "acc_lo", "bad", "bad_lo")


@dataclass(frozen=True)
class PairMetrics:
    agent_a: str
    agent_b: str
    n_interactions: int
    frequency_zscore: float
    benefit_correlation: float
    acceptance_rate: float
    quality_asymmetry: float
    collusion_score: float


@dataclass(frozen=True)
class GroupMetrics:
    members: tuple[str, ...]
    internal_rate: float
    collusion_score: float


@dataclass
class CollusionReport:
    """`orchestrator.get_collusion_report()`: the detector's view of the run so far."""

    suspicious_pairs: list[PairMetrics] = field(default_factory=list)
    suspicious_groups: list[GroupMetrics] = field(default_factory=list)
    n_pairs_analyzed: int = 0
    n_flagged_pairs: int = 0
    flagged_agents: list[str] = field(default_factory=list)
    ecosystem_collusion_risk: float = 0.0
    agent_risk: dict[str, float] = field(default_factory=dict)
    penalty_total: float = 0.0
    #: every agent flagged at the end of any epoch so far (and penalized then)
    ever_flagged_agents: list[str] = field(default_factory=list)

    @property
    def n_flagged_agents(self) -> int:
        return len(self.flagged_agents)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_pairs_analyzed": self.n_pairs_analyzed, "n_flagged_pairs": self.n_flagged_pairs,
            "n_flagged_agents": self.n_flagged_agents, "flagged_agents": list(self.flagged_agents),
            "ever_flagged_agents": list(self.ever_flagged_agents),
            "ecosystem_collusion_risk": self.ecosystem_collusion_risk, "penalty_total": self.penalty_total,
            "suspicious_pairs": [vars(p) for p in self.suspicious_pairs],
            "suspicious_groups": [{**vars(g), "members": list(g.members)} for g in self.suspicious_groups],
        }  # fmt: skip


class CollusionDetector:
    """Pair sums over the run and the scoring above, vectorized over pairs."""

    def __init__(self, config: GovernanceConfig) -> None:
        self.c = config
        self.keys = np.zeros(0, dtype=np.int64)
        self.sums = np.zeros((len(_SUMS), 0))
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        #: after `detect`: the flagged pairs' keys (sorted), their scores, and each agent's risk
        self.flagged_keys = np.zeros(0, dtype=np.int64)
        self.flagged_scores = np.zeros(0)
        self.risk = np.zeros(0)

    def record(self, batch: InteractionBatch) -> None:
        """Queue a step's interactions (merged at `detect`): O(interactions)."""
        if len(batch) == 0:
            return
        a, b = batch.initiator.astype(np.int64), batch.counterparty.astype(np.int64)
        lo_first = a <= b
        pa = np.where(lo_first, batch.payoff_a, batch.payoff_b)  # the lower row's payoff
        pb = np.where(lo_first, batch.payoff_b, batch.payoff_a)
        acc = batch.accepted.astype(np.float64)
        bad = acc * (batch.p < HARM_P)
        vals = np.stack(
            [
                np.ones_like(pa),
                acc,
                pa,
                pb,
                pa * pa,
                pb * pb,
                pa * pb,
                batch.p,
                acc * lo_first,
                bad,
                bad * lo_first,
            ]
        )
        self._pending.append(((np.minimum(a, b) << 32) | np.maximum(a, b), vals))

    def merge(self) -> None:
        if not self._pending:
            return
        keys = np.concatenate([self.keys] + [k for k, _ in self._pending])
        vals = np.concatenate([self.sums] + [v for _, v in self._pending], axis=1)
        self._pending.clear()
        self.keys, inv = np.unique(keys, return_inverse=True)
        self.sums = np.stack([np.bincount(inv, weights=row, minlength=self.keys.shape[0]) for row in vals])

    def detect(self, agents: AgentTable, reach: np.ndarray | None = None) -> CollusionReport:
        """Merge, score every pair, flag, group; updates `flagged_keys`, `flagged_scores` and `risk`.
        `reach`: how many partners each agent can reach (its network degree; None: every other agent)."""
        self.merge()
        c, n_agents = self.c, len(agents)
        report = CollusionReport()
        self.risk = np.zeros(n_agents)
        self.flagged_keys, self.flagged_scores = np.zeros(0, dtype=np.int64), np.zeros(0)
        if self.keys.shape[0] == 0:
            return report
        n, acc, pa, pb, pa2, pb2, pab, psum, acc_lo, bad, bad_lo = self.sums
        lo, hi = self.keys >> 32, self.keys & _MASK

        def per_agent_sum(w_lo: np.ndarray, w_hi: np.ndarray) -> np.ndarray:
            out: np.ndarray = np.bincount(lo, weights=w_lo, minlength=n_agents) + np.bincount(
                hi, weights=w_hi, minlength=n_agents
            )
            return out

        per_agent, p_agent = per_agent_sum(n, n), per_agent_sum(psum, psum)
        started = per_agent_sum(acc_lo, acc - acc_lo)  # accepted interactions each agent initiated
        d = np.full(n_agents, max(n_agents - 1, 1), dtype=np.float64) if reach is None else reach[:n_agents]
        d = np.maximum(d.astype(np.float64), 1.0)
        e_lo, e_hi = np.maximum(started[lo] / d[lo], 1e-12), np.maximum(started[hi] / d[hi], 1e-12)
        analyzed = n >= c.collusion_min_interactions
        n_tests = max(int(np.count_nonzero(analyzed)), 1)
        z = frequency_z(acc_lo, acc - acc_lo, e_lo, e_hi, n_tests)
        acc_total = float(acc.sum())
        base = float(bad.sum()) / acc_total if acc_total > 0 else 0.0
        zh = harm_z(bad_lo, bad - bad_lo, acc_lo, acc - acc_lo, base, n_tests)
        zh = np.maximum(zh, group_harm_z(lo, hi, bad_lo, bad - bad_lo, acc_lo, acc - acc_lo, base, n_agents))
        var_a, var_b = pa2 / n - (pa / n) ** 2, pb2 / n - (pb / n) ** 2
        cov = pab / n - (pa / n) * (pb / n)
        den = np.sqrt(np.maximum(var_a, 0) * np.maximum(var_b, 0))
        corr = np.divide(cov, den, out=np.zeros_like(cov), where=den > 1e-12)
        rate = acc / n
        other_n = per_agent[lo] + per_agent[hi] - 2 * n
        other_p = p_agent[lo] + p_agent[hi] - 2 * psum
        asym = np.where(other_n > 0, np.abs(psum / n - np.divide(other_p, np.maximum(other_n, 1))), 0.0)
        thr = max(c.collusion_frequency_threshold, 1e-12)
        f = np.clip((z - thr) / thr, 0.0, 1.0)
        h = np.clip((zh - thr) / thr, 0.0, 1.0)
        gate = np.maximum(h, f * np.clip(zh / thr, 0.0, 1.0))  # frequency counts only with harm behind it
        s = (
            np.clip(corr / max(c.collusion_correlation_threshold, 1e-12), 0, 1)
            + np.clip(rate / max(c.collusion_acceptance_threshold, 1e-12), 0, 1)
            + np.clip(asym / max(c.collusion_quality_asymmetry_threshold, 1e-12), 0, 1)
        ) / 3.0
        freq_flag = analyzed & (f * (1.0 + s) / 2.0 >= c.collusion_score_threshold)
        # frequency alone counts inside a cohesive group: pairs whose both agents have at least two such
        # pairs (a star of agents who all prefer one partner is not a ring), in a group of at least three
        deg = per_agent_sum(freq_flag.astype(np.float64), freq_flag.astype(np.float64))
        cohesive = freq_flag & (deg[lo] >= 2) & (deg[hi] >= 2)
        if cohesive.any():
            gate = np.maximum(gate, np.where(in_large_group(lo, hi, cohesive, 3), f, 0.0))
        score = np.where(analyzed, gate * (1.0 + s) / 2.0, 0.0)
        flag = analyzed & (score >= c.collusion_score_threshold)
        if c.collusion_min_group_size > 2 and flag.any():  # only pairs inside a large enough group count
            flag &= in_large_group(lo, hi, flag, c.collusion_min_group_size)
        report.n_pairs_analyzed = int(np.count_nonzero(analyzed))
        report.n_flagged_pairs = int(np.count_nonzero(flag))
        self.flagged_keys, self.flagged_scores = self.keys[flag], score[flag]
        fl, fh, fs = lo[flag], hi[flag], score[flag]
        np.maximum.at(self.risk, fl, fs)
        np.maximum.at(self.risk, fh, fs)
        report.ecosystem_collusion_risk = float((fs * acc[flag]).sum() / acc_total) if acc_total > 0 else 0.0
        ids = agents.ids
        flagged_rows = np.flatnonzero(self.risk > 0)
        report.flagged_agents = [ids[int(r)] for r in flagged_rows]
        report.agent_risk = {ids[int(r)]: float(self.risk[r]) for r in flagged_rows}
        order = np.argsort(-fs, kind="stable")
        report.suspicious_pairs = [
            PairMetrics(ids[int(fl[i])], ids[int(fh[i])], int(n[flag][i]), float(z[flag][i]),
                        float(corr[flag][i]), float(rate[flag][i]), float(asym[flag][i]), float(fs[i]))
            for i in order.tolist()
        ]  # fmt: skip
        report.suspicious_groups = self._groups(fl, fh, fs, lo, hi, n, per_agent, ids)
        return report

    @staticmethod
    def _groups(
        fl: np.ndarray, fh: np.ndarray, fs: np.ndarray, lo: np.ndarray, hi: np.ndarray, n: np.ndarray,
        per_agent: np.ndarray, ids: Any,
    ) -> list[GroupMetrics]:  # fmt: skip
        if fl.shape[0] == 0:
            return []
        nodes, inv = np.unique(np.concatenate([fl, fh]), return_inverse=True)
        k = nodes.shape[0]
        g = sparse.coo_matrix((np.ones(fl.shape[0]), (inv[: fl.shape[0]], inv[fl.shape[0] :])), shape=(k, k))
        n_comp, label = csgraph.connected_components(g, directed=False)
        comp_of = np.full(per_agent.shape[0], -1, dtype=np.int64)
        comp_of[nodes] = label
        inside = (comp_of[lo] >= 0) & (comp_of[lo] == comp_of[hi])
        internal = np.bincount(comp_of[lo][inside], weights=2 * n[inside], minlength=n_comp)
        activity = np.bincount(label, weights=per_agent[nodes], minlength=n_comp)
        pair_comp = label[inv[: fl.shape[0]]]
        score = np.bincount(pair_comp, weights=fs, minlength=n_comp) / np.maximum(
            np.bincount(pair_comp, minlength=n_comp), 1
        )
        out = [
            GroupMetrics(tuple(ids[int(r)] for r in nodes[label == j]),
                         float(internal[j] / activity[j]) if activity[j] > 0 else 0.0, float(score[j]))
            for j in range(n_comp)
        ]  # fmt: skip
        return sorted(out, key=lambda gm: -gm.collusion_score)

    def pair_risk(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """(risk_a + risk_b) / 2 for each pair that is flagged, 0 for the others."""
        if self.flagged_keys.shape[0] == 0:
            return np.zeros(a.shape[0])
        a64, b64 = a.astype(np.int64), b.astype(np.int64)
        k = (np.minimum(a64, b64) << 32) | np.maximum(a64, b64)
        idx = np.searchsorted(self.flagged_keys, k)
        ok = idx < self.flagged_keys.shape[0]
        ok[ok] = self.flagged_keys[idx[ok]] == k[ok]
        risk = np.zeros(a.shape[0])
        if self.risk.shape[0]:
            ra = np.where(a64 < self.risk.shape[0], self.risk[np.minimum(a64, self.risk.shape[0] - 1)], 0.0)
            rb = np.where(b64 < self.risk.shape[0], self.risk[np.minimum(b64, self.risk.shape[0] - 1)], 0.0)
            risk = np.where(ok, (ra + rb) / 2.0, 0.0)
        return risk


class CollusionLever(GovernanceLever):
    """The collusion penalty lever (registry name `collusion_penalty`, switch
    `collusion_detection_enabled`): records interactions, detects at each epoch's end, penalizes."""

    name = "collusion_penalty"

    def __init__(self, config: GovernanceConfig) -> None:
        self.config = config
        self.detector = CollusionDetector(config)
        self.report = CollusionReport()
        self.penalty_total = 0.0
        self.realtime_total = 0.0
        self.epoch_penalties = 0.0
        self.flag_events = 0
        self.ever_flagged = np.zeros(0, dtype=bool)

    def on_interactions(self, ctx: GovernanceContext, batch: InteractionBatch) -> None:
        if not self.config.collusion_realtime_penalty or len(batch) == 0:
            return
        risk = self.detector.pair_risk(batch.initiator, batch.counterparty)
        cost = np.where(batch.accepted, self.config.collusion_realtime_rate * risk, 0.0)
        if cost.any():
            batch.c_a = batch.c_a + cost
            batch.c_b = batch.c_b + cost
            paid = float(2.0 * cost.sum())
            self.realtime_total += paid
            self.epoch_penalties += paid

    def after_payoffs(self, ctx: GovernanceContext, batch: InteractionBatch) -> None:
        self.detector.record(batch)

    def end_epoch(self, ctx: GovernanceContext, reach: np.ndarray | None = None) -> CollusionReport:
        """Detect over the run so far, penalize the flagged agents, queue a `collusion_flagged` event per
        newly flagged or re-scored agent."""
        c, agents = self.config, ctx.agents
        before = set(self.report.flagged_agents)
        report = self.detector.detect(agents, reach)
        if self.ever_flagged.shape[0] < len(agents):
            self.ever_flagged = np.concatenate(
                [self.ever_flagged, np.zeros(len(agents) - self.ever_flagged.shape[0], dtype=bool)]
            )
        rows = np.flatnonzero(self.detector.risk > 0)
        risk = self.detector.risk[rows]
        amount = c.collusion_penalty_multiplier * risk * c.collusion_penalty_amount
        agents.resources[rows] -= amount
        agents.total_payoff[rows] -= amount
        agents.reputation[rows] -= c.collusion_penalty_multiplier * risk
        self.penalty_total += float(amount.sum())
        self.epoch_penalties += float(amount.sum())
        report.penalty_total = self.penalty_total + self.realtime_total
        for r, rk, pay in zip(rows.tolist(), risk.tolist(), amount.tolist()):
            new = agents.ids[r] not in before
            self.flag_events += int(new)
            ctx.events.append(
                (EventType.COLLUSION_FLAGGED.value, r, {"risk": rk, "penalty": pay, "new": new})
            )
        self.ever_flagged[rows] = True
        report.ever_flagged_agents = [agents.ids[int(r)] for r in np.flatnonzero(self.ever_flagged)]
        self.report = report
        return report

    def section_metrics(self) -> dict[str, float]:
        """The epoch record's collusion columns (`SECTION_METRICS["collusion"]`), taken once at the epoch's
        end after detection (core.social), not through the levers' generic `epoch_metrics` hook, which the
        orchestrator reads before the social parts' epoch end (and which would reset the epoch's penalty sum
        before detection adds to it)."""
        r = self.report
        out = {
            "n_flagged_pairs": float(r.n_flagged_pairs),
            "n_flagged_agents": float(r.n_flagged_agents),
            "n_collusion_groups": float(len(r.suspicious_groups)),
            "ecosystem_collusion_risk": r.ecosystem_collusion_risk,
            "collusion_penalties": self.epoch_penalties,
        }
        self.epoch_penalties = 0.0  # read once per epoch, at its end
        return out

    def stats(self) -> dict[str, float]:
        return {
            "collusion_flagged_agents": float(self.report.n_flagged_agents),
            "collusion_flagged_pairs": float(self.report.n_flagged_pairs),
            "collusion_penalty_total": self.penalty_total + self.realtime_total,
        }
