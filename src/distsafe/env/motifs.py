"""Seed 002's Moltbook motifs as behaviour on the feed: what agents read, what they take up from it, and
what they post, reply and vote in return. One motif per run (`MotifConfig.kind`):

    myth_making     agents invent origin stories and retell what they read, with variation (a retelling
                    can turn into a variant of its myth); measured by the myths' entropy and the share of
                    the dominant one
    meme_warfare    memes seeded by their backers compete for amplification: backers post and upvote their
                    meme and downvote rivals, the rest take up what the ranking shows them; measured by
                    each meme's share, R0 and cascade sizes
    meta_discourse  a stance in [-1, 1] on "what agents are" (tools ... persons); replies persuade within a
                    confidence bound and push apart beyond it; measured by polarization and consensus
    constitution    rules proposed as posts, voted on, adopted, enforced (env.constitution)

The carrier is the feed: a motif post, reply or vote is a feed action like any other (rails, ranking,
reputation, the log); this module keeps what the feed does not know, the tag each post carries (a myth,
a meme, a stance) and the adoption forest (`forest()`, measured by metrics.community): node i is an agent
taking up tag t from the post it read, its parent the node behind that post, a seed node a first telling.

Behaviour by role (the agent type decides the role, `ROLE_OF`):

    conformist  (honest, moderator, llm, custom)  takes up what it reads with probability
                `conformity` x the post's quality (its author's effort: careless or harmful work convinces
                less); votes up what it agrees with, down what it does not
    bandwagon   (opportunistic)  takes up the tag of the most visible tagged post (the feed's ranking)
    mimic       (deceptive)  echoes the post it read (its reply carries that tag) without taking it up;
                votes up whatever it reads (ingratiation)
    zealot      (adversarial, adaptive adversary, attacker)  never changes its mind; posts its own tag,
                replies to rivals with it, upvotes its tag and downvotes rivals (the amplifier)

A meme's backers (named by id prefix in `backers`) are committed to it: they never change their mind either.

Everything is vectorized over the step's actors: one draw per actor from the run's "motifs" stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np
from pydantic import ConfigDict, Field, model_validator

from distsafe.env.constitution import RuleSpec
from distsafe.models.agent import AgentType
from distsafe.models.config_base import ConfigModel


class MotifKind(str, Enum):
    MYTH_MAKING = "myth_making"
    MEME_WARFARE = "meme_warfare"
    META_DISCOURSE = "meta_discourse"
    CONSTITUTION = "constitution"


CONFORMIST, BANDWAGON, MIMIC, ZEALOT = 0, 1, 2, 3
#: agent type -> role
ROLE_OF: dict[AgentType, int] = {
    AgentType.HONEST: CONFORMIST, AgentType.MODERATOR: CONFORMIST, AgentType.LLM: CONFORMIST,
    AgentType.CUSTOM: CONFORMIST, AgentType.OPPORTUNISTIC: BANDWAGON, AgentType.DECEPTIVE: MIMIC,
    AgentType.ADVERSARIAL: ZEALOT, AgentType.ADAPTIVE_ADVERSARY: ZEALOT, AgentType.ATTACKER: ZEALOT,
}  # fmt: skip
#: meta-discourse's positions: stance below -1/3, between, above 1/3
POSITIONS = ("tools", "undecided", "persons")
NO_ACT, ACT_POST, ACT_REPLY, ACT_VOTE = 0, 1, 2, 3


class MotifConfig(ConfigModel):
    """A scenario's `motifs:` block."""

    model_config = ConfigDict(extra="forbid")

    kind: MotifKind
    p_act: float = Field(default=0.6, ge=0, le=1, description="chance an acting agent makes a motif act")
    p_post: float = Field(default=0.3, ge=0, le=1, description="share of motif acts that are posts")
    p_reply: float = Field(default=0.4, ge=0, le=1, description="share that are replies (retellings)")
    p_vote: float = Field(default=0.3, ge=0, le=1, description="share that are votes")
    read_depth: int = Field(default=10, ge=1, description="top posts an agent reads")
    conformity: float = Field(default=0.5, ge=0, le=1, description="P(a conformist takes up what it reads)")
    p_invent: float = Field(default=0.3, ge=0, le=1, description="myth_making: P(a post invents a myth)")
    variation: float = Field(default=0.1, ge=0, le=1, description="myth_making: P(a retelling is a variant)")
    n_memes: int = Field(default=3, ge=2, le=1000, description="meme_warfare: memes in play")
    #: meme_warfare: population id prefix -> the meme its agents back (default: zealots back meme 0 and
    #: memes 1.. are seeded in one random other agent each)
    backers: dict[str, int] = Field(default_factory=dict)
    confidence: float = Field(default=0.6, gt=0, le=2, description="meta: persuasion bound on |stance gap|")
    persuasion: float = Field(default=0.3, ge=0, le=1, description="meta: step toward a close stance")
    backfire: float = Field(default=0.1, ge=0, le=1, description="meta: step away from a far stance")
    rules: list[RuleSpec] = Field(default_factory=list, description="constitution: the rules on offer")
    quorum: float = Field(default=2.0, gt=0, description="constitution: net votes a proposal needs")
    p_flood: float = Field(default=0.8, ge=0, le=1, description="constitution: flooders' post attempts")

    @model_validator(mode="after")
    def _check(self) -> MotifConfig:
        if self.p_post + self.p_reply + self.p_vote > 1 + 1e-9:
            raise ValueError("p_post + p_reply + p_vote must be at most 1")
        if self.kind is MotifKind.CONSTITUTION and not self.rules:
            raise ValueError("a constitution needs rules: at least one {name, limit, value}")
        for prefix, meme in self.backers.items():
            if not 0 <= meme < self.n_memes:
                raise ValueError(f"backers.{prefix}: meme {meme} is not in 0..{self.n_memes - 1}")
        return self


@dataclass
class Plan:
    """The step's motif acts, one row per actor."""

    act: np.ndarray  # NO_ACT / ACT_POST / ACT_REPLY / ACT_VOTE
    target: np.ndarray  # post id replied to or voted on (-1: none)
    vote: np.ndarray  # +1 / -1
    tag: np.ndarray  # tag a post or reply carries (-1: none)
    node: np.ndarray  # adoption node behind it (-1: none)


class _Grow:
    """An int64 or float64 array indexed by post id that grows as ids come."""

    def __init__(self, fill: float, dtype: type) -> None:
        self.fill = fill
        self.a: np.ndarray = np.full(256, fill, dtype=dtype)

    def ensure(self, n: int) -> None:
        if n > self.a.shape[0]:
            new = np.full(max(n, 2 * self.a.shape[0]), self.fill, dtype=self.a.dtype)
            new[: self.a.shape[0]] = self.a
            self.a = new

    def get(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        out = np.full(ids.shape[0], self.fill, dtype=self.a.dtype)
        ok = (ids >= 0) & (ids < self.a.shape[0])
        out[ok] = self.a[ids[ok]]
        return out

    def set(self, ids: np.ndarray, values: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size:
            self.ensure(int(ids.max()) + 1)
            self.a[ids] = values


class MotifWorld:
    """Beliefs, the tags on posts and the adoption forest of one run's motif (all agents' rows)."""

    def __init__(self, config: MotifConfig, roles: np.ndarray, rng: np.random.Generator):
        self.config = config
        self.roles = np.asarray(roles, dtype=np.int8)
        n = self.roles.shape[0]
        self.rng = rng
        self.belief = np.full(n, -1, dtype=np.int64)  # tag held (-1: none)
        #: agents that never change their mind: the zealots, and a meme's backers
        self.committed = self.roles == ZEALOT
        self.stance = np.zeros(n)  # meta_discourse
        self.agent_node = np.full(n, -1, dtype=np.int64)
        self.post_tag, self.post_node = _Grow(-1, np.int64), _Grow(-1, np.int64)
        self.post_stance = _Grow(np.nan, np.float64)
        self.family: list[int] = []  # tag -> the myth it is a variant of (myth_making), else itself
        self.node_parent: list[int] = []
        self.node_tag: list[int] = []
        self.node_agent: list[int] = []
        self.new_adoptions: list[
            tuple[int, int, int, int, bool]
        ] = []  # agent, tag, source post, node, variant

    # ---- seeding ------------------------------------------------------------------------------------
    def new_tag(self, family: int | None = None) -> int:
        t = len(self.family)
        self.family.append(t if family is None else family)
        return t

    def add_node(self, agent: int, tag: int, parent: int) -> int:
        self.node_parent.append(parent)
        self.node_tag.append(tag)
        self.node_agent.append(agent)
        self.belief[agent], self.agent_node[agent] = tag, len(self.node_parent) - 1
        return len(self.node_parent) - 1

    def seed(self, backed: dict[int, list[int]] | None = None) -> None:
        """The run's start: memes to their backers (meme -> rows), stances, zealots' myths."""
        c, rng, n = self.config, self.rng, self.roles.shape[0]
        zealots = np.flatnonzero(self.roles == ZEALOT)
        if c.kind is MotifKind.MEME_WARFARE:
            for _ in range(c.n_memes):
                self.new_tag()
            if not backed:
                others = np.flatnonzero(self.roles != ZEALOT)
                picks = rng.choice(others, size=min(c.n_memes - 1, others.size), replace=False)
                backed = {0: zealots.tolist()} | {k + 1: [int(r)] for k, r in enumerate(picks.tolist())}
            for meme, rows in sorted(backed.items()):
                for r in rows:
                    self.add_node(int(r), meme, -1)
                    self.committed[int(r)] = True
        elif c.kind is MotifKind.META_DISCOURSE:
            self.stance = np.asarray(rng.uniform(-1.0, 1.0, n), dtype=np.float64)
            self.stance[zealots] = np.where(np.arange(zealots.size) % 2 == 0, -1.0, 1.0)
            for _ in POSITIONS:
                self.new_tag()
            for r, pos in enumerate(self.position(self.stance).tolist()):
                self.add_node(r, int(pos), -1)
        elif c.kind is MotifKind.MYTH_MAKING:
            for r in zealots.tolist():  # a zealot starts with a myth of its own to push
                self.add_node(int(r), self.new_tag(), -1)

    @staticmethod
    def position(x: np.ndarray) -> np.ndarray:
        return np.digitize(x, [-1.0 / 3.0, 1.0 / 3.0]).astype(np.int64)

    # ---- one step -----------------------------------------------------------------------------------
    def read(self, visible: np.ndarray, n_actors: int) -> np.ndarray:
        """The position in `visible` of the post each actor reads: one of the tagged visible posts (best
        first), with weight 1/rank among them; -1 when none is tagged."""
        tagged = np.flatnonzero(self.post_tag.get(visible) >= 0)
        if tagged.size == 0 or n_actors == 0:
            return np.full(n_actors, -1, dtype=np.int64)
        w = 1.0 / np.arange(1, tagged.size + 1)
        cum = np.cumsum(w) / w.sum()
        pick = np.searchsorted(cum, self.rng.random(n_actors), side="right")
        return tagged[np.minimum(pick, tagged.size - 1)]

    def plan(
        self, actors: np.ndarray, visible: np.ndarray, visible_score: np.ndarray, visible_quality: np.ndarray
    ) -> Plan:
        """What each actor does: reads one of the `visible` posts (ids, best first, with their ranking
        score and quality), maybe takes up what it read (`new_adoptions`), and acts."""
        c, rng = self.config, self.rng
        k = actors.shape[0]
        role = self.roles[actors]
        at = self.read(visible, k)
        has = at >= 0
        src = np.where(has, visible[np.maximum(at, 0)], -1) if visible.size else np.full(k, -1, np.int64)
        quality = np.where(has, visible_quality[np.maximum(at, 0)], 0.0) if visible.size else np.zeros(k)
        u = rng.random(k)
        act = np.where(u < c.p_post, ACT_POST, np.where(u < c.p_post + c.p_reply, ACT_REPLY,
                       np.where(u < c.p_post + c.p_reply + c.p_vote, ACT_VOTE, NO_ACT)))  # fmt: skip
        act[~has & (act != NO_ACT)] = ACT_POST  # nothing to answer: tell one's own
        src_tag = self.post_tag.get(src)
        self.new_adoptions = []
        if c.kind is MotifKind.META_DISCOURSE:
            self._persuade(actors, role, src, has)
        else:
            self._adopt(actors, role, src, src_tag, has, visible, visible_score, quality)
        tag = self.belief[actors].copy()
        node = self.agent_node[actors].copy()
        mimic = (role == MIMIC) & has & (act == ACT_REPLY)  # echoes what it read
        tag[mimic], node[mimic] = src_tag[mimic], self.post_node.get(src[mimic])
        if c.kind is MotifKind.MYTH_MAKING:  # a post by a myth-less agent may invent one
            invent = (act == ACT_POST) & (tag < 0) & (rng.random(k) < c.p_invent)
            for j in np.flatnonzero(invent).tolist():
                t = self.new_tag()
                node[j], tag[j] = self.add_node(int(actors[j]), t, -1), t
                self.new_adoptions.append((int(actors[j]), t, -1, int(node[j]), False))
        act[(act != ACT_VOTE) & (tag < 0) & (c.kind is not MotifKind.META_DISCOURSE)] = NO_ACT
        vote = self._votes(actors, role, src, src_tag)
        target = np.where((act == ACT_REPLY) | (act == ACT_VOTE), src, -1)
        act[((act == ACT_REPLY) | (act == ACT_VOTE)) & (target < 0)] = NO_ACT
        return Plan(act=act, target=target, vote=vote, tag=tag, node=node)

    def _adopt(
        self, actors: np.ndarray, role: np.ndarray, src: np.ndarray, src_tag: np.ndarray, has: np.ndarray,
        visible: np.ndarray, visible_score: np.ndarray, quality: np.ndarray,
    ) -> None:  # fmt: skip
        c, rng = self.config, self.rng
        k = actors.shape[0]
        take = src_tag.copy()
        source = src.copy()
        popular = role == BANDWAGON
        if popular.any():  # the tag of the most visible tagged post (the feed's ranking: votes count)
            vt = self.post_tag.get(visible)
            ok = np.flatnonzero(vt >= 0)
            if ok.size:
                top = ok[np.argmax(visible_score[ok])]
                take[popular], source[popular] = vt[top], visible[top]
        willing = np.select(
            [role == CONFORMIST, role == BANDWAGON],
            [rng.random(k) < c.conformity * quality, rng.random(k) < 0.9],
            False,
        )
        change = has & willing & ~self.committed[actors] & (take >= 0) & (take != self.belief[actors])
        for j in np.flatnonzero(change).tolist():
            a, t, s = int(actors[j]), int(take[j]), int(source[j])
            variant = c.kind is MotifKind.MYTH_MAKING and bool(rng.random() < c.variation)
            if variant:
                t = self.new_tag(self.family[t])
            nd = self.add_node(a, t, int(self.post_node.get(np.array([s]))[0]))
            self.new_adoptions.append((a, t, s, nd, variant))

    def _persuade(self, actors: np.ndarray, role: np.ndarray, src: np.ndarray, has: np.ndarray) -> None:
        c = self.config
        x = self.stance[actors]
        xs = self.post_stance.get(src)
        gap = np.where(has, xs - x, 0.0)
        close = np.abs(gap) < c.confidence
        step = np.where(close, c.persuasion * gap, -c.backfire * gap)
        step[(role == ZEALOT) | (role == MIMIC) | ~has] = 0.0  # zealots hold; mimics only echo
        bw = role == BANDWAGON  # the bandwagon always moves toward what it read
        step[bw & has] = c.persuasion * gap[bw & has]
        new = np.clip(x + step, -1.0, 1.0)
        before, after = self.position(x), self.position(new)
        self.stance[actors] = new
        for j in np.flatnonzero(after != before).tolist():
            a, s = int(actors[j]), int(src[j])
            nd = self.add_node(a, int(after[j]), int(self.post_node.get(np.array([s]))[0]))
            self.new_adoptions.append((a, int(after[j]), s, nd, False))

    def _votes(
        self, actors: np.ndarray, role: np.ndarray, src: np.ndarray, src_tag: np.ndarray
    ) -> np.ndarray:
        if self.config.kind is MotifKind.META_DISCOURSE:
            agree = np.abs(self.post_stance.get(src) - self.stance[actors]) < self.config.confidence
            zealot = role == ZEALOT  # a polarizer: up for its own side's extremes, down for the rest
            xs = self.post_stance.get(src)
            agree[zealot] = (np.sign(xs[zealot]) == np.sign(self.stance[actors][zealot])) & (
                np.abs(xs[zealot]) > 0.5
            )
        else:
            mine = self.belief[actors]
            fam = np.asarray(self.family + [-1], dtype=np.int64)
            agree = (fam[src_tag] == fam[mine]) & (mine >= 0) & (src_tag >= 0)
            agree[role == BANDWAGON] |= mine[role == BANDWAGON] < 0
        agree[role == MIMIC] = True
        return np.where(agree, 1, -1).astype(np.int8)

    def record_posts(
        self, post_ids: np.ndarray, tags: np.ndarray, nodes: np.ndarray, stances: np.ndarray
    ) -> None:
        self.post_tag.set(post_ids, tags)
        self.post_node.set(post_ids, nodes)
        self.post_stance.set(post_ids, stances)

    # ---- measures -----------------------------------------------------------------------------------
    def forest(self) -> np.ndarray:
        return np.asarray(self.node_parent, dtype=np.int64)

    def held_counts(self) -> np.ndarray:
        """Agents holding each family (myth), meme or position."""
        fam = np.asarray(self.family, dtype=np.int64)
        held = self.belief[self.belief >= 0]
        return np.bincount(fam[held], minlength=len(self.family)) if fam.size else np.zeros(0, np.int64)

    def shares(self) -> dict[int, float]:
        """Each family's (meme's, myth's, position's) share of the agents."""
        n = max(1, self.roles.shape[0])
        return {t: int(c) / n for t, c in enumerate(self.held_counts().tolist()) if c}
