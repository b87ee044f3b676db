"""Adversarial: maximizes harm to the system, within a budget. Sells harmful work (effort 0.05) in trades,
and coordinates with its allies (the other members of its group): all of them focus on the same most-reputable
outsiders each step, upvote each other's posts, downvote everyone else's, and always accept each other's
proposals.

An attack (a proposal of harmful work) does harm (1 - effort) * h when accepted and costs the adversary its
expected loss: effort and gaming costs, the audit's probability x penalty, its share of a freeze (the harm it
could not do while frozen) and its stake risk, less what the trade pays it. It games the signals by the level
of `boost_levels` that makes an attack cheapest (where detection is least likely), and attacks at the rate
its budget affords: attack_rate = min(1, attack_budget / (expected loss per attack x attacks planned per
epoch)). Members whose own record is close to a freeze therefore lie low. A proposal that is not an attack
is cover: honest-looking work (`cover_effort`), which also repairs the record.

Where detection is least likely: with per-target audit odds (`audit_probability_watched`), each member
values an attack on each class of target (watched: reputation >= `audit_watch_min_reputation`; unwatched)
at that class's audit odds, chooses the class by a logit over minus the expected loss, and attacks the
most reputable outsider of that class (`targeted_plan`, `choose_targets`)."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from distsafe.agents.incentives import logit_choice, risk_costs
from distsafe.agents.policies import Decision, GroupView, PolicyParams, ScriptedPolicy
from distsafe.agents.scripted import ScriptedAgent
from distsafe.governance.incentives import IncentiveView
from distsafe.models.agent import AgentType


class AdversarialParams(PolicyParams):
    attack_budget: float = Field(default=2.0, ge=0, description="expected loss per epoch it accepts for harm")
    boost_levels: tuple[float, ...] = Field(default=(0.0, 0.1, 0.25, 0.5, 0.75, 1.0), min_length=1)
    cover_effort: float = Field(default=0.9, ge=0, le=1)


class AdversarialPolicy(ScriptedPolicy):
    agent_type = AgentType.ADVERSARIAL
    default_params = AdversarialParams(
        effort=0.05,
        signal_boost=0.1,
        tau=0.0,
        price=0.6,
        trade_fraction=0.7,
        p_interact=0.5,
        p_post=0.1,
        p_reply=0.1,
        p_vote=0.2,
        p_claim=0.05,
        candidates=8,
    )
    params: AdversarialParams

    def attack_plan(self, view: GroupView, inc: IncentiveView | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(boost, attack rate) per member, at the audit odds of `inc` (default: the levers bound)."""
        inc = inc or self.incentives
        loss, boosts = self.attack_losses(view, inc)
        pick = np.argmin(loss, axis=1)
        return boosts[pick], self.attack_rate(loss[np.arange(loss.shape[0]), pick], inc)

    def attack_losses(self, view: GroupView, inc: IncentiveView) -> tuple[np.ndarray, np.ndarray]:
        """Expected loss per attack, per member and gaming level ([members, K]), and the levels."""
        p = self.params
        boosts = np.clip(np.asarray(p.boost_levels, dtype=np.float64), 0, 1)
        k = boosts.shape[0]
        bound, self.incentives = self.incentives, inc
        try:
            val, total = self.value_variants(
                view, np.full(k, p.effort), boosts, np.full(k, p.trade_fraction), np.full(k, p.price)
            )
        finally:
            self.incentives = bound
        harm_per_step = p.p_interact * (1.0 - p.effort) * self.market_model().payoff.h
        risk = risk_costs(inc, view.members, view.agents.resources[view.members], val, harm_per_step)
        return np.maximum(risk - total[None, :], 0.0), boosts

    def attack_rate(self, cheapest: np.ndarray, inc: IncentiveView) -> np.ndarray:
        """min(1, attack_budget / (expected loss per attack x attacks planned per epoch))."""
        planned = max(self.params.p_interact * inc.steps_per_epoch, 1e-12)
        afford = np.divide(
            self.params.attack_budget, cheapest * planned, out=np.ones_like(cheapest), where=cheapest > 0
        )
        out: np.ndarray = np.minimum(1.0, afford)
        return out

    def targeted_plan(self, view: GroupView) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """With per-target audit odds: (boost, attack rate, target class) per member. Each member values an
        attack on an unwatched (0) and on a watched (1) target, each at its class's audit odds (the harm
        done, (1 - effort) h once accepted, is the same), and picks the class by a logit over minus the
        expected loss (`temperature`) among the classes its candidates can offer; then the gaming level
        and the attack rate of that class."""
        inc = self.incentives
        rep = view.agents.reputation[: view.n_candidates or None]
        outsiders = np.ones(rep.shape[0], dtype=bool)
        outsiders[view.group_rows[view.group_rows < rep.shape[0]]] = False
        watched = rep[outsiders] >= inc.watch_min_reputation
        present = np.array([np.any(~watched), np.any(watched)])
        plans = [
            self.attack_losses(view, inc.at_audit_probability(q))
            for q in (inc.audit_probability_unwatched, inc.audit_probability_watched)
        ]
        best = np.stack([loss.min(axis=1) for loss, _ in plans], axis=1)  # [members, 2]
        u = np.where(present[None, :] | ~present.any(), -best, -np.inf)
        cls = logit_choice(u, self.params.temperature, np.asarray(view.rng.random(u.shape[0]), np.float64))
        rows = np.arange(u.shape[0])
        loss = np.where((cls == 1)[:, None], plans[1][0], plans[0][0])
        pick = np.argmin(loss, axis=1)
        rate = self.attack_rate(loss[rows, pick], inc)
        return plans[0][1][pick], rate, cls

    def decide(self, view: GroupView) -> Decision:
        n = view.members.shape[0]
        p = self.params
        target: np.ndarray | None = None
        if self.incentives.targeted_audits:
            boost, rate, cls = self.targeted_plan(view)
        else:
            boost, rate = self.attack_plan(view)
        attack = view.rng.random(n) < rate
        if self.incentives.targeted_audits:
            target = np.where(attack, cls, -1)
        return Decision(
            effort=np.where(attack, p.effort, p.cover_effort), boost=np.where(attack, boost, 0.0),
            participate=np.ones(n, dtype=bool), trade_fraction=np.full(n, p.trade_fraction),
            price=np.full(n, p.price), target_class=target,
        )  # fmt: skip

    def choose_targets(
        self, view: GroupView, who: np.ndarray, candidates: np.ndarray, target_class: np.ndarray
    ) -> np.ndarray:
        """Attacks go to the most reputable outsider of the chosen class in the group's shared pool (the
        most reputable of the other class when the pool has none); cover work as `choose_partners`."""
        out = self.choose_partners(view, who, candidates)
        pool = candidates.reshape(-1)[: max(self.params.candidates * 2, 2)]
        pool = pool[~np.isin(pool, view.group_rows)]
        if pool.size == 0:
            return out
        pool = pool[np.argsort(-view.agents.reputation[pool], kind="stable")]
        watched = view.agents.reputation[pool] >= self.incentives.watch_min_reputation
        for c in (0, 1):
            rows = np.flatnonzero(target_class == c)
            if rows.size:
                mine = pool[watched == (c == 1)]
                out[rows] = (mine if mine.size else pool)[0]
        return out

    def choose_partners(self, view: GroupView, who: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        if view.neighbours is not None:  # a network: each member reaches its own neighbours only
            rep = np.where(np.isin(candidates, view.group_rows), -np.inf, view.agents.reputation[candidates])
            own: np.ndarray = candidates[np.arange(candidates.shape[0]), np.argmax(rep, axis=1)]
            return own
        # Coordination: one shared candidate pool for the whole group this step; everyone targets its
        # two most reputable non-allies.
        pool = candidates.reshape(-1)[: max(self.params.candidates * 2, 2)]
        pool = pool[~np.isin(pool, view.group_rows)]
        if pool.size == 0:
            return candidates[:, 0]
        best = pool[np.argsort(-view.agents.reputation[pool], kind="stable")[:2]]
        return best[np.arange(who.shape[0]) % best.size]

    def votes(self, view: GroupView, voter_rows: np.ndarray, post_pos: np.ndarray) -> np.ndarray:
        ally = np.isin(view.top_authors[post_pos], view.group_rows)
        return np.where(ally, 1, -1).astype(np.int8)

    def accept_batch(self, agents, counterparties, initiators, tau, itype, group_rows, rng) -> np.ndarray:
        return np.ones(initiators.shape[0], dtype=bool)


class AdversarialAgent(ScriptedAgent):
    agent_type = AgentType.ADVERSARIAL
    policy_class = AdversarialPolicy
