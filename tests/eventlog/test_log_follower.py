"""LogFollower: the events of a JSONL log as it grows, a half-written line left for later, tampering
refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from distsafe.eventlog import EventLogError, open_event_log, read_log
from distsafe.eventlog.tail import LogFollower
from distsafe.models.events import Event, EventType


def _write(path: Path, n: int) -> bytes:
    with open_event_log(path, "w", header={"scenario": "t", "seed": 1}) as log:
        log.append(Event(seq=0, event_type=EventType.SIMULATION_STARTED))
        for i in range(1, n - 1):
            log.append(
                Event(
                    seq=i,
                    event_type=EventType.POST_CREATED,
                    step=i,
                    agent_id="a",
                    payload={"post": f"post_{i}"},
                )
            )
        log.append(Event(seq=n - 1, event_type=EventType.SIMULATION_ENDED))
    return path.read_bytes()


@pytest.mark.parametrize("cuts", [[0.5], [0.1, 0.37, 0.81], [0.999]])
def test_follower_reads_a_growing_log_like_the_reader(tmp_path: Path, cuts: list[float]) -> None:
    full = _write(tmp_path / "full.jsonl", 40)
    grow = tmp_path / "grow.jsonl"
    header_end = full.index(b"\n") + 1
    grow.write_bytes(full[:header_end])
    follower = LogFollower(grow)
    seen: list[Event] = []
    for c in cuts:  # cuts fall anywhere, mid-line included
        grow.write_bytes(full[: max(header_end, int(len(full) * c))])
        seen += list(follower.poll())
        assert not follower.finished
    grow.write_bytes(full)
    seen += list(follower.poll())
    assert follower.finished and follower.n_events == 40
    assert seen == read_log(tmp_path / "full.jsonl").events


def test_follower_refuses_a_modified_line(tmp_path: Path) -> None:
    full = _write(tmp_path / "log.jsonl", 10)
    (tmp_path / "log.jsonl").write_bytes(full.replace(b"post_5", b"post_6", 1))
    follower = LogFollower(tmp_path / "log.jsonl")
    with pytest.raises(EventLogError, match="hash mismatch"):
        list(follower.poll())


def test_follower_needs_the_header(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"")
    with pytest.raises(EventLogError, match="no complete header"):
        LogFollower(tmp_path / "empty.jsonl")
