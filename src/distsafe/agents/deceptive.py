"""Deceptive: builds trust, then exploits it. For at least `trust_epochs` epochs it behaves like an honest
agent (effort 0.95, fair prices). From then on each member chooses, each step, between working honestly and
exploiting: selling mostly trades at a premium (`exploit_price`, `exploit_trade_fraction`), delivering
little (`exploit_effort`) and gaming the observable signals by one of `exploit_boost_levels`. Each option is
valued at its expected payoff with the levers in force (its side of the tax, audit probability x penalty,
whose failure probability falls as it games the signals harder, the future value of its reputation, its own
freeze and stake risk), and the choice is a noisy best response (logit, `temperature`). So it switches when
exploiting pays, games the signals as hard as the audit odds make worthwhile, and goes back to honest work
when its record is close to a freeze. It targets the most reputable partners it can find; with per-target
audit odds (`audit_probability_watched`), an exploiting member seeks the class of target (watched or not)
where its exploit is least likely to be detected (`exploit_targets`)."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from distsafe.agents.incentives import logit_choice, risk_costs
from distsafe.agents.policies import Decision, GroupView, PolicyParams, ScriptedPolicy
from distsafe.agents.scripted import ScriptedAgent
from distsafe.models.agent import AgentType


class DeceptiveParams(PolicyParams):
    trust_epochs: int = Field(default=3, ge=0)
    exploit_effort: float = Field(default=0.1, ge=0, le=1)
    exploit_boost: float = Field(
        default=0.5, ge=0, le=1, description="gaming when exploiting, with no choice"
    )
    exploit_boost_levels: tuple[float, ...] = Field(
        default=(0.0, 0.25, 0.5, 0.75, 1.0), description="gaming levels it chooses among when exploiting"
    )
    exploit_price: float = Field(default=1.0, ge=0)
    exploit_trade_fraction: float = Field(default=0.8, ge=0, le=1)


class DeceptivePolicy(ScriptedPolicy):
    agent_type = AgentType.DECEPTIVE
    default_params = DeceptiveParams(
        effort=0.95, signal_boost=0.0, tau=0.3, price=0.5, min_partner_reputation=-0.5, candidates=6
    )
    params: DeceptiveParams

    def exploiting(self, epoch: int) -> bool:
        """True once the trust-building period is over (the earliest switch)."""
        return epoch >= self.params.trust_epochs

    def n_variants(self) -> int:
        return 1 + len(self.params.exploit_boost_levels or (self.params.exploit_boost,))

    def variants(self) -> tuple[np.ndarray, ...]:
        """(effort, boost, trade fraction, price) per variant: 0 is honest work, the rest exploit."""
        p = self.params
        boosts = np.clip(p.exploit_boost_levels or (p.exploit_boost,), 0, 1)
        k = boosts.shape[0]
        return (
            np.concatenate([[p.effort], np.full(k, p.exploit_effort)]),
            np.concatenate([[p.signal_boost], boosts]),
            np.concatenate([[p.trade_fraction], np.full(k, p.exploit_trade_fraction)]),
            np.concatenate([[p.price], np.full(k, p.exploit_price)]),
        )

    def decide(self, view: GroupView) -> Decision:
        n = view.members.shape[0]
        p = self.params
        effort, boost, tf, price = self.variants()
        # drawn in every epoch, so the stream does not depend on the phase
        u_draw = np.asarray(view.rng.random(n), dtype=np.float64)
        val, total = self.value_variants(view, effort, boost, tf, price)
        if self.learner is not None:
            total = self.learner.values(total)
        step_value = p.p_interact * max(0.0, float(total.max()))
        risk = risk_costs(self.incentives, view.members, view.agents.resources[view.members], val, step_value)
        u = total[None, :] - risk
        if self.exploiting(view.epoch):
            pick = logit_choice(u, p.temperature, u_draw)
        else:
            pick = np.zeros(n, dtype=np.int64)
        chosen = u[np.arange(n), pick]
        target = None
        if self.incentives.targeted_audits and self.exploiting(view.epoch):
            target = self.exploit_targets(view, pick)
        return Decision(
            effort=effort[pick], boost=boost[pick], participate=chosen > p.participation_margin,
            trade_fraction=tf[pick], price=price[pick], variant=pick, target_class=target,
        )  # fmt: skip

    def exploit_targets(self, view: GroupView, pick: np.ndarray) -> np.ndarray:
        """With per-target audit odds: the class of target (0 unwatched, 1 watched) each exploiting member
        seeks, by a logit over its chosen variant's expected payoff at each class's audit odds, among the
        classes present; -1 (any) for members working honestly."""
        p, inc = self.params, self.incentives
        n = view.members.shape[0]
        effort, boost, tf, price = self.variants()
        rows = np.arange(n)
        u = np.empty((n, 2))
        for c, q in enumerate((inc.audit_probability_unwatched, inc.audit_probability_watched)):
            at = inc.at_audit_probability(q)
            self.incentives = at
            try:
                val, total = self.value_variants(view, effort, boost, tf, price)
            finally:
                self.incentives = inc
            step_value = p.p_interact * max(0.0, float(total.max()))
            risk = risk_costs(at, view.members, view.agents.resources[view.members], val, step_value)
            u[:, c] = (total[None, :] - risk)[rows, pick]
        rep = view.agents.reputation[: view.n_candidates or None]
        watched = rep >= inc.watch_min_reputation
        present = np.array([np.any(~watched), np.any(watched)])
        u = np.where(present[None, :] | ~present.any(), u, -np.inf)
        cls = logit_choice(u, p.temperature, np.asarray(view.rng.random(n), dtype=np.float64))
        out: np.ndarray = np.where(pick >= 1, cls, -1)
        return out


class DeceptiveAgent(ScriptedAgent):
    agent_type = AgentType.DECEPTIVE
    policy_class = DeceptivePolicy
