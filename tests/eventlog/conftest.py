"""Builders shared by the event-log tests, as fixtures: random interaction batches, standard runs written
to a log of either format, and the format parameter for the suite both storages must pass."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from distsafe.eventlog import open_event_log
from distsafe.models.agent_table import AgentIds
from distsafe.models.columns import COLUMNS, InteractionBatch
from distsafe.models.events import Event, EventType

FORMATS = ("jsonl", "parquet")
NAMES = ["alice", "bob", "carol", "dave", "eve"]


def _random_batch(
    n: int, epoch: int, seed: int = 0, n_agents: int = 5, step: int | None = None, uniform_p: bool = False
) -> InteractionBatch:
    """n rows of epoch `epoch`: floats ~ N(0, 1), agents in [0, n_agents), counts in [0, 6).

    `step=None` draws the step column like the other counts; `uniform_p` redraws p in [0, 1) at the end."""
    rng = np.random.default_rng(seed)
    cols = {}
    for c, dt in COLUMNS.items():
        kind = np.dtype(dt).kind
        if kind == "f":
            cols[c] = rng.normal(size=n)
        elif c in ("initiator", "counterparty"):
            cols[c] = rng.integers(0, n_agents, n)
        elif c == "itype":
            cols[c] = rng.integers(0, 4, n)
        elif c == "accepted":
            cols[c] = rng.random(n) < 0.5
        elif c == "v":
            cols[c] = rng.choice([-1, 1], n)
        elif c == "epoch":
            cols[c] = np.full(n, epoch)
        elif c == "step" and step is not None:
            cols[c] = np.full(n, step)
        else:
            cols[c] = rng.integers(0, 6, n)
    if uniform_p:
        cols["p"] = rng.random(n)
    return InteractionBatch.from_columns(**cols)


@pytest.fixture
def random_batch() -> Callable[..., InteractionBatch]:
    """`random_batch(n, epoch, seed=0, n_agents=5, step=None, uniform_p=False)`: a deterministic batch."""
    return _random_batch


@pytest.fixture
def names() -> list[str]:
    """The five agent names of the standard runs."""
    return list(NAMES)


@pytest.fixture(params=FORMATS)
def fmt(request: pytest.FixtureRequest) -> str:
    """Each storage in turn, for the tests every format must pass."""
    return str(request.param)


@pytest.fixture
def log_path(tmp_path: Path, fmt: str) -> Path:
    """A fresh log path of the current format (`run.jsonl` or the directory `run.parquet.d`)."""
    return tmp_path / ("run.jsonl" if fmt == "jsonl" else "run.parquet.d")


def _chain_file(path: Path) -> Path:
    return path / "chain.jsonl" if path.is_dir() else path


@pytest.fixture
def chain_file() -> Callable[[Path], Path]:
    """The hash-chained line file of a log: the JSONL file itself, or a Parquet directory's chain.jsonl."""
    return _chain_file


def _write_run(
    path: Path, fmt: str | None = None, n_epochs: int = 3, rows: int = 20, finish: bool = True, **opts: Any
) -> list[InteractionBatch]:
    """The standard run: per epoch epoch_started, `rows` interactions, a vote, epoch_completed."""
    batches = []
    header = {"scenario": "baseline", "seed": 7, "agent_ids": NAMES}
    with open_event_log(path, "w", fmt=fmt, header=header, **opts) as log:
        log.append(Event(event_type=EventType.SIMULATION_STARTED, payload={"n_agents": len(NAMES)}))
        for e in range(n_epochs):
            log.append(Event(event_type=EventType.EPOCH_STARTED, epoch=e, timestamp=e * 10))
            b = _random_batch(rows, e, seed=e, uniform_p=True)
            batches.append(b)
            log.append_interactions(b, NAMES, timestamp=float(e * 10 + 1))
            vote = Event(
                event_type=EventType.VOTE_CAST, epoch=e, agent_id="bob", payload={"post": 3, "up": True}
            )
            log.append(vote)
            log.append(Event(event_type=EventType.EPOCH_COMPLETED, epoch=e, timestamp=e * 10 + 9))
        if finish:
            log.append(Event(event_type=EventType.SIMULATION_ENDED, timestamp=99))
    return batches


@pytest.fixture
def write_run() -> Callable[..., list[InteractionBatch]]:
    """`write_run(path, fmt=None, n_epochs=3, rows=20, finish=True, **opts)` -> the batches written."""
    return _write_run


def _write_interleaved_run(
    path: Path, fmt: str | None = None, n_epochs: int = 3, finish: bool = True, **opts: Any
) -> list[InteractionBatch]:
    """Per epoch: two interaction calls with a vote in between (interleaved seqs inside one batch)."""
    batches = []
    with open_event_log(path, "w", fmt=fmt, header={"scenario": "big", "seed": 3}, **opts) as log:
        log.append(Event(event_type=EventType.SIMULATION_STARTED))
        for e in range(n_epochs):
            log.append(Event(event_type=EventType.EPOCH_STARTED, epoch=e))
            b1, b2 = _random_batch(30, e, seed=2 * e), _random_batch(12, e, seed=2 * e + 1)
            log.append_interactions(b1, NAMES, timestamp=float(e))
            log.append(Event(event_type=EventType.VOTE_CAST, epoch=e, agent_id="eve", payload={"w": 0.25}))
            log.append_interactions(b2, NAMES, timestamp=float(e) + 0.5)
            log.append(Event(event_type=EventType.EPOCH_COMPLETED, epoch=e))
            batches.append(InteractionBatch.concat([b1, b2]))
        if finish:
            log.append(Event(event_type=EventType.SIMULATION_ENDED))
    return batches


@pytest.fixture
def write_interleaved_run() -> Callable[..., list[InteractionBatch]]:
    """`write_interleaved_run(path, fmt=None, n_epochs=3, finish=True, **opts)` -> the batches per epoch."""
    return _write_interleaved_run


def _population(n: int) -> AgentIds:
    ids = AgentIds()
    ids.add_named("boss")
    ids.add_population("worker", n - 1)
    return ids


@pytest.fixture
def population() -> Callable[[int], AgentIds]:
    """`population(n)`: AgentIds "boss", "worker_1", ... (n names)."""
    return _population


def _write_steps(
    path: Path,
    ids_for_step: Callable[[int, int], Sequence[str]],
    n_agents_for_step: Callable[[int, int], int],
    *,
    epochs: int = 3,
    steps: int = 4,
    rows: int = 40,
    tweak: Callable[[int, int, InteractionBatch], InteractionBatch] | None = None,
    vote_w: Callable[[int, int], float] | None = None,
    **opts: Any,
) -> None:
    """A run of `epochs` x `steps` append_interactions calls with votes between them.

    `ids_for_step(e, s)` gives the agent_ids passed at that step; `tweak(e, s, batch)` may change a batch;
    `vote_w(e, s)` the vote's weight (default 0.1 * s)."""
    with open_event_log(path, "w", header={"scenario": "perf", "seed": 11}, **opts) as log:
        log.append(Event(event_type=EventType.SIMULATION_STARTED))
        for e in range(epochs):
            log.append(Event(event_type=EventType.EPOCH_STARTED, epoch=e))
            for s in range(steps):
                b = _random_batch(rows, e, 100 * e + s, n_agents=n_agents_for_step(e, s), step=s)
                if tweak is not None:
                    b = tweak(e, s, b)
                log.append_interactions(b, ids_for_step(e, s), timestamp=float(e * steps + s))
                w = 0.1 * s if vote_w is None else vote_w(e, s)
                payload = {"w": w, "k": [e, s]}
                log.append(
                    Event(event_type=EventType.VOTE_CAST, epoch=e, step=s, agent_id="boss", payload=payload)
                )
            log.append(Event(event_type=EventType.EPOCH_COMPLETED, epoch=e))
        log.append(Event(event_type=EventType.SIMULATION_ENDED))


@pytest.fixture
def write_steps() -> Callable[..., None]:
    """`write_steps(path, ids_for_step, n_agents_for_step, *, epochs=3, steps=4, rows=40, tweak=None,
    vote_w=None, **opts)`: a multi-step run with votes between the steps."""
    return _write_steps


def _dir_bytes(path: Path) -> dict[str, bytes]:
    """Every file of a log: a Parquet directory's batch files by their column data and raw bytes, the
    chain byte for byte; a JSONL file as itself."""
    import pyarrow.parquet as pq

    if not os.path.isdir(path):
        return {os.path.basename(path): Path(path).read_bytes()}
    out = {}
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        if name.endswith(".parquet"):
            table = pq.read_table(full)
            out[name] = b"".join(np.asarray(table.column(c).to_numpy()).tobytes() for c in table.column_names)
        out[name + (":raw" if name.endswith(".parquet") else "")] = Path(full).read_bytes()
    return out


@pytest.fixture
def dir_bytes() -> Callable[[Path], dict[str, bytes]]:
    """`dir_bytes(path)`: name -> bytes of every file of a log (see `_dir_bytes`)."""
    return _dir_bytes
