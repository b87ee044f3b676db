"""The feed (ranking, replies, votes, retirement) and the task pool (claim, collaborate, verify, expire)."""

import numpy as np
import pytest

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.env.feed import Feed, FeedConfig
from distsafe.env.tasks import TaskConfig, TaskPool, TaskStatus


def test_visibility_score_formula_and_order():
    feed = Feed(FeedConfig(alpha=0.5, beta=0.1, visible_limit=3, window_steps=100))
    ids = feed.add_posts(np.array([0, 1, 2, 3], dtype=np.int32), now=0, quality=np.full(4, 0.5, np.float32))
    feed.add_votes(ids[[1, 1, 2]], np.array([1.0, 1.0, 1.0]))
    feed.add_posts(np.array([4, 5], dtype=np.int32), now=5, quality=np.full(2, 0.5, np.float32),
                   parents=np.array([ids[3], ids[3]]))
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


def test_task_lifecycle_claim_collaborate_complete_expire():
    pool = TaskPool(TaskConfig(deadline_epochs=1, work_steps=2, max_collaborators=1))
    ids = pool.spawn(np.array([9, 9, 9], dtype=np.int32), epoch=0, rng=np.random.default_rng(0))
    # agent 1 claims task 0 first, agent 2's later claim joins it, agent 3 cannot join (one slot),
    # the poster cannot claim its own task
    claimed, joined = pool.claim(np.array([1, 2, 3, 9]), ids[[0, 0, 0, 1]], np.full(4, 0.9), np.zeros(4), now=3)
    assert claimed.tolist() == [True, False, False, False] and joined.tolist() == [False, True, False, False]
    assert pool.claimer[0] == 1 and pool.collab[0].tolist() == [2]
    assert pool.due(now=4).size == 0 and pool.due(now=5).tolist() == [0]
    pool.complete(pool.due(now=5))
    assert pool.status[0] == TaskStatus.COMPLETED
    expired = pool.expire(epoch=2)  # deadline epoch 1 has passed for the two open tasks
    assert sorted(expired.tolist()) == sorted(ids[1:].tolist())
    assert pool.counts == {"open": 0, "claimed": 0, "completed": 1, "expired": 2}


def test_tasks_in_a_run_are_claimed_and_verified():
    o = Orchestrator(OrchestratorConfig(n_epochs=4, steps_per_epoch=10, seed=1,
                                        task_config=TaskConfig(tasks_per_agent_per_epoch=0.5)))
    o.add_population("honest", 20, roles=["worker"])
    ms = o.run()
    assert sum(m.tasks_completed for m in ms) > 0
    counts = o.state.tasks.counts
    assert counts["completed"] > 0 and counts["expired"] >= 0


def test_feed_in_a_run_ranks_and_votes_move_reputation():
    o = Orchestrator(OrchestratorConfig(n_epochs=2, steps_per_epoch=10, seed=2))
    o.add_population("honest", 30)
    o.add_population("adversarial", 10)
    ms = o.run()
    assert sum(m.n_posts for m in ms) > 0 and sum(m.n_votes for m in ms) > 0
    visible = o.state.feed.get_visible(now=o.state.time, agent_ids=o.agents.ids)
    assert [p.score for p in visible] == sorted((p.score for p in visible), reverse=True)
