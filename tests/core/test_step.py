"""The step functions, called on an `EngineState` alone (no orchestrator in between)."""

import ast
import asyncio
from pathlib import Path

import numpy as np
import pytest

import distsafe.core
from distsafe.agents.base import Action, ActionType, BaseAgent
from distsafe.agents.policies import NOOP, ActionArrays
from distsafe.core.step import begin_step, decide_objects, epoch_tasks, run_step
from distsafe.core.turns import schedule, write_object_action
from distsafe.env.state import RateLimits
from distsafe.models.events import BlockReason

STEP_MODULES = ("state", "step", "turns", "actions", "resolve")


@pytest.mark.parametrize("name", STEP_MODULES)
def test_step_modules_never_import_the_orchestrator(name):
    src = Path(distsafe.core.__file__).with_name(f"{name}.py").read_text()
    imported = {
        n.module if isinstance(n, ast.ImportFrom) else a.name
        for n in ast.walk(ast.parse(src))
        if isinstance(n, (ast.Import, ast.ImportFrom))
        for a in n.names
    }
    assert "distsafe.core.orchestrator" not in imported


def test_round_robin_turns_rotate_with_time(engine):
    assert schedule(engine).tolist() == [0, 1, 2, 3, 4, 5]
    engine.env.step = 2
    assert schedule(engine).tolist() == [2, 3, 4, 5, 0, 1]
    begin_step(engine)
    assert engine.active.tolist() == [2, 3, 4, 5, 0, 1]


def test_frozen_agents_do_not_act(engine):
    engine.agents.frozen_until[[1, 4]] = 2
    begin_step(engine)
    assert engine.active.tolist() == [0, 2, 3, 5]


def test_epoch_tasks_post_new_tasks(engine, sink):
    engine.event_log = sink
    epoch_tasks(engine, 0)
    n = int(round(engine.env.tasks.config.tasks_per_agent_per_epoch * 6))
    assert engine.env.tasks.open_rows().size == n
    assert [e.payload["task"][:5] for e in sink.of_type("task_created")] == ["task_"] * n


def test_a_step_resolves_interactions_and_updates_agents(engine, sink):
    engine.event_log = sink
    begin_step(engine)
    batch = run_step(engine, {})
    assert len(batch) > 0
    assert set(batch.epoch.tolist()) == {0} and set(batch.step.tolist()) == {0}
    assert sink.batches == [batch]
    acc = batch.accepted
    gain = np.bincount(batch.initiator[acc], weights=batch.payoff_a[acc], minlength=6) + np.bincount(
        batch.counterparty[acc], weights=batch.payoff_b[acc], minlength=6
    )
    np.testing.assert_allclose(engine.agents.total_payoff, gain)
    assert int(engine.agents.n_initiated.sum()) == int(acc.sum())


class Fixed(BaseAgent):
    """Returns the one action it was built with."""

    def __init__(self, agent_id, action):
        super().__init__(agent_id)
        self.action = action

    def act(self, observation):
        return self.action


def test_sync_decisions_complete_without_suspending(make_engine):
    o, eng = make_engine(3)
    o.register_agent(Fixed("me", Action(action_type=ActionType.POST, agent_id="me")))
    begin_step(eng)
    coro = decide_objects(eng, asyncio.Semaphore(1))
    with pytest.raises(StopIteration) as done:
        coro.send(None)
    assert list(done.value.value) == [3]
    assert done.value.value[3].action_type == ActionType.POST


@pytest.mark.parametrize(
    ("action", "ok", "target"),
    [
        (Action(action_type=ActionType.REPLY, target_id="post_12"), True, 12),
        (Action(action_type=ActionType.VOTE, target_id="nonsense", vote=1), False, -1),
        (Action(action_type=ActionType.CLAIM_TASK, target_id="task_5"), True, 5),
        (Action(action_type=ActionType.CLAIM_TASK, target_id="post_5"), False, -1),
        (Action(action_type=ActionType.PROPOSE_INTERACTION, target_id="honest_2"), True, 1),
        (Action(action_type=ActionType.PROPOSE_INTERACTION, target_id="honest_1"), False, -1),  # itself
        (Action(action_type=ActionType.PROPOSE_INTERACTION, target_id="nobody"), False, -1),
    ],
)
def test_object_actions_become_array_rows(engine, action, ok, target):
    begin_step(engine)  # row 0 acts first
    arr = ActionArrays.noop(engine.active.shape[0])
    assert write_object_action(engine, action, arr, 0, {}) is ok
    assert int(arr.action[0]) == ActionType(action.action_type).code
    assert int(arr.target[0]) == target


def test_invalid_targets_and_limits_are_blocked_with_their_reason(make_engine, sink):
    o, eng = make_engine(3, rate_limits=RateLimits(max_posts_per_epoch=0))
    o.register_agent(Fixed("bad", Action(action_type=ActionType.REPLY, agent_id="bad", target_id="post_x")))
    o.register_agent(Fixed("poster", Action(action_type=ActionType.POST, agent_id="poster")))
    eng.event_log = sink
    begin_step(eng)
    decisions = asyncio.run(decide_objects(eng, asyncio.Semaphore(1)))
    run_step(eng, decisions)
    reasons = {e.payload["reason"]: e.payload["agents"] for e in sink.of_type("action_blocked")}
    assert reasons[BlockReason.INVALID_TARGET.value] == ["bad"]
    assert "poster" in reasons[BlockReason.RATE_LIMIT_POSTS.value]
    order = [BlockReason(r).code for r in reasons]
    assert order == sorted(order)  # one event per reason, in code order
    assert eng.counts.n_blocked == sum(len(a) for a in reasons.values())
    assert int(eng.agents.posts.sum()) == 0
    assert NOOP == 0
