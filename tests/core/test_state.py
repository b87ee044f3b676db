"""`EngineState` and `Group`: the explicit state the step functions share."""

import numpy as np

from distsafe.agents.base import BaseAgent
from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.core.state import STREAMS, Group
from distsafe.models.events import EventType


def test_group_rows():
    rng = np.random.default_rng(0)
    assert Group(gid=0, kind="scripted", rng=rng).all_rows().tolist() == []
    one = Group(gid=1, kind="scripted", rng=rng, rows=[np.array([3, 4])])
    assert one.all_rows().tolist() == [3, 4]
    two = Group(gid=2, kind="scripted", rng=rng, rows=[np.array([1]), np.array([5, 6])])
    assert two.all_rows().tolist() == [1, 5, 6]


def test_emit_without_a_log_is_a_no_op(engine):
    assert engine.event_log is None
    engine.emit(EventType.EPOCH_STARTED)  # nothing to write to, nothing raised
    assert not engine.logs_feed_events


def test_emit_names_the_agent_and_stamps_the_time(engine, sink):
    engine.event_log = sink
    engine.env.epoch, engine.env.step = 2, 1
    engine.emit(EventType.AUDIT, 4, {"x": 1})
    engine.emit(EventType.EPOCH_STARTED, -1)
    first, second = sink.events
    assert (first.agent_id, first.epoch, first.step, first.timestamp, first.payload) == (
        "honest_5",
        2,
        1,
        7.0,
        {"x": 1},
    )
    assert second.agent_id is None and second.payload == {}
    assert engine.logs_feed_events
    sink.closed = True
    engine.emit(EventType.AUDIT)
    assert len(sink.events) == 2  # a closed log takes nothing


def test_governance_events_flushed_in_order(engine, sink):
    engine.event_log = sink
    ctx = engine.gov_context()
    ctx.events += [("agent_frozen", 1, {"until": 3}), ("audit", -1, {})]
    engine.flush_governance_events(ctx)
    assert [(e.event_type, e.agent_id) for e in sink.events] == [
        (EventType.AGENT_FROZEN, "honest_2"),
        (EventType.AUDIT, None),
    ]
    assert ctx.events == []


class AsyncAgent(BaseAgent):
    is_async = True


def test_async_agents_and_streams():
    o = Orchestrator(OrchestratorConfig(seed=0))
    o.add_population("honest", 2)
    assert not o.engine_state.has_async_agents and not o.has_async_agents
    o.register_agent(AsyncAgent("llm"))
    assert o.engine_state.has_async_agents and o.has_async_agents
    assert list(o.engine_state.driven) == [2]
    assert tuple(o.engine_state.rngs) == STREAMS
