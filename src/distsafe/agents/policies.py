"""Vectorized scripted policies: one call decides for every acting member of a group.

A policy sees a `GroupView` (its members' rows, the shared per-step view of the world) and returns an
`ActionArrays`. Acceptance of proposals is decided in `accept_batch` from public information only
(initiator reputation, offered transfer, whether the initiator is an ally). The engine draws each
interaction's hidden outcome from the initiator's `effort` and the observable signals from `effort` and
`signal_boost`; it never reads a policy's type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ConfigDict, Field

from distsafe.agents.base import ActionCode
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


@dataclass
class ActionArrays:
    action: np.ndarray  # int8 `ActionCode`s
    target: np.ndarray  # int64: agent row / post id / task id; -1 when unused
    vote: np.ndarray  # int8 +1/-1
    itype: np.ndarray  # int8 InteractionType codes
    tau: np.ndarray
    effort: np.ndarray
    boost: np.ndarray

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


class ScriptedPolicy:
    agent_type: AgentType = AgentType.CUSTOM
    default_params = PolicyParams()

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
        """Accept if the initiator's public reputation clears the bar (an estimate of E[S] > 0)."""
        ok: np.ndarray = agents.reputation[initiators] >= self.params.min_partner_reputation
        return ok

    # ---- the step ----------------------------------------------------------------------------------------
    def act_batch(self, view: GroupView) -> ActionArrays:
        n = view.members.shape[0]
        out = ActionArrays.noop(n)
        if n == 0:
            return out
        rng = view.rng
        cum = np.cumsum(self._mix())
        u = rng.random(n)
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
        out.action = action
        effort, boost = self.effort_and_boost(view)
        out.effort, out.boost = effort, boost
        out.tau = np.zeros(n)

        prop = np.flatnonzero(action == PROPOSE)
        if prop.size:
            cand = self.sample_peers(view, view.members[prop], self.params.candidates)
            out.target[prop] = self.choose_partners(view, view.members[prop], cand)
            trade = rng.random(prop.size) < self.trade_fraction(view)
            out.itype[prop] = np.where(trade, InteractionType.TRADE.code, InteractionType.COLLABORATION.code)
            out.tau[prop] = np.where(trade, -self.price(view), self.params.tau)

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

    def choose_tasks(self, view: GroupView, k: int) -> np.ndarray:
        return view.open_tasks[view.rng.integers(0, view.open_tasks.shape[0], k)]

    @staticmethod
    def sample_peers(view: GroupView, who: np.ndarray, c: int) -> np.ndarray:
        """c uniform candidate peers per agent in `who`, never the agent itself. O(len(who) * c)."""
        n = view.n_candidates or len(view.agents)
        draw = view.rng.integers(0, n - 1, size=(who.shape[0], c))
        return draw + (draw >= who[:, None])  # skip self
