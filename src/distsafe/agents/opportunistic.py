"""Opportunistic: maximizes its own payoff, myopically. Pays nothing for help and overcharges in trades,
cherry-picks the best-paid tasks, accepts offers whose expected payoff to itself is positive, votes
strategically for reputable authors.

Effort and signal gaming are its choice, each step: a noisy best response (logit / quantal response) over
a grid of variants (`effort_levels` x `boost_levels`), each valued at its expected payoff with the levers in
force (its side of the tax, the audit's probability x penalty, the value of reputation for future
acceptance, its own freeze and stake risk): P(k) = exp(U_k / temperature) / sum_j exp(U_j / temperature).
It proposes only when the chosen variant's expected payoff is positive. The fixed `effort` and
`signal_boost` knobs of the other types are not its own: setting them is an error naming the grid to set.
With `learning_rate` > 0 the values are learned from realized payoffs (agents.learning).

The reference implementation's `risk_tolerance` (swarm/agents/opportunistic.py `accept_interaction`), off
unless set: acceptance by the record with the initiator instead of expected value. An offer that pays it
(tau > 0) is accepted; otherwise, if it has interacted with the initiator before (either side, accepted or
not), it accepts when their mean p exceeds 0.5; with an unknown initiator, with probability
`risk_tolerance`."""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from distsafe.agents.incentives import logit_choice, risk_costs
from distsafe.agents.pair_memory import PairMemory
from distsafe.agents.policies import Decision, GroupView, PolicyParams, ScriptedPolicy
from distsafe.agents.scripted import ScriptedAgent
from distsafe.models.agent import AgentType
from distsafe.models.agent_table import AgentTable


class OpportunisticParams(PolicyParams):
    effort_levels: tuple[float, ...] = Field(default=(0.2, 0.4, 0.6, 0.8, 1.0), min_length=1)
    boost_levels: tuple[float, ...] = Field(default=(0.0, 0.2, 0.5), min_length=1)
    risk_tolerance: float | None = Field(
        default=None, ge=0, le=1, description="the reference's acceptance of unknown initiators; None: off"
    )

    @model_validator(mode="after")
    def _chosen_not_fixed(self) -> OpportunisticParams:
        """Effort and gaming are chosen each step from the grids; the fixed knobs of the other types would
        be silently ignored, so setting them is an error that names the knob to use."""
        for fixed, grid in (("effort", "effort_levels"), ("signal_boost", "boost_levels")):
            if getattr(self, fixed) != PolicyParams.model_fields[fixed].default:
                raise ValueError(
                    f"opportunistic agents choose their {fixed} each step from {grid}; "
                    f"set {grid} instead of {fixed}"
                )
        return self


class OpportunisticPolicy(ScriptedPolicy):
    agent_type = AgentType.OPPORTUNISTIC
    default_params = OpportunisticParams(tau=0.0, price=0.8, p_claim=0.15, min_partner_reputation=-1.0)
    params: OpportunisticParams
    #: per partner: interactions with it and the sum of their p (with `risk_tolerance` set)
    memory: PairMemory | None = None

    def remembers_partners(self) -> bool:
        return self.params.risk_tolerance is not None

    def pair_memory(self) -> PairMemory:
        if self.memory is None:
            self.memory = PairMemory(("n", "p"))
        return self.memory

    def observe_outcomes(
        self, own: np.ndarray, other: np.ndarray, p: np.ndarray, accepted: np.ndarray
    ) -> None:
        self.pair_memory().add(own, other, n=np.ones(own.shape[0]), p=p)

    def accept_batch(
        self,
        agents: AgentTable,
        counterparties: np.ndarray,
        initiators: np.ndarray,
        tau: np.ndarray,
        itype: np.ndarray,
        group_rows: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """With `risk_tolerance`: accept an offer that pays (tau > 0); else by the mean p of past
        interactions with the initiator (> 0.5), or with probability `risk_tolerance` if there are none."""
        tol = self.params.risk_tolerance
        if tol is None:
            return super().accept_batch(agents, counterparties, initiators, tau, itype, group_rows, rng)
        mem = self.pair_memory()
        n = mem.get(counterparties, initiators, "n")
        mean_p = mem.get(counterparties, initiators, "p") / np.maximum(n, 1.0)
        gamble = rng.random(counterparties.shape[0]) < tol
        out: np.ndarray = (tau > 0) | np.where(n > 0, mean_p > 0.5, gamble)
        return out

    def n_variants(self) -> int:
        return len(self.params.effort_levels) * len(self.params.boost_levels)

    def variants(self) -> tuple[np.ndarray, np.ndarray]:
        e, b = np.meshgrid(
            np.clip(self.params.effort_levels, 0, 1), np.clip(self.params.boost_levels, 0, 1), indexing="ij"
        )
        return e.ravel(), b.ravel()

    def decide(self, view: GroupView) -> Decision:
        n = view.members.shape[0]
        p = self.params
        effort, boost = self.variants()
        k = effort.shape[0]
        val, total = self.value_variants(
            view, effort, boost, np.full(k, p.trade_fraction), np.full(k, p.price)
        )
        if self.learner is not None:
            total = self.learner.values(total)
        step_value = p.p_interact * max(0.0, float(total.max()))
        risk = risk_costs(self.incentives, view.members, view.agents.resources[view.members], val, step_value)
        u = total[None, :] - risk
        pick = logit_choice(u, p.temperature, np.asarray(view.rng.random(n), dtype=np.float64))
        chosen = u[np.arange(n), pick]
        return Decision(
            effort=effort[pick], boost=boost[pick], participate=chosen > p.participation_margin,
            trade_fraction=np.full(n, p.trade_fraction), price=np.full(n, p.price), variant=pick,
        )  # fmt: skip

    def choose_partners(self, view: GroupView, who: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        return candidates[:, 0]

    def choose_tasks(self, view: GroupView, k: int) -> np.ndarray:
        return np.full(k, view.open_tasks[0])  # the best bounty

    def votes(self, view: GroupView, voter_rows: np.ndarray, post_pos: np.ndarray) -> np.ndarray:
        author_rep = view.agents.reputation[view.top_authors[post_pos]]
        return np.where(author_rep >= 0, 1, -1).astype(np.int8)


class OpportunisticAgent(ScriptedAgent):
    agent_type = AgentType.OPPORTUNISTIC
    policy_class = OpportunisticPolicy
