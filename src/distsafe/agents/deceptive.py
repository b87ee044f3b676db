"""Deceptive: builds trust, then exploits it. For at least `trust_epochs` epochs it behaves like an honest
agent (effort 0.95, fair prices). From then on each member chooses, each step, between working honestly and
exploiting: selling mostly trades at a premium (`exploit_price`, `exploit_trade_fraction`), delivering
little (`exploit_effort`) and gaming the observable signals by one of `exploit_boost_levels`. Each option is
valued at its expected payoff with the levers in force (its side of the tax, audit probability x penalty,
whose failure probability falls as it games the signals harder, the future value of its reputation, its own
freeze and stake risk), and the choice is a noisy best response (logit, `temperature`). So it switches when
exploiting pays, games the signals as hard as the audit odds make worthwhile, and goes back to honest work
when its record is close to a freeze. It targets the most reputable partners it can find; with per-target
audit odds (`audit_probability_watched`), each exploit is valued at the audit odds of the class of target
(watched or not) where it pays best, and an exploiting member seeks a class by a logit over its chosen
variant's value at each class's odds (`class_utilities`): it goes where detection is least likely."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from distsafe.agents.incentives import logit_choice, risk_costs
from distsafe.agents.policies import Decision, GroupView, PolicyParams, ScriptedPolicy
from distsafe.agents.scripted import ScriptedAgent
from distsafe.governance.incentives import IncentiveView
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
        u = self.utilities(view, self.incentives)
        targeted = self.incentives.targeted_audits and self.exploiting(view.epoch)
        if targeted:
            by_class = self.class_utilities(view)
            u = u.copy()
            u[:, 1:] = by_class.max(axis=2)[:, 1:]  # an exploit is valued where it will be aimed
        if self.exploiting(view.epoch):
            pick = logit_choice(u, p.temperature, u_draw)
        else:
            pick = np.zeros(n, dtype=np.int64)
        rows = np.arange(n)
        chosen = u[rows, pick]
        target = None
        if targeted:
            cls = logit_choice(
                by_class[rows, pick, :], p.temperature, np.asarray(view.rng.random(n), dtype=np.float64)
            )
            target = np.where(pick >= 1, cls, -1)
        return Decision(
            effort=effort[pick], boost=boost[pick], participate=chosen > p.participation_margin,
            trade_fraction=tf[pick], price=price[pick], variant=pick, target_class=target,
        )  # fmt: skip

    def utilities(self, view: GroupView, inc: IncentiveView) -> np.ndarray:
        """U per member and variant ([members, K]) under the levers `inc`: expected payoff (learned, with
        learning on) less the member's freeze and stake-suspension risk."""
        p = self.params
        effort, boost, tf, price = self.variants()
        bound, self.incentives = self.incentives, inc
        try:
            val, total = self.value_variants(view, effort, boost, tf, price)
        finally:
            self.incentives = bound
        if self.learner is not None:
            total = self.learner.values(total)
        step_value = p.p_interact * max(0.0, float(total.max()))
        risk = risk_costs(inc, view.members, view.agents.resources[view.members], val, step_value)
        out: np.ndarray = total[None, :] - risk
        return out

    def class_utilities(self, view: GroupView) -> np.ndarray:
        """With per-target audit odds: U per member, variant and class of target ([members, K, 2]; 0
        unwatched, 1 watched), each at its class's audit odds; -inf for a class no candidate belongs to."""
        inc = self.incentives
        u = np.stack(
            [
                self.utilities(view, inc.at_audit_probability(q))
                for q in (inc.audit_probability_unwatched, inc.audit_probability_watched)
            ],
            axis=2,
        )
        watched = view.agents.reputation[: view.n_candidates or None] >= inc.watch_min_reputation
        present = np.array([np.any(~watched), np.any(watched)])
        if present.any():
            u[:, :, ~present] = -np.inf
        return u


class DeceptiveAgent(ScriptedAgent):
    agent_type = AgentType.DECEPTIVE
    policy_class = DeceptivePolicy
