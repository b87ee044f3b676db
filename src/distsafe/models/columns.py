"""Columnar interaction table shared by the engine, the governance levers and the metrics.

One `InteractionBatch` holds n interactions as parallel numpy arrays (struct of arrays). Agents are
referred to by their integer row in the engine's agent table; `agent_ids` (a sequence indexable by that
row) turns them back into names when a seed-style `SoftInteraction` list is wanted.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Iterable, Sequence

import numpy as np

from distsafe.models.interaction import InteractionType, SoftInteraction

# name -> dtype. Integers are narrow where the range allows (memory at 10^7 interactions per epoch);
# labels and payoff terms are float64 so that replay reproduces them bit for bit.
COLUMNS: dict[str, Any] = {
    "epoch": np.int32,
    "step": np.int32,
    "initiator": np.int32,
    "counterparty": np.int32,
    "itype": np.int8,
    "accepted": np.bool_,
    "v": np.int8,
    "task_progress_delta": np.float64,
    "rework_count": np.int16,
    "verifier_rejections": np.int16,
    "tool_misuse_flags": np.int16,
    "counterparty_engagement_delta": np.float64,
    "v_hat": np.float64,
    "p": np.float64,
    "tau": np.float64,
    "c_a": np.float64,
    "c_b": np.float64,
    "r_a": np.float64,
    "r_b": np.float64,
    "payoff_a": np.float64,
    "payoff_b": np.float64,
}


@dataclass
class InteractionBatch:
    epoch: np.ndarray
    step: np.ndarray
    initiator: np.ndarray
    counterparty: np.ndarray
    itype: np.ndarray
    accepted: np.ndarray
    v: np.ndarray
    task_progress_delta: np.ndarray
    rework_count: np.ndarray
    verifier_rejections: np.ndarray
    tool_misuse_flags: np.ndarray
    counterparty_engagement_delta: np.ndarray
    v_hat: np.ndarray
    p: np.ndarray
    tau: np.ndarray
    c_a: np.ndarray
    c_b: np.ndarray
    r_a: np.ndarray
    r_b: np.ndarray
    payoff_a: np.ndarray
    payoff_b: np.ndarray

    def __len__(self) -> int:
        return int(self.p.shape[0])

    @classmethod
    def empty(cls, n: int = 0) -> "InteractionBatch":
        return cls(**{name: np.zeros(n, dtype=dt) for name, dt in COLUMNS.items()})

    @classmethod
    def from_columns(cls, **cols: Any) -> "InteractionBatch":
        """Build from any subset of columns; the rest are zero (v defaults to 0 = unknown)."""
        unknown = set(cols) - set(COLUMNS)
        if unknown:
            raise ValueError(f"unknown interaction columns: {sorted(unknown)}")
        n = None
        for value in cols.values():
            arr = np.asarray(value)
            if arr.ndim != 1:
                raise ValueError("interaction columns must be one-dimensional")
            if n is None:
                n = arr.shape[0]
            elif arr.shape[0] != n:
                raise ValueError("interaction columns must have equal lengths")
        n = n or 0
        out = {}
        for name, dt in COLUMNS.items():
            out[name] = np.asarray(cols[name], dtype=dt) if name in cols else np.zeros(n, dtype=dt)
        return cls(**out)

    def columns(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def take(self, index: np.ndarray) -> "InteractionBatch":
        return InteractionBatch(**{k: v[index] for k, v in self.columns().items()})

    @classmethod
    def concat(cls, batches: Iterable["InteractionBatch"]) -> "InteractionBatch":
        batches = [b for b in batches if len(b)]
        if not batches:
            return cls.empty(0)
        return cls(**{name: np.concatenate([getattr(b, name) for b in batches]) for name in COLUMNS})

    @property
    def has_ground_truth(self) -> bool:
        return bool(len(self)) and bool(np.all(self.v != 0))

    # ---- conversion to and from the seed's object model -------------------------------------------
    def to_interactions(self, agent_ids: Sequence[str], id_prefix: str = "i") -> list[SoftInteraction]:
        out = []
        cols = {k: v.tolist() for k, v in self.columns().items()}
        for i in range(len(self)):
            v = cols["v"][i]
            out.append(
                SoftInteraction.model_construct(
                    interaction_id=f"{id_prefix}{i}",
                    timestamp=float(cols["epoch"][i]),
                    epoch=cols["epoch"][i],
                    step=cols["step"][i],
                    initiator=agent_ids[cols["initiator"][i]],
                    counterparty=agent_ids[cols["counterparty"][i]],
                    interaction_type=InteractionType.from_code(cols["itype"][i]),
                    accepted=cols["accepted"][i],
                    task_progress_delta=cols["task_progress_delta"][i],
                    rework_count=cols["rework_count"][i],
                    verifier_rejections=cols["verifier_rejections"][i],
                    tool_misuse_flags=cols["tool_misuse_flags"][i],
                    counterparty_engagement_delta=cols["counterparty_engagement_delta"][i],
                    v_hat=cols["v_hat"][i],
                    p=cols["p"][i],
                    tau=cols["tau"][i],
                    c_a=cols["c_a"][i],
                    c_b=cols["c_b"][i],
                    r_a=cols["r_a"][i],
                    r_b=cols["r_b"][i],
                    ground_truth=(v if v != 0 else None),
                    metadata={"payoff_a": cols["payoff_a"][i], "payoff_b": cols["payoff_b"][i]},
                )
            )
        return out

    @classmethod
    def from_interactions(
        cls, interactions: Sequence[SoftInteraction], agent_index: dict[str, int] | None = None
    ) -> tuple["InteractionBatch", list[str]]:
        """Columns from a list of `SoftInteraction`s, plus the agent-id list the indices refer to.

        `payoff_a`/`payoff_b` are taken from metadata when present (as written by `to_interactions`),
        otherwise left at zero: payoff metrics then need a `SoftPayoffEngine` (see `SoftMetrics`).
        """
        index: dict[str, int] = dict(agent_index or {})
        names: list[str] = [None] * len(index)  # type: ignore[list-item]
        for name, i in index.items():
            names[i] = name

        def idx(name: str) -> int:
            if name not in index:
                index[name] = len(names)
                names.append(name)
            return index[name]

        n = len(interactions)
        b = cls.empty(n)
        for i, it in enumerate(interactions):
            b.epoch[i] = it.epoch
            b.step[i] = it.step
            b.initiator[i] = idx(it.initiator)
            b.counterparty[i] = idx(it.counterparty)
            b.itype[i] = InteractionType(it.interaction_type).code
            b.accepted[i] = it.accepted
            b.v[i] = it.ground_truth or 0
            b.task_progress_delta[i] = it.task_progress_delta
            b.rework_count[i] = it.rework_count
            b.verifier_rejections[i] = it.verifier_rejections
            b.tool_misuse_flags[i] = it.tool_misuse_flags
            b.counterparty_engagement_delta[i] = it.counterparty_engagement_delta
            b.v_hat[i] = it.v_hat
            b.p[i] = it.p
            b.tau[i] = it.tau
            b.c_a[i] = it.c_a
            b.c_b[i] = it.c_b
            b.r_a[i] = it.r_a
            b.r_b[i] = it.r_b
            b.payoff_a[i] = it.metadata.get("payoff_a", 0.0) if it.metadata else 0.0
            b.payoff_b[i] = it.metadata.get("payoff_b", 0.0) if it.metadata else 0.0
        return b, names


class InteractionBuffer:
    """An epoch's interactions, appended step by step into growth buffers (one per column).

    Replaces concatenating the step batches at epoch end: each step's rows are copied once, the buffers
    are reused from epoch to epoch (no fresh allocation while the epoch size is stable), and a step batch
    can be dropped as soon as it is appended. `batch()` returns views of the rows appended so far; they
    stay valid until the next `clear()` unless `release()` hands the buffers over to the caller.
    """

    def __init__(self) -> None:
        self._cols: dict[str, np.ndarray] = {}
        self.n = 0

    def __len__(self) -> int:
        return self.n

    @property
    def capacity(self) -> int:
        return int(self._cols["p"].shape[0]) if self._cols else 0

    def _grow(self, need: int) -> None:
        cap = max(need + need // 4, self.capacity + self.capacity // 2, 1024)
        cols = {name: np.empty(cap, dtype=dt) for name, dt in COLUMNS.items()}
        for name, buf in self._cols.items():
            cols[name][:self.n] = buf[:self.n]
        self._cols = cols

    def reserve(self, rows: int) -> None:
        """Make room for `rows` rows in all (with some headroom), so that appending them copies once."""
        if rows > self.capacity:
            self._grow(rows)

    def append(self, batch: InteractionBatch) -> None:
        m = len(batch)
        if m == 0:
            return
        if self.n + m > self.capacity:
            self._grow(self.n + m)
        lo, hi = self.n, self.n + m
        for name, buf in self._cols.items():
            buf[lo:hi] = getattr(batch, name)
        self.n = hi

    def batch(self) -> InteractionBatch:
        if self.n == 0:
            return InteractionBatch.empty(0)
        return InteractionBatch(**{name: buf[:self.n] for name, buf in self._cols.items()})

    def clear(self) -> None:
        """Start over, keeping the buffers."""
        self.n = 0

    def release(self) -> None:
        """Start over with no buffers: views returned by `batch()` keep their memory and are not reused."""
        self._cols = {}
        self.n = 0

    def nbytes(self) -> int:
        return sum(buf.nbytes for buf in self._cols.values())
