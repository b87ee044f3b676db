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
variant's value at each class's odds (`class_utilities`): it goes where detection is least likely.

The reference implementation's knobs (swarm/agents/deceptive.py; docs/from-swarm.md), off unless one is set:
trust is built per partner. A member counts the proposals it received from each partner and its accepted
interactions with each partner (either side); its trust in a partner is min(1, 0.5 + 0.1 x accepted). While
it has received fewer than `trust_building_phase` proposals from an initiator, it accepts with probability
`facade_probability`; after that, only when its trust in the initiator exceeds 0.6. It exploits (takes
an exploit variant) only once at least two partners' trust exceeds `exploitation_threshold` and it has
received more than 10 proposals in all (instead of after `trust_epochs`); exploiting proposals go to the
most trusted candidate above that threshold, trust-building ones to a candidate still in its phase."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from distsafe.agents.incentives import logit_choice, risk_costs
from distsafe.agents.pair_memory import PairMemory, earlier_duplicates, pair_keys
from distsafe.agents.policies import Decision, GroupView, PolicyParams, ScriptedPolicy
from distsafe.agents.scripted import ScriptedAgent
from distsafe.governance.incentives import IncentiveView
from distsafe.models.agent import AgentType
from distsafe.models.agent_table import AgentTable

#: the reference's constants of its deceptive agent (swarm/agents/deceptive.py): trust starts at 0.5 and
#: rises by 0.1 per accepted interaction, up to 1; after the phase, initiators above 0.6 are accepted; it
#: exploits with at least 2 trusted partners and more than 10 proposals received
TRUST_START, TRUST_STEP, ACCEPT_TRUST, MIN_TRUSTED, MIN_RECEIVED = 0.5, 0.1, 0.6, 2, 10


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
    # ---- the reference implementation's knobs (per-partner trust; None: off, the reference's default
    # when another of the three is set) ----
    trust_building_phase: int | None = Field(
        default=None, ge=0, description="proposals received from a partner before trust decides (ref.: 5)"
    )
    exploitation_threshold: float | None = Field(
        default=None, ge=0, le=1, description="trust a partner needs to be exploited (ref.: 0.7)"
    )
    facade_probability: float | None = Field(
        default=None, ge=0, le=1, description="acceptance probability in the trust-building phase (ref.: 0.8)"
    )

    def reference_trust(self) -> tuple[int, float, float] | None:
        """(phase, exploitation threshold, facade probability) when any of the reference's knobs is set."""
        if self.trust_building_phase is None and self.exploitation_threshold is None:
            if self.facade_probability is None:
                return None
        return (
            5 if self.trust_building_phase is None else self.trust_building_phase,
            0.7 if self.exploitation_threshold is None else self.exploitation_threshold,
            0.8 if self.facade_probability is None else self.facade_probability,
        )


def trust_of(accepted: np.ndarray) -> np.ndarray:
    """The reference's trust in a partner after `accepted` accepted interactions with it."""
    out: np.ndarray = np.minimum(1.0, TRUST_START + TRUST_STEP * accepted)
    return out


class DeceptivePolicy(ScriptedPolicy):
    agent_type = AgentType.DECEPTIVE
    default_params = DeceptiveParams(
        effort=0.95, signal_boost=0.0, tau=0.3, price=0.5, min_partner_reputation=-0.5, candidates=6
    )
    params: DeceptiveParams
    #: per partner: proposals received from it, accepted interactions with it (with the reference's knobs)
    memory: PairMemory | None = None
    #: rows that chose an exploit variant in the last `decide` (their proposals seek trusted partners)
    exploit_rows: np.ndarray = np.zeros(0, dtype=np.int64)

    def remembers_partners(self) -> bool:
        return self.params.reference_trust() is not None

    def pair_memory(self) -> PairMemory:
        if self.memory is None:
            self.memory = PairMemory(("received", "accepted"))
        return self.memory

    def observe_outcomes(
        self, own: np.ndarray, other: np.ndarray, p: np.ndarray, accepted: np.ndarray
    ) -> None:
        keep = accepted.astype(bool)
        self.pair_memory().add(own[keep], other[keep], accepted=np.ones(int(keep.sum())))

    def may_exploit(self, view: GroupView) -> np.ndarray:
        """Per member: with the reference's knobs, whether it has built enough trust to exploit (at least 2
        partners trusted above `exploitation_threshold`, more than 10 proposals received); otherwise whether
        the trust-building epochs are over."""
        n = view.members.shape[0]
        ref = self.params.reference_trust()
        if ref is None:
            return np.full(n, self.exploiting(view.epoch))
        mem = self.pair_memory()
        trusted = mem.per_owner(view.members, trust_of(mem.values["accepted"]) > ref[1])
        received = mem.per_owner(view.members, mem.values["received"])
        out: np.ndarray = (trusted >= MIN_TRUSTED) & (received > MIN_RECEIVED)
        return out

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
        may = self.may_exploit(view)
        targeted = self.incentives.targeted_audits and bool(may.any())
        if targeted:
            by_class = self.class_utilities(view)
            u = u.copy()
            u[:, 1:] = by_class.max(axis=2)[:, 1:]  # an exploit is valued where it will be aimed
        if self.params.reference_trust() is not None:  # the reference's exploitation mode: it exploits
            pick = np.where(may, 1 + logit_choice(u[:, 1:], p.temperature, u_draw), 0)
        else:
            pick = np.where(may, logit_choice(u, p.temperature, u_draw), 0)
        self.exploit_rows = view.members[pick >= 1]
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

    def choose_partners(self, view: GroupView, who: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """With the reference's knobs: an exploiting member's proposal goes to its most trusted candidate
        whose trust exceeds `exploitation_threshold`, a trust-building one to a candidate from which it has
        received fewer than `trust_building_phase` proposals; the most reputable when none qualifies."""
        ref = self.params.reference_trust()
        if ref is None:
            return super().choose_partners(view, who, candidates)
        mem = self.pair_memory()
        own = who[:, None]
        trust = trust_of(mem.get(own, candidates, "accepted"))
        rep = view.agents.reputation[candidates]
        exploit = np.isin(who, self.exploit_rows)[:, None]
        fits = np.where(exploit, trust > ref[1], mem.get(own, candidates, "received") < ref[0])
        score = np.where(exploit, trust, 0.0) + 1e-3 * np.tanh(rep)  # reputation breaks ties
        score = np.where(fits | ~fits.any(axis=1, keepdims=True), score, -np.inf)
        chosen: np.ndarray = candidates[np.arange(candidates.shape[0]), np.argmax(score, axis=1)]
        return chosen

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
        """With the reference's knobs: in the trust-building phase with an initiator (fewer than
        `trust_building_phase` proposals received from it, this one not counted) accept with probability
        `facade_probability`, after it when trust in the initiator exceeds 0.6; each proposal is counted."""
        ref = self.params.reference_trust()
        if ref is None:
            return super().accept_batch(agents, counterparties, initiators, tau, itype, group_rows, rng)
        mem = self.pair_memory()
        count = mem.get(counterparties, initiators, "received") + earlier_duplicates(
            pair_keys(counterparties, initiators)
        )
        facade = rng.random(counterparties.shape[0]) < ref[2]
        trusted = trust_of(mem.get(counterparties, initiators, "accepted")) > ACCEPT_TRUST
        mem.add(counterparties, initiators, received=np.ones(counterparties.shape[0]))
        out: np.ndarray = np.where(count < ref[0], facade, trusted)
        return out

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
