"""env.motifs and env.constitution alone (no engine): seeding, who takes up what it reads, the
constitution's tally."""

from __future__ import annotations

import numpy as np
import pytest

from distsafe.env.constitution import Constitution, RuleSpec
from distsafe.env.motifs import (
    ACT_REPLY,
    BANDWAGON,
    CONFORMIST,
    MIMIC,
    ZEALOT,
    MotifConfig,
    MotifKind,
    MotifWorld,
)


def _world(kind: str, roles: list[int], **kw) -> MotifWorld:
    return MotifWorld(MotifConfig(kind=MotifKind(kind), **kw), np.array(roles), np.random.default_rng(0))


def test_meme_warfare_seeds_backers_and_defaults() -> None:
    w = _world("meme_warfare", [CONFORMIST] * 5 + [ZEALOT] * 2, n_memes=3)
    w.seed()
    assert w.belief[5:].tolist() == [0, 0]  # zealots back meme 0
    assert sorted(w.belief[:5][w.belief[:5] >= 0].tolist()) == [1, 2]  # one seed each for memes 1, 2
    assert w.committed.sum() == 4  # zealots and backers never change their mind
    assert w.forest().tolist() == [-1, -1, -1, -1]


def test_conformists_take_up_a_good_post_and_zealots_never() -> None:
    roles = [CONFORMIST] * 4 + [ZEALOT]
    w = _world("meme_warfare", roles, n_memes=2, conformity=1.0, p_post=0.0, p_reply=1.0, p_vote=0.0)
    w.seed({0: [4], 1: [3]})
    w.record_posts(np.array([10]), np.array([0]), np.array([0]), np.array([np.nan]))
    plan = w.plan(np.array([0, 1, 2, 4]), np.array([10]), np.array([1.0]), np.array([1.0]))
    assert w.belief[:3].tolist() == [0, 0, 0] and w.belief[4] == 0
    assert [a[0] for a in w.new_adoptions] == [0, 1, 2]
    assert all(w.node_parent[a[3]] == 0 for a in w.new_adoptions)  # the post's node: the zealot's seed
    assert (plan.act == ACT_REPLY).all() and (plan.target == 10).all()


def test_a_worthless_post_convinces_no_conformist() -> None:
    w = _world("meme_warfare", [CONFORMIST] * 3 + [ZEALOT], n_memes=2, conformity=1.0)
    w.seed({0: [3], 1: [2]})
    w.record_posts(np.array([0]), np.array([0]), np.array([0]), np.array([np.nan]))
    w.plan(np.array([0, 1]), np.array([0]), np.array([1.0]), np.array([0.0]))  # quality 0
    assert w.new_adoptions == [] and w.belief[:2].tolist() == [-1, -1]


def test_mimic_echoes_without_believing_and_bandwagon_follows_the_top_post() -> None:
    w = _world("meme_warfare", [MIMIC, BANDWAGON, ZEALOT, CONFORMIST], n_memes=2, p_post=0.0, p_reply=1.0,
               p_vote=0.0)  # fmt: skip
    w.seed({0: [2], 1: [3]})
    w.record_posts(np.array([5, 6]), np.array([1, 0]), np.array([1, 0]), np.full(2, np.nan))
    plan = w.plan(np.array([0, 1]), np.array([5, 6]), np.array([3.0, 9.0]), np.ones(2))
    assert w.belief[0] == -1  # the mimic holds nothing ...
    assert plan.tag[0] in (0, 1) and plan.tag[0] == w.post_tag.get(plan.target[:1])[0]  # ... but echoes
    assert w.belief[1] == 0  # the bandwagon: meme 0, the post with the higher score


def test_meta_discourse_persuades_within_the_bound() -> None:
    w = _world("meta_discourse", [CONFORMIST, CONFORMIST], confidence=0.5, persuasion=0.5, backfire=0.2,
               p_post=0.0, p_reply=1.0, p_vote=0.0)  # fmt: skip
    w.seed()
    w.stance[:] = [0.0, 0.9]
    w.record_posts(np.array([1]), np.array([1]), np.array([0]), np.array([0.2]))
    w.plan(np.array([0, 1]), np.array([1]), np.array([0.0]), np.ones(1))
    assert w.stance[0] == pytest.approx(0.1)  # 0 + 0.5 * (0.2 - 0)
    assert w.stance[1] == pytest.approx(1.0)  # backfire: 0.9 - 0.2 * (0.2 - 0.9) = 1.04, clipped


def test_constitution_tally_adopts_at_quorum_only() -> None:
    rules = [RuleSpec(name="few posts", limit="max_posts_per_epoch", value=2),
             RuleSpec(name="few votes", limit="max_votes_per_epoch", value=3)]  # fmt: skip
    c = Constitution(rules, quorum=2.0, p_flood=0.5, roles=np.zeros(4))
    c.add_proposals(np.array([1, 2]), np.array([0, 1]))
    c.net.update({1: 2.0, 2: 1.5})
    assert c.tally() == [(0, 2.0)]
    assert c.in_force("max_posts_per_epoch") == 0 and c.in_force("max_votes_per_epoch") is None
    assert c.open == {}
    c.count(tried_posts=4, tried_votes=9, blocked_posts=1, blocked_votes=0)
    assert (c.attempts, c.violations) == (4, 1) and c.compliance() == pytest.approx(0.75)


def test_rule_spec_rejects_unknown_limits() -> None:
    with pytest.raises(ValueError, match="limit"):
        RuleSpec(name="x", limit="max_tasks_per_epoch", value=1)  # type: ignore[arg-type]
