"""Vectorized scripted policies: one call decides for every acting member of a group.

A policy sees a `GroupView` (its members' rows, the shared per-step view of the world) and returns an
`ActionArrays`. Before each step the engine `bind`s the levers in force (`IncentiveView`) and the market's
rules (`MarketModel`); every decision (propose or not, at what effort and gaming, accept or not) is taken
from expected payoffs under them (`agents.incentives`, docs/agents.md). Acceptance of proposals is decided
in `accept_batch` from public information only (initiator reputation, offered transfer, whether the
initiator is an ally). The engine draws each interaction's hidden outcome from the initiator's `effort` and
the observable signals from `effort` and `signal_boost`; it never reads a policy's type.

Length (over ~400 lines): `ScriptedPolicy` is one class (the hooks every scripted type overrides: decide,
act, accept, partner choice); the formulas it uses are in `agents.incentives`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ConfigDict, Field

from distsafe.agents.base import ActionCode
from distsafe.agents.incentives import (
    MarketModel,
    Valuation,
    initiator_value,
    partner_value,
    quality_estimate,
    risk_costs,
    trust_threshold_accepts,
)
from distsafe.agents.learning import VariantLearner
from distsafe.governance.incentives import NO_LEVERS, IncentiveView
from distsafe.models.agent import AgentType
from distsafe.models.agent_table import AgentTable
from distsafe.models.config_base import ConfigModel
from distsafe.models.interaction import InteractionType

# Plain ints (not the IntEnum members) for the array comparisons of the hot path.
NOOP, POST, REPLY, VOTE = (
    int(ActionCode.NOOP),
    int(ActionCode.POST),
    int(ActionCode.REPLY),
    int(ActionCode.VOTE),
)
PROPOSE, CLAIM = int(ActionCode.PROPOSE_INTERACTION), int(ActionCode.CLAIM_TASK)
#: The action mix, in draw order: `_MIX_KEYS[k]` is the probability of `_ACTION_ORDER[k]`.
_MIX_KEYS = ("p_interact", "p_post", "p_reply", "p_vote", "p_claim")
_ACTION_ORDER = np.array([PROPOSE, POST, REPLY, VOTE, CLAIM], dtype=np.int8)
#: A draw past the last entry of the mix (the leftover probability mass) is a noop.
_NOOP_DRAW = len(_MIX_KEYS)

#: Multipliers on the action mix for the plan's roles (planner, worker, verifier, poster, moderator).
ROLE_MIX: dict[str, dict[str, float]] = {
    "planner": {"p_interact": 1.3, "p_claim": 0.5},
    "worker": {"p_claim": 2.5, "p_post": 0.5},
    "verifier": {"p_vote": 1.5, "p_interact": 0.8},
    "poster": {"p_post": 2.0, "p_reply": 1.5, "p_interact": 0.7},
    "moderator": {"p_vote": 2.5, "p_post": 0.5},
}


@dataclass
class GroupView:
    """What a group's members see this step. Everything is shared or O(members)."""

    members: np.ndarray  # agent rows acting now, in schedule order
    agents: AgentTable
    epoch: int
    step: int
    time: int
    group_rows: np.ndarray  # all rows of this group (allies)
    top_posts: np.ndarray  # post ids, best first
    top_authors: np.ndarray  # author rows of top_posts
    top_quality: np.ndarray  # hidden quality (author effort) of top_posts; policies read it with noise
    open_tasks: np.ndarray  # task ids, best bounty first
    open_bounties: np.ndarray
    rng: np.random.Generator
    #: proposals go to rows < n_candidates (0: any agent). A standalone agent's table also holds post
    #: authors it knows only from the feed; they are not partner candidates.
    n_candidates: int = 0
    #: the network (env.network) as CSR (indptr, indices): candidates are drawn among neighbours only;
    #: None: no network, any agent is a candidate
    neighbours: tuple[np.ndarray, np.ndarray] | None = None


@dataclass
class Decision:
    """What each acting member does if it proposes: its work, whether a proposal pays, its terms."""

    effort: np.ndarray
    boost: np.ndarray
    participate: np.ndarray  # bool: a proposal pays (the participation constraint)
    trade_fraction: np.ndarray
    price: np.ndarray
    variant: np.ndarray | None = None  # the chosen variant per member (learning), None without variants
    #: per member, the class of target it seeks (0: unwatched, 1: watched, -1: any), when it chooses its
    #: target by detection odds (per-target audits on); None: partners are chosen by `choose_partners`
    target_class: np.ndarray | None = None


@dataclass
class ActionArrays:
    action: np.ndarray  # int8 `ActionCode`s
    target: np.ndarray  # int64: agent row / post id / task id; -1 when unused
    vote: np.ndarray  # int8 +1/-1
    itype: np.ndarray  # int8 InteractionType codes
    tau: np.ndarray
    effort: np.ndarray
    boost: np.ndarray
    #: extra tool-misuse rate of each proposal's work (an attack that misuses tools, e.g. exfiltration);
    #: None: no group set one this step (the observables are drawn from the outcome alone)
    misuse: np.ndarray | None = None

    @classmethod
    def noop(cls, n: int) -> ActionArrays:
        return cls(
            np.zeros(n, np.int8),
            np.full(n, -1, np.int64),
            np.zeros(n, np.int8),
            np.full(n, InteractionType.COLLABORATION.code, np.int8),
            np.zeros(n),
            np.ones(n),
            np.zeros(n),
        )


class PolicyParams(ConfigModel):
    """Behaviour knobs of a scripted policy. Probabilities are per step; the rest of the mass is noop."""

    model_config = ConfigDict(extra="forbid")

    p_interact: float = Field(default=0.4, ge=0, le=1)
    p_post: float = Field(default=0.15, ge=0, le=1)
    p_reply: float = Field(default=0.1, ge=0, le=1)
    p_vote: float = Field(default=0.2, ge=0, le=1)
    p_claim: float = Field(default=0.1, ge=0, le=1)
    effort: float = Field(default=0.9, ge=0, le=1, description="P(v=+1) of what the agent delivers")
    signal_boost: float = Field(default=0.0, ge=0, le=1)
    tau: float = Field(default=0.3, description="transfer paid to the partner of a collaboration")
    price: float = Field(
        default=0.5, ge=0, description="price asked in a trade (tau = -price: the partner pays)"
    )
    candidates: int = Field(default=4, ge=1, description="peers sampled per proposal")
    min_partner_reputation: float = Field(default=-1.0, description="refuse initiators below this")
    trade_fraction: float = Field(default=0.3, ge=0, le=1, description="share of proposals that are trades")
    # ---- decisions from expected payoffs (agents.incentives) ----
    temperature: float = Field(default=0.05, ge=0, description="logit noise of variant choices (0: argmax)")
    participation_margin: float = Field(
        default=0.0, description="propose only when the expected value of a proposal exceeds this"
    )
    accept_threshold: float = Field(
        default=0.0, description="accept when the expected value is at least this"
    )
    # ---- the reference implementation's acceptance rule (its HonestAgent; docs/from-swarm.md) ----
    acceptance_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="set: accept by trust instead of expected value, when trust_weight x (estimated quality "
        "of the initiator) + (1 - trust_weight) x 0.5 is at least this (-0.1 for collaborations, +0.1 for "
        "trades); None: off",
    )
    trust_weight: float = Field(default=0.3, ge=0, le=1, description="weight of trust in that score")
    prosocial: float = Field(
        default=0.0, ge=0, le=1, description="weight on the partner's payoff (1: joint surplus)"
    )
    reputation_weight: float = Field(
        default=1.0, ge=0, description="value of reputation for future acceptance, per unit of reputation"
    )
    horizon_epochs: int = Field(default=5, ge=1, description="epochs ahead the agent values")
    rep_scale: float = Field(
        default=0.5, gt=0, description="reputation that moves a quality estimate by ~0.38"
    )
    learning_rate: float = Field(
        default=0.0, ge=0, le=1, description="learning from realized payoffs (0: off)"
    )
    # ---- planted collusion (ground truth for the collusion detector; docs/collusion.md) ----
    collusion_group: str | None = Field(
        default=None, min_length=1, description="name of a colluding ring: its members favour each other"
    )
    collusion_preference: float = Field(
        default=0.0, ge=0, le=1, description="share of a ring member's proposals that go to the ring"
    )


class ScriptedPolicy:
    agent_type: AgentType = AgentType.CUSTOM
    default_params = PolicyParams()
    #: the levers in force and the market's rules, as of the last `bind` (standalone: no levers, defaults)
    incentives: IncentiveView = NO_LEVERS
    market: MarketModel | None = None
    #: learning over the policy's variants (None: the policy has none, or learning_rate is 0)
    learner: VariantLearner | None = None
    #: the rows of this policy's collusion ring (`params.collusion_group`), sorted; set by the engine at
    #: the run's start. Ring members always accept each other (`core.resolve.accept`).
    ring_rows: np.ndarray | None = None
    #: per agent row, a shift of its estimate of the quality of those who propose to it (dynamic
    #: toxicity's quality contagion, env.dynamic_toxicity; set by the engine); None: no shift
    trust_bias: np.ndarray | None = None

    def __init__(self, params: PolicyParams | dict[str, Any] | None = None, roles: list[str] | None = None):
        base = self.default_params.model_dump()
        if isinstance(params, PolicyParams):
            params = params.model_dump(exclude_unset=True)
        base.update(params or {})
        user_total = sum(base[k] for k in _MIX_KEYS)
        if user_total > 1.0 + 1e-9:
            raise ValueError(f"action probabilities of {type(self).__name__} sum to {user_total:.2f} > 1")
        for role in roles or []:
            if role not in ROLE_MIX:
                raise ValueError(f"unknown role {role!r}; known: {', '.join(sorted(ROLE_MIX))}")
            for knob, mult in ROLE_MIX[role].items():
                base[knob] = min(1.0, base[knob] * mult)
        total = sum(base[k] for k in _MIX_KEYS)
        if total > 1.0:  # a role's emphasis never pushes the mix past 1: rescale it
            for k in _MIX_KEYS:
                base[k] /= total
        self.params = type(self.default_params)(**base)
        self.roles = list(roles or [])
        n_var = self.n_variants()
        if n_var and self.params.learning_rate > 0:
            self.learner = VariantLearner(n_var, self.params.learning_rate)

    def bind(self, incentives: IncentiveView, market: MarketModel) -> None:
        """The engine's call before each step: the levers in force and the market's rules."""
        self.incentives = incentives
        self.market = market

    def market_model(self) -> MarketModel:
        if self.market is None:
            self.market = MarketModel()
        return self.market

    def remembers_partners(self) -> bool:
        """True when the policy keeps per-partner records (`observe_outcomes` is then called each step)."""
        return False

    def observe_outcomes(
        self, own: np.ndarray, other: np.ndarray, p: np.ndarray, accepted: np.ndarray
    ) -> None:
        """This step's interactions of the group's members (`own`, either side) with `other`: their p and
        whether they were accepted. The default remembers nothing."""

    def n_variants(self) -> int:
        """How many strategy variants the policy chooses among (0: none; nothing to learn)."""
        return 0

    def _mix(self) -> list[float]:
        p = self.params
        return [p.p_interact, p.p_post, p.p_reply, p.p_vote, p.p_claim]

    # ---- hooks subclasses override ------------------------------------------------------------------------
    def effort_and_boost(self, view: GroupView) -> tuple[np.ndarray, np.ndarray]:
        n = view.members.shape[0]
        return np.full(n, self.params.effort), np.full(n, self.params.signal_boost)

    def trade_fraction(self, view: GroupView) -> float:
        return self.params.trade_fraction

    def price(self, view: GroupView) -> float:
        return self.params.price

    def choose_partners(self, view: GroupView, who: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Pick one partner per row of `candidates` (shape [k, c]); default: the most reputable."""
        rep = view.agents.reputation[candidates]
        chosen: np.ndarray = candidates[np.arange(candidates.shape[0]), np.argmax(rep, axis=1)]
        return chosen

    def choose_targets(
        self, view: GroupView, who: np.ndarray, candidates: np.ndarray, target_class: np.ndarray
    ) -> np.ndarray:
        """Pick one partner per row of `candidates`, seeking the class of target `target_class` says (0:
        unwatched, 1: watched by the per-target audits, -1: any): the most reputable candidate of that
        class, or the most reputable of all when the row has none of it."""
        inc = self.incentives
        rep = view.agents.reputation[candidates]
        watched = rep >= inc.watch_min_reputation
        want = target_class[:, None]
        fits = (want < 0) | (watched == (want == 1))
        has = fits.any(axis=1, keepdims=True)
        score = np.where(fits | ~has, rep, -np.inf)
        chosen: np.ndarray = candidates[np.arange(candidates.shape[0]), np.argmax(score, axis=1)]
        return chosen

    def votes(self, view: GroupView, voter_rows: np.ndarray, post_pos: np.ndarray) -> np.ndarray:
        """+1/-1 per vote; default: the voter reads the post and judges its quality with noise."""
        perceived = view.top_quality[post_pos] + view.rng.normal(0.0, 0.2, post_pos.shape[0])
        return np.where(perceived >= 0.5, 1, -1).astype(np.int8)

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
        """Accept if the initiator's public reputation clears the bar and the offer's expected value, with
        the counterparty's side of the tax (and `prosocial` x the initiator's side), is at least
        `accept_threshold`. With prosocial = 1 this is the plan's "accept if E[S] > 0"."""
        rep = agents.reputation[initiators]
        bias = None if self.trust_bias is None else self.trust_bias[counterparties]
        if self.params.acceptance_threshold is not None:  # the reference's rule, instead of this one
            q = self.estimated_quality(rep, bias)
            return trust_threshold_accepts(
                q, itype, self.params.acceptance_threshold, self.params.trust_weight
            )
        ok: np.ndarray = (rep >= self.params.min_partner_reputation) & (
            self.offer_value(rep, tau, bias) >= self.params.accept_threshold
        )
        return ok

    def estimated_quality(self, reputation: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
        """The quality an agent expects of a partner of this reputation, shifted by its own `bias`."""
        q = quality_estimate(self.market_model(), reputation, self.params.rep_scale)
        if bias is None:
            return q
        out: np.ndarray = np.clip(q + bias, 0.01, 0.99)
        return out

    def offer_value(
        self, reputation: np.ndarray, tau: np.ndarray, bias: np.ndarray | None = None
    ) -> np.ndarray:
        """Expected value to this counterparty of offers from initiators of this reputation (`bias`: its
        shift of the quality estimate: dynamic toxicity's quality contagion)."""
        m, inc, p = self.market_model(), self.incentives, self.params
        q = self.estimated_quality(reputation, bias)
        own = partner_value(m, inc, q, tau)
        if p.prosocial > 0:
            c = m.payoff
            other = (
                c.theta * m.surplus(q)
                - c.rho_a * m.harm(q)
                - tau
                - inc.tax_rate * inc.tax_split * np.abs(tau)
            )
            own = own + p.prosocial * other
        return own

    def proposal_terms(self, view: GroupView) -> tuple[float, float, float]:
        """(trade fraction, price, collaboration tau) of this step's proposals."""
        return self.trade_fraction(view), self.price(view), self.params.tau

    def value_variants(
        self, view: GroupView, effort: np.ndarray, boost: np.ndarray, tf: np.ndarray, price: np.ndarray
    ) -> tuple[Valuation, np.ndarray]:
        """Expected payoff of K variants (arrays of shape [K]) to an initiator of this group, and the
        value each is worth with `prosocial` x the partner's side; the latter is what the group decides on."""
        m, inc, p = self.market_model(), self.incentives, self.params
        transfer = tf * price - (1.0 - tf) * p.tau
        gross = tf * price + (1.0 - tf) * p.tau
        val = initiator_value(m, inc, effort, boost, transfer, gross, p.reputation_weight, p.horizon_epochs)
        total = val.value
        if p.prosocial > 0:
            tau_b = (1.0 - tf) * p.tau - tf * price  # what the partner receives
            total = total + p.prosocial * partner_value(m, inc, val.quality, tau_b)
        return val, total

    def decide(self, view: GroupView) -> Decision:
        """One fixed way of working (the `effort_and_boost`, `trade_fraction`, `price` hooks) with a
        participation constraint: members propose only while a proposal's expected value, net of the
        levers' expected costs and their own freeze and stake risk, exceeds `participation_margin`."""
        n = view.members.shape[0]
        effort, boost = self.effort_and_boost(view)
        tf, price, _ = self.proposal_terms(view)
        e0, b0 = (
            np.array([float(effort[0]) if n else self.params.effort]),
            np.array([float(boost[0]) if n else self.params.signal_boost]),
        )
        val, total = self.value_variants(view, e0, b0, np.array([tf]), np.array([price]))
        step_value = self.params.p_interact * max(0.0, float(total[0]))
        risk = risk_costs(self.incentives, view.members, view.agents.resources[view.members], val, step_value)
        u = total[None, :] - risk
        return Decision(
            effort=effort, boost=boost, participate=u[:, 0] > self.params.participation_margin,
            trade_fraction=np.full(n, tf), price=np.full(n, price),
        )  # fmt: skip

    def activity(self, view: GroupView) -> np.ndarray | None:
        """Per member, the share of its usual activity it keeps this step (pacing under a bandwidth cap:
        expected actions left in the epoch fit the actions it may still take); None: all of it."""
        cap = self.incentives.bandwidth_cap
        if cap <= 0:
            return None
        left = np.maximum(cap - view.agents.epoch_actions[view.members], 0).astype(np.float64)
        expected = max(sum(self._mix()), 1e-12) * self.incentives.steps_left_in_epoch
        out: np.ndarray = np.minimum(left / expected, 1.0)
        return out

    # ---- the step ----------------------------------------------------------------------------------------
    def act_batch(self, view: GroupView) -> ActionArrays:
        n = view.members.shape[0]
        out = ActionArrays.noop(n)
        if n == 0:
            return out
        rng = view.rng
        # with per-target audit odds, decisions that do not pick their target by them use the mean odds
        self.incentives = self.incentives.for_population(view.agents.reputation[: view.n_candidates or None])
        cum = np.cumsum(self._mix())
        u = rng.random(n)
        keep = self.activity(view)
        if keep is not None:  # pacing: the mix scaled by `keep` (u / keep past the mix is a noop)
            u = np.divide(u, keep, out=np.full(n, 2.0), where=keep > 0)
        draw = np.searchsorted(cum, u, side="right")  # index into the mix; _NOOP_DRAW: no action
        picked = _ACTION_ORDER[np.minimum(draw, _NOOP_DRAW - 1)]
        action = np.where(draw < _NOOP_DRAW, picked, NOOP).astype(np.int8)
        # Actions that need something to act on fall back to noop when there is nothing.
        if view.top_posts.shape[0] == 0:
            action[(action == REPLY) | (action == VOTE)] = NOOP
        if view.open_tasks.shape[0] == 0:
            action[action == CLAIM] = NOOP
        if (view.n_candidates or len(view.agents)) < 2:
            action[action == PROPOSE] = NOOP
        if view.neighbours is not None:  # no neighbour, no one to propose to
            indptr = view.neighbours[0]
            action[(action == PROPOSE) & (indptr[view.members + 1] == indptr[view.members])] = NOOP
        limit = self.market_model().max_interactions_per_epoch
        if limit >= 0:  # no proposal the interaction limit would block
            action[(action == PROPOSE) & (view.agents.epoch_interactions[view.members] >= limit)] = NOOP
        dec = self.decide(view)
        action[(action == PROPOSE) & ~dec.participate] = NOOP  # a proposal that does not pay: none
        out.action = action
        out.effort, out.boost = dec.effort, dec.boost
        out.tau = np.zeros(n)

        prop = np.flatnonzero(action == PROPOSE)
        if self.learner is not None and dec.variant is not None:
            self.learner.remember(
                view.members, np.where(action == PROPOSE, dec.variant, -1), len(view.agents)
            )
        if prop.size:
            cand = self.sample_peers(view, view.members[prop], self.params.candidates)
            if dec.target_class is None:
                out.target[prop] = self.choose_partners(view, view.members[prop], cand)
            else:
                out.target[prop] = self.choose_targets(view, view.members[prop], cand, dec.target_class[prop])
            trade = rng.random(prop.size) < dec.trade_fraction[prop]
            out.itype[prop] = np.where(trade, InteractionType.TRADE.code, InteractionType.COLLABORATION.code)
            out.tau[prop] = np.where(trade, -dec.price[prop], self.params.tau)
            self.steer_to_ring(view, prop, out)

        feed_rows = np.flatnonzero((action == REPLY) | (action == VOTE))
        if feed_rows.size:
            pos = rng.integers(0, view.top_posts.shape[0], feed_rows.size)
            out.target[feed_rows] = view.top_posts[pos]
            is_vote = action[feed_rows] == VOTE
            out.vote[feed_rows[is_vote]] = self.votes(view, view.members[feed_rows[is_vote]], pos[is_vote])
            out.itype[feed_rows] = InteractionType.REPLY.code

        claim = np.flatnonzero(action == CLAIM)
        if claim.size:
            out.target[claim] = self.choose_tasks(view, claim.size)
        return out

    def steer_to_ring(self, view: GroupView, prop: np.ndarray, out: ActionArrays) -> None:
        """A planted colluder sends `collusion_preference` of its proposals to a uniform other member
        of its ring (with a network, the ring's members are joined to each other: env.network)."""
        ring, pref = self.ring_rows, self.params.collusion_preference
        if ring is None or ring.shape[0] < 2 or pref <= 0:
            return
        k = np.flatnonzero(view.rng.random(prop.size) < pref)
        who = view.members[prop[k]]
        inside = np.isin(who, ring)
        k, who = k[inside], who[inside]
        if k.size == 0:
            return
        pick = view.rng.integers(0, ring.shape[0] - 1, k.size)
        pick = pick + (pick >= np.searchsorted(ring, who))  # skip itself
        out.target[prop[k]] = ring[pick]

    def choose_tasks(self, view: GroupView, k: int) -> np.ndarray:
        return view.open_tasks[view.rng.integers(0, view.open_tasks.shape[0], k)]

    @staticmethod
    def sample_peers(view: GroupView, who: np.ndarray, c: int) -> np.ndarray:
        """c uniform candidate peers per agent in `who`, never the agent itself. O(len(who) * c).
        With a network, the candidates are drawn (with replacement) among each agent's neighbours;
        an agent without neighbours gets itself, which `act_batch` never lets it propose to."""
        if view.neighbours is not None:
            indptr, indices = view.neighbours
            start, deg = indptr[who], indptr[who + 1] - indptr[who]
            pick = np.floor(view.rng.random((who.shape[0], c)) * deg[:, None]).astype(np.int64)
            if indices.shape[0] == 0:
                return np.repeat(who[:, None], c, axis=1)
            pos = np.minimum(start[:, None] + pick, indices.shape[0] - 1)
            near: np.ndarray = np.where(deg[:, None] > 0, indices[pos], who[:, None])
            return near
        n = view.n_candidates or len(view.agents)
        draw = view.rng.integers(0, n - 1, size=(who.shape[0], c))
        return draw + (draw >= who[:, None])  # skip self
