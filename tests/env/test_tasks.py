"""The task pool: claim, collaborate, verify, expire, and its columns."""

import numpy as np

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.env.tasks import TaskConfig, TaskPool, TaskStatus


def test_task_lifecycle_claim_collaborate_complete_expire():
    pool = TaskPool(TaskConfig(deadline_epochs=1, work_steps=2, max_collaborators=1))
    ids = pool.spawn(np.array([9, 9, 9], dtype=np.int32), epoch=0, rng=np.random.default_rng(0))
    # agent 1 claims task 0 first, agent 2's later claim joins it, agent 3 cannot join (one slot),
    # the poster cannot claim its own task
    claimed, joined = pool.claim(
        np.array([1, 2, 3, 9]), ids[[0, 0, 0, 1]], np.full(4, 0.9), np.zeros(4), now=3
    )
    assert claimed.tolist() == [True, False, False, False] and joined.tolist() == [False, True, False, False]
    assert pool.claimer[0] == 1 and pool.collab[0].tolist() == [2]
    assert pool.due(now=4).size == 0 and pool.due(now=5).tolist() == [0]
    pool.complete(pool.due(now=5))
    assert pool.status[0] == TaskStatus.COMPLETED
    expired = pool.expire(epoch=2)  # deadline epoch 1 has passed for the two open tasks
    assert sorted(expired.tolist()) == sorted(ids[1:].tolist())
    assert pool.counts == {"open": 0, "claimed": 0, "completed": 1, "expired": 2}


def test_tasks_in_a_run_are_claimed_and_verified():
    o = Orchestrator(
        OrchestratorConfig(
            n_epochs=4, steps_per_epoch=10, seed=1, task_config=TaskConfig(tasks_per_agent_per_epoch=0.5)
        )
    )
    o.add_population("honest", 20, roles=["worker"])
    ms = o.run()
    assert sum(m.tasks_completed for m in ms) > 0
    pool = o.state.tasks
    counts = pool.counts
    assert counts["completed"] > 0
    # every task spawned is counted once, in the state it is in (finished rows leave at the next expire)
    assert sum(counts.values()) == pool.next_id > 0
    assert counts["open"] == int(np.count_nonzero(pool.status == TaskStatus.OPEN))
    assert counts["claimed"] == int(np.count_nonzero(pool.status == TaskStatus.CLAIMED))


def test_spawned_tasks_have_their_defaults_and_growth_keeps_them():
    pool = TaskPool(TaskConfig(max_collaborators=2, deadline_epochs=3, bounty_mean=2.0))
    rng = np.random.default_rng(5)
    ids = pool.spawn(np.array([4, 5], dtype=np.int32), epoch=1, rng=rng)
    want = np.random.default_rng(5)
    bounty, difficulty = want.exponential(2.0, 2), want.random(2)
    assert ids.tolist() == [0, 1] and pool.poster.tolist() == [4, 5]
    np.testing.assert_array_equal(pool.bounty, bounty)
    np.testing.assert_array_equal(pool.difficulty, difficulty.astype(np.float32))
    assert pool.deadline.tolist() == [4, 4] and pool.status.tolist() == [TaskStatus.OPEN] * 2
    assert pool.claimer.tolist() == [-1, -1] and pool.claimed_at.tolist() == [-1, -1]
    assert pool.collab.shape == (2, 2) and (pool.collab == -1).all() and pool.collab_effort.sum() == 0.0
    for _ in range(20):
        pool.spawn(np.array([6], dtype=np.int32), epoch=1, rng=rng)
    np.testing.assert_array_equal(pool.bounty[:2], bounty)
    assert len(pool) == 22 and pool.task_id.tolist() == list(range(22))
