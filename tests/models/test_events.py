"""Event records and the block reasons of `action_blocked` events."""

from distsafe.models.events import BlockReason, Event, EventType


def test_block_reason_values_and_codes_as_logged():
    assert [(r.code, r.value) for r in BlockReason] == [
        (1, "rate_limit_posts"),
        (2, "rate_limit_votes"),
        (3, "rate_limit_interactions"),
        (4, "budget"),
        (5, "content_length"),
        (6, "invalid_target"),
        (7, "governance"),
        (8, "tool_not_allowed"),
        (9, "post_cooldown"),
        (10, "rate_limit_step"),
        (11, "token_bucket"),
        (12, "rate_limit_tasks"),
    ]
    assert all(BlockReason.from_code(r.code) is r for r in BlockReason)


def test_event_record_round_trip():
    e = Event(
        event_type=EventType.ACTION_BLOCKED,
        timestamp=3.0,
        epoch=1,
        step=2,
        agent_id=None,
        payload={"reason": BlockReason.BUDGET.value, "count": 2},
    )
    rec = e.to_record()
    assert rec == {
        "seq": 0,
        "type": "action_blocked",
        "t": 3.0,
        "epoch": 1,
        "step": 2,
        "data": {"reason": "budget", "count": 2},
    }
    assert Event.from_record(rec) == e
