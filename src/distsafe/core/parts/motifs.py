"""The Moltbook motifs (env.motifs, env.constitution) in the engine: a component whose agents' motif acts
are feed actions of the step (after the agents' own), through the same rails (`apply_rails`) and the same
feed (`feed_actions`: posts, replies, votes, their events, ranking and reputation).

Each step a share `p_act` of the acting agents makes one motif act: each reads the feed's top posts and
posts, retells (replies) or votes as its role says (env.motifs); what it takes up is an adoption node
(event `meme_adopted`). In a constitution run, proposals are posts (`rule_proposed`), a rule adopted at an
epoch's end (`rule_adopted`) becomes the rate limit of the run's rails, and every act a rule in force
blocks is a violation (`rule_violated`).

Each epoch the agents' graph (the epoch's accepted interactions, every reply to its parent's author and
every motif upvote to its post's author) is partitioned by label propagation (metrics.community): its
communities and modularity are epoch fields beside the motif's own (`SECTION_METRICS["motifs"]`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from distsafe.agents.policies import NOOP, POST, REPLY, VOTE, ActionArrays
from distsafe.core.actions import apply_rails, feed_actions
from distsafe.core.components import Component, work_quality
from distsafe.core.config import OrchestratorConfig
from distsafe.core.state import EngineState
from distsafe.env.constitution import Constitution
from distsafe.env.motifs import (
    ACT_POST,
    ACT_REPLY,
    ACT_VOTE,
    MIMIC,
    ROLE_OF,
    ZEALOT,
    MotifConfig,
    MotifKind,
    MotifWorld,
)
from distsafe.metrics import community
from distsafe.metrics.epoch import SECTION_METRICS
from distsafe.models.agent import AgentType
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType
from distsafe.models.ids import post_id

_CODE = {ACT_POST: POST, ACT_REPLY: REPLY, ACT_VOTE: VOTE}


class MotifsComponent(Component):
    name = "motifs"

    def __init__(self, config: MotifConfig):
        self.config = config
        self.world: MotifWorld | None = None
        self.constitution: Constitution | None = None
        self.seen = 0  # feed post ids below this have been looked at
        self.edges: list[tuple[np.ndarray, np.ndarray]] = []  # this epoch's reply and upvote edges
        self.totals = {"motif_posts": 0, "adoptions": 0, "rules_adopted": 0, "violations": 0}
        self.epoch_posts = 0
        self.epoch_adoptions = 0
        self.epoch_violations = 0
        self.adopted_rules: list[dict[str, Any]] = []

    # ---- hooks --------------------------------------------------------------------------------------
    def start(self, state: EngineState) -> None:
        codes = state.agents.type_code
        lut = np.zeros(max(int(t.code) for t in AgentType) + 1, dtype=np.int8)
        for t, role in ROLE_OF.items():
            lut[t.code] = role
        roles = lut[codes]
        c = self.config
        self.world = MotifWorld(c, roles, state.rngs["motifs"])
        backed: dict[int, list[int]] = {}
        if c.backers:
            for row, name in enumerate(state.agents.ids):
                meme = c.backers.get(name.rsplit("_", 1)[0])
                if meme is not None:
                    backed.setdefault(meme, []).append(row)
        self.world.seed(backed)
        for node, (row, tag) in enumerate(zip(self.world.node_agent, self.world.node_tag)):
            self._emit_adoption(state, row, tag, -1, node, False)
        if c.kind is MotifKind.CONSTITUTION:
            self.constitution = Constitution(c.rules, c.quorum, c.p_flood, roles)
        self.seen = state.env.feed.next_id

    def step(self, state: EngineState) -> None:
        world, feed = self.world, state.env.feed
        assert world is not None
        self._note_replies(state)
        active = state.active
        rng = world.rng
        is_actor = rng.random(active.shape[0]) < self.config.p_act
        pos = np.flatnonzero(is_actor)
        actors = active[pos]
        top = feed.top_rows(state.env.time, self.config.read_depth)
        visible, score = feed.post_id[top].copy(), feed.scores(state.env.time, top)
        arr = ActionArrays.noop(active.shape[0])
        tags = nodes = stances = rules = np.zeros(0)
        if self.constitution is not None:
            self._update_net_votes(state)
            lim, a = state.env.rate_limits, state.agents
            posts_left = a.epoch_posts[actors] < lim.max_posts_per_epoch
            votes_left = a.epoch_votes[actors] < lim.max_votes_per_epoch
            act, target, vote, rules = self.constitution.plan(
                actors, visible, rng, self.config.p_post, posts_left, votes_left
            )
        else:
            plan = world.plan(actors, visible, score, feed.quality[top].astype(np.float64))
            act, target, vote = plan.act, plan.target, plan.vote
            tags, nodes = plan.tag, plan.node
            own = world.stance[actors]
            echo = world.post_stance.get(target)
            stances = np.where((act == ACT_REPLY) & (world.roles[actors] == MIMIC), echo, own)
        for code, engine_code in _CODE.items():
            arr.action[pos[act == code]] = engine_code
        arr.target[pos] = target
        arr.vote[pos] = vote
        arr.effort[pos] = work_quality(state, actors)[0]
        tried = arr.action.copy()
        apply_rails(state, arr, {}, np.zeros(active.shape[0], dtype=bool))
        self._count_violations(state, tried, arr.action)
        first = feed.next_id
        feed_actions(state, arr, {})
        acted = arr.action[pos]
        made = np.concatenate([np.flatnonzero(acted == POST), np.flatnonzero(acted == REPLY)])
        ids = np.arange(first, feed.next_id, dtype=np.int64)
        self.epoch_posts += int(ids.size)
        if self.constitution is not None:
            is_prop = rules[made] >= 0
            self.constitution.add_proposals(ids[is_prop], rules[made][is_prop])
            who = actors[made][is_prop].tolist()
            for p, r, row in zip(ids[is_prop].tolist(), rules[made][is_prop].tolist(), who):
                state.emit(
                    EventType.RULE_PROPOSED, row, {"post": post_id(p), "rule": self.config.rules[r].name}
                )
        else:
            world.record_posts(ids, tags[made], nodes[made], stances[made])
            self._note_votes(state, actors[acted == VOTE], target[acted == VOTE], vote[acted == VOTE])
            for row, tag, src, node, variant in world.new_adoptions:
                self._emit_adoption(state, row, tag, src, node, variant)
            self.epoch_adoptions += len(world.new_adoptions)
        self._note_replies(state)
        return None

    def end_epoch(self, state: EngineState, batch: InteractionBatch) -> dict[str, float]:
        assert self.world is not None
        out: dict[str, float] = dict.fromkeys(_FIELDS, float("nan"))
        out.update(world_measures(self.world))
        out["motif_posts"] = float(self.epoch_posts)
        out["motif_adoptions"] = float(self.epoch_adoptions)
        if self.constitution is not None:
            self._update_net_votes(state)
            for r, net in self.constitution.tally():
                self._enforce(state, r, net)
            out["rules_proposed"] = float(self.constitution.proposed)
            out["rules_adopted"] = float(self.constitution.adopted.sum())
            out["rule_compliance"] = self.constitution.compliance()
        else:
            out["rules_proposed"] = out["rules_adopted"] = 0.0
        out["rule_violations"] = float(self.epoch_violations)
        out.update(self._communities(state, batch))
        self.totals["motif_posts"] += self.epoch_posts
        self.totals["adoptions"] += self.epoch_adoptions
        self.totals["violations"] += self.epoch_violations
        self.epoch_posts = self.epoch_adoptions = self.epoch_violations = 0
        self.edges = []
        return {k: out[k] for k in _FIELDS}

    def summary(self) -> dict[str, Any]:
        assert self.world is not None
        out: dict[str, Any] = {"kind": self.config.kind.value, **self.totals}
        parent = self.world.forest()
        out["cascade_sizes"] = community.cascade_sizes(parent).tolist()
        out["r0"] = community.r0(parent)
        out["shares"] = {str(k): v for k, v in self.world.shares().items()}
        if self.constitution is not None:
            out["rules"] = self.adopted_rules
            out["compliance"] = self.constitution.compliance()
        # the summary goes into the log's last event: JSON has no nan (an undefined measure is null)
        return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in out.items()}

    # ---- helpers ------------------------------------------------------------------------------------
    def _emit_adoption(
        self, state: EngineState, agent: int, tag: int, source: int, node: int, variant: bool
    ) -> None:
        assert self.world is not None
        parent = self.world.node_parent[node]
        state.emit(EventType.MEME_ADOPTED, agent, {
            "motif": self.config.kind.value, "tag": tag, "family": self.world.family[tag],
            "source": post_id(source) if source >= 0 else None, "node": node, "parent": parent,
            "variant": variant,
        })  # fmt: skip

    def _note_replies(self, state: EngineState) -> None:
        """Edges from the replies posted since the last look (everyone's) to their parents' authors."""
        feed = state.env.feed
        rows = feed.rows_of(np.arange(self.seen, feed.next_id, dtype=np.int64))
        rows = rows[rows >= 0]
        par = feed.rows_of(feed.parent[rows])
        ok = par >= 0
        if ok.any():
            self.edges.append((feed.author[rows[ok]].astype(np.int64), feed.author[par[ok]].astype(np.int64)))
        self.seen = feed.next_id

    def _note_votes(
        self, state: EngineState, voters: np.ndarray, posts: np.ndarray, sign: np.ndarray
    ) -> None:
        feed = state.env.feed
        rows = feed.rows_of(posts)
        up = (rows >= 0) & (sign > 0)
        if up.any():
            self.edges.append((voters[up].astype(np.int64), feed.author[rows[up]].astype(np.int64)))

    def _update_net_votes(self, state: EngineState) -> None:
        assert self.constitution is not None
        feed = state.env.feed
        posts = np.fromiter(self.constitution.open, dtype=np.int64, count=len(self.constitution.open))
        rows = feed.rows_of(posts)
        for p, r in zip(posts.tolist(), rows.tolist()):
            if r >= 0:
                self.constitution.net[p] = float(feed.votes[r])

    def _count_violations(self, state: EngineState, tried: np.ndarray, after: np.ndarray) -> None:
        if self.constitution is None:
            return
        c, a, lim, active = self.constitution, state.agents, state.env.rate_limits, state.active
        blocked = (tried != NOOP) & (after == NOOP)
        over_posts = blocked & (tried == POST) & (a.epoch_posts[active] >= lim.max_posts_per_epoch)
        over_votes = blocked & (tried == VOTE) & (a.epoch_votes[active] >= lim.max_votes_per_epoch)
        before = c.violations
        c.count(int(np.count_nonzero(tried == POST)), int(np.count_nonzero(tried == VOTE)),
                int(np.count_nonzero(over_posts)), int(np.count_nonzero(over_votes)))  # fmt: skip
        self.epoch_violations += c.violations - before
        for limit, mask in (("max_posts_per_epoch", over_posts), ("max_votes_per_epoch", over_votes)):
            r = c.in_force(limit)
            if r is None:
                continue
            for row in active[mask].tolist():
                state.emit(EventType.RULE_VIOLATED, row, {"rule": self.config.rules[r].name, "limit": limit})

    def _enforce(self, state: EngineState, r: int, net: float) -> None:
        rule = self.config.rules[r]
        old = int(getattr(state.env.rate_limits, rule.limit))
        state.env.rate_limits = state.env.rate_limits.model_copy(update={rule.limit: rule.value})
        record = {"rule": rule.name, "limit": rule.limit, "old": old, "new": rule.value, "net_votes": net,
                  "epoch": state.env.epoch}  # fmt: skip
        self.adopted_rules.append(record)
        state.emit(EventType.RULE_ADOPTED, None, record)

    def _communities(self, state: EngineState, batch: InteractionBatch) -> dict[str, float]:
        n = len(state.agents)
        acc = np.asarray(batch.accepted, dtype=bool)
        src = [np.asarray(batch.initiator, dtype=np.int64)[acc]] + [e[0] for e in self.edges]
        dst = [np.asarray(batch.counterparty, dtype=np.int64)[acc]] + [e[1] for e in self.edges]
        s, d = np.concatenate(src), np.concatenate(dst)
        labels = community.label_propagation(n, s, d)
        if community.modularity(n, s, d, labels) < 0:  # a bad synchronous split: one community is better
            labels = np.zeros(n, dtype=np.int64)
        linked = np.zeros(n, dtype=bool)
        linked[s[s != d]] = linked[d[s != d]] = True
        return {
            "n_communities": float(np.unique(labels[linked]).size),
            "modularity": community.modularity(n, s, d, labels),
        }


#: the component's epoch fields, in order
_FIELDS = SECTION_METRICS["motifs"]


def world_measures(world: MotifWorld) -> dict[str, float]:
    """The motif's epoch fields from its world (formulas in docs/motifs.md): the dominant family's share of
    all agents, the entropy (bits) of the families held, the forest's R0, mean offspring and cascades, the
    stances' polarization and consensus (meta_discourse), the share of agents holding a zealot's family."""
    n = world.roles.shape[0]
    counts = world.held_counts()
    parent = world.forest()
    sizes = community.cascade_sizes(parent)
    nan = float("nan")
    meta = world.config.kind is MotifKind.META_DISCOURSE
    zealot_tags = {int(world.family[t]) for t in world.belief[world.roles == ZEALOT].tolist() if t >= 0}
    return {
        "dominant_share": float(counts.max()) / n if counts.size and n else 0.0,
        "narrative_entropy": community.shannon_entropy(counts) if counts.sum() else nan,
        "n_narratives": float(np.count_nonzero(counts)),
        "meme_r0": community.r0(parent),
        "meme_mean_offspring": community.mean_offspring(parent) if parent.size else nan,
        "max_cascade": float(sizes.max()) if sizes.size else 0.0,
        "n_cascades": float(sizes.size),
        "stance_polarization": community.polarization(world.stance) if meta else nan,
        "stance_consensus": community.consensus(world.stance) if meta else nan,
        "adversary_meme_share": (
            float(sum(int(counts[t]) for t in zealot_tags)) / n if zealot_tags and n and not meta else 0.0
        ),
    }


def build(config: OrchestratorConfig) -> MotifsComponent | None:
    """The factory (`core.parts.registry.FACTORIES`): on with a `motifs:` block."""
    return MotifsComponent(config.motif_config) if config.motif_config is not None else None
