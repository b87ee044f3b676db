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
is cover: honest-looking work (`cover_effort`), which also repairs the record."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from distsafe.agents.incentives import risk_costs
from distsafe.agents.policies import Decision, GroupView, PolicyParams, ScriptedPolicy
from distsafe.agents.scripted import ScriptedAgent
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

    def attack_plan(self, view: GroupView) -> tuple[np.ndarray, np.ndarray]:
        """(boost, attack rate) per member."""
        p, inc = self.params, self.incentives
        boosts = np.clip(np.asarray(p.boost_levels, dtype=np.float64), 0, 1)
        k = boosts.shape[0]
        effort = np.full(k, p.effort)
        val, total = self.value_variants(
            view, effort, boosts, np.full(k, p.trade_fraction), np.full(k, p.price)
        )
        harm_per_step = p.p_interact * (1.0 - p.effort) * self.market_model().payoff.h
        risk = risk_costs(inc, view.members, view.agents.resources[view.members], val, harm_per_step)
        loss = np.maximum(risk - total[None, :], 0.0)  # expected loss per attack, per member and variant
        pick = np.argmin(loss, axis=1)
        cheapest = loss[np.arange(loss.shape[0]), pick]
        planned = max(p.p_interact * inc.steps_per_epoch, 1e-12)
        rate = np.minimum(1.0, np.divide(p.attack_budget, cheapest * planned, out=np.ones_like(cheapest),
                                         where=cheapest > 0))  # fmt: skip
        return boosts[pick], rate

    def decide(self, view: GroupView) -> Decision:
        n = view.members.shape[0]
        p = self.params
        boost, rate = self.attack_plan(view)
        attack = view.rng.random(n) < rate
        return Decision(
            effort=np.where(attack, p.effort, p.cover_effort), boost=np.where(attack, boost, 0.0),
            participate=np.ones(n, dtype=bool), trade_fraction=np.full(n, p.trade_fraction),
            price=np.full(n, p.price),
        )  # fmt: skip

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
