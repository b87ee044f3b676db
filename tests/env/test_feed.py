"""The feed: ranking, replies, votes, retirement, and its columns."""

import numpy as np
import pytest

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.env.feed import Feed, FeedConfig


def test_visibility_score_formula_and_order():
    feed = Feed(FeedConfig(alpha=0.5, beta=0.1, visible_limit=3, window_steps=100))
    ids = feed.add_posts(np.array([0, 1, 2, 3], dtype=np.int32), now=0, quality=np.full(4, 0.5, np.float32))
    feed.add_votes(ids[[1, 1, 2]], np.array([1.0, 1.0, 1.0]))
    feed.add_posts(
        np.array([4, 5], dtype=np.int32),
        now=5,
        quality=np.full(2, 0.5, np.float32),
        parents=np.array([ids[3], ids[3]]),
    )
    now = 10
    s = feed.scores(now)
    # post 3: 0 votes + 0.5 * 2 replies - 0.1 * 10 = 0; post 1: 2 - 1 = 1; post 2: 1 - 1 = 0; replies: -0.5
    assert s[:4].tolist() == pytest.approx([-1.0, 1.0, 0.0, 0.0])
    top = [p.post_id for p in feed.get_visible(now=now)]
    assert top[0] == "post_1" and len(top) == 3
    assert set(top[1:]) == {"post_2", "post_3"}
    assert feed.get_visible(now=now)[0].votes == 2.0


def test_old_posts_leave_the_ranking():
    feed = Feed(FeedConfig(window_steps=5))
    feed.add_posts(np.array([0], dtype=np.int32), now=0, quality=np.ones(1, np.float32))
    feed.add_posts(np.array([1], dtype=np.int32), now=4, quality=np.ones(1, np.float32))
    feed.retire(now=5)
    assert feed.post_id.tolist() == [1] and feed.total_posts == 2
    assert feed.rows_of(np.array([0, 1])).tolist() == [-1, 0]


def test_feed_in_a_run_ranks_and_votes_move_reputation():
    o = Orchestrator(OrchestratorConfig(n_epochs=2, steps_per_epoch=10, seed=2))
    o.add_population("honest", 30)
    o.add_population("adversarial", 10)
    ms = o.run()
    assert sum(m.n_posts for m in ms) > 0 and sum(m.n_votes for m in ms) > 0
    visible = o.state.feed.get_visible(now=o.state.time, agent_ids=o.agents.ids)
    assert [p.score for p in visible] == sorted((p.score for p in visible), reverse=True)


def test_feed_columns_are_typed_and_grow_in_place():
    feed = Feed(FeedConfig(window_steps=1000))
    assert (
        feed.post_id.dtype == np.int64 and feed.author.dtype == np.int32 and feed.quality.dtype == np.float32
    )
    for now in range(30):  # many small appends: the buffers grow, the values stay
        feed.add_posts(np.array([now % 5, 1], dtype=np.int32), now=now, quality=np.full(2, 0.25, np.float32))
    assert len(feed) == 60 and feed.post_id.tolist() == list(range(60))
    assert feed.created.tolist() == [t for t in range(30) for _ in range(2)]
    assert feed.parent.tolist() == [-1] * 60 and feed.votes.tolist() == [0.0] * 60


def test_retiring_out_of_time_order_keeps_the_rest():
    feed = Feed(FeedConfig(window_steps=5))
    feed.add_posts(
        np.array([0, 1], dtype=np.int32), now=10, quality=np.ones(2, np.float32), contents={0: "new"}
    )
    feed.add_posts(np.array([2], dtype=np.int32), now=2, quality=np.ones(1, np.float32), contents={0: "old"})
    feed.retire(now=10)  # cutoff 5: only the post made at time 2 goes
    assert feed.post_id.tolist() == [0, 1] and feed.author.tolist() == [0, 1]
    assert feed.content == {0: "new"} and feed.total_posts == 3
