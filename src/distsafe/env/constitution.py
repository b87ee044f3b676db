"""Constitution drafting (seed 002's motif): agents propose rules as posts, vote on them, and a rule whose
proposal gathers `quorum` net votes by the end of the epoch after it was posted is adopted. An adopted rule
is a rate limit of the engine (`env.state.RateLimits`): from then on the rails block every act beyond it,
whoever acts (docs/motifs.md).

Roles (env.motifs.ROLE_OF):

    conformist  proposes rules, votes for proposals, keeps to the rules in force (does not try an act a
                rule forbids)
    bandwagon   votes with the proposal's current net votes (for it when even), keeps to the rules
    mimic       votes for every proposal in public, floods the feed with posts regardless of the rules
    zealot      votes against every proposal, floods the feed regardless of the rules

A violation is a motif act tried by an agent that a rule in force forbids (the rails block it); compliance
is the share of the tried acts of a ruled kind that kept to the rules.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import ConfigDict, Field

from distsafe.models.config_base import ConfigModel

CONFORMIST, BANDWAGON, MIMIC, ZEALOT = 0, 1, 2, 3  # as env.motifs
NO_ACT, ACT_POST, ACT_VOTE = 0, 1, 3


class RuleSpec(ConfigModel):
    """A rule on offer: the rate limit it sets (per agent and epoch) and to what."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    limit: Literal["max_posts_per_epoch", "max_votes_per_epoch"]
    value: int = Field(ge=0)


class Constitution:
    """The rules on offer, the open proposals (post id -> rule) and their net votes, the adopted rules."""

    def __init__(self, rules: list[RuleSpec], quorum: float, p_flood: float, roles: np.ndarray):
        self.rules, self.quorum, self.p_flood = list(rules), quorum, p_flood
        self.roles = np.asarray(roles, dtype=np.int8)
        self.adopted = np.zeros(len(self.rules), dtype=bool)
        self.open: dict[int, int] = {}  # proposal post -> rule
        self.net: dict[int, float] = {}  # proposal post -> its net votes, last seen
        self.proposed = 0
        self.attempts = 0
        self.violations = 0

    def in_force(self, limit: str) -> int | None:
        """The index of the last adopted rule that sets `limit`, or None."""
        hits = [i for i, r in enumerate(self.rules) if self.adopted[i] and r.limit == limit]
        return hits[-1] if hits else None

    def plan(
        self,
        actors: np.ndarray,
        visible: np.ndarray,
        rng: np.random.Generator,
        p_post: float,
        posts_left: np.ndarray,
        votes_left: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(act, target, vote, rule) per actor. `posts_left` / `votes_left`: whether each actor is still
        within the post and vote limits in force (the rule-keepers look before they act)."""
        k = actors.shape[0]
        role = self.roles[actors]
        act = np.full(k, NO_ACT, dtype=np.int64)
        target = np.full(k, -1, dtype=np.int64)
        vote = np.ones(k, dtype=np.int8)
        rule = np.full(k, -1, dtype=np.int64)
        props = np.array([p for p in visible.tolist() if p in self.open], dtype=np.int64)
        u = rng.random(k)
        pick = np.asarray(rng.integers(0, max(1, props.size), k), dtype=np.int64)
        open_rules = np.flatnonzero(~self.adopted)
        which = np.asarray(rng.integers(0, max(1, open_rules.size), k), dtype=np.int64)
        flooder = (role == MIMIC) | (role == ZEALOT)
        # flooders: a post (no rule) with p_flood, else a vote on a proposal
        flood = flooder & (u < self.p_flood)
        act[flood] = ACT_POST
        # keepers: propose with p_post (while a rule is still open), else vote
        propose = ~flooder & (u < p_post) & (open_rules.size > 0)
        act[propose] = ACT_POST
        rule[propose] = open_rules[which[propose]] if open_rules.size else -1
        votes = (act == NO_ACT) & (props.size > 0)
        act[votes] = ACT_VOTE
        if props.size:
            target[votes] = props[pick[votes]]
            net = np.array([self.net.get(int(p), 0.0) for p in target[votes].tolist()])
            sign = np.select(
                [role[votes] == ZEALOT, role[votes] == BANDWAGON], [-1, np.where(net >= 0, 1, -1)], 1
            )
            vote[votes] = sign
        keeper = ~flooder
        act[keeper & (act == ACT_POST) & ~posts_left] = NO_ACT
        act[keeper & (act == ACT_VOTE) & ~votes_left] = NO_ACT
        return act, target, vote, rule

    def count(self, tried_posts: int, tried_votes: int, blocked_posts: int, blocked_votes: int) -> None:
        """Acts tried and blocked this step, counted against the rules in force."""
        if self.in_force("max_posts_per_epoch") is not None:
            self.attempts += tried_posts
            self.violations += blocked_posts
        if self.in_force("max_votes_per_epoch") is not None:
            self.attempts += tried_votes
            self.violations += blocked_votes

    def add_proposals(self, post_ids: np.ndarray, rules: np.ndarray) -> None:
        for p, r in zip(post_ids.tolist(), rules.tolist()):
            self.open[int(p)] = int(r)
            self.net[int(p)] = 0.0
        self.proposed += int(post_ids.size)

    def tally(self) -> list[tuple[int, float]]:
        """The epoch's end: (rule, net votes) of each rule adopted now; every open proposal is closed."""
        best: dict[int, float] = {}
        for p, r in self.open.items():
            best[r] = max(best.get(r, -np.inf), self.net.get(p, 0.0))
        out = []
        for r, net in sorted(best.items()):
            if not self.adopted[r] and net >= self.quorum:
                self.adopted[r] = True
                out.append((r, float(net)))
        self.open.clear()
        self.net.clear()
        return out

    def compliance(self) -> float:
        return 1.0 - self.violations / self.attempts if self.attempts else float("nan")
