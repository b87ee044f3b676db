"""Columnar interaction table shared by the engine, the governance levers and the metrics.

One `InteractionBatch` holds n interactions as parallel numpy arrays (struct of arrays); its columns are the
interaction schema (`distsafe.models.schema`). Agents are referred to by their integer row in the engine's
agent table; `agent_ids` (a sequence indexable by that row) turns them back into names when a seed-style
`SoftInteraction` list is wanted. The row codec here (`interactions_from_batch`,
`InteractionBatch.from_interactions`) is derived from the schema too.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from distsafe.models.column_store import Column, ColumnStore
from distsafe.models.interaction import InteractionType, SoftInteraction
from distsafe.models.schema import INTERACTION_SCHEMA, ColumnSpec, InteractionColumns

__all__ = ["COLUMNS", "METADATA_COLUMNS", "InteractionBatch", "InteractionBuffer", "interactions_from_batch"]

#: name -> numpy scalar type of every interaction column, in schema order.
COLUMNS: dict[str, Any] = {s.name: s.dtype.type for s in INTERACTION_SCHEMA}
#: Columns with no `SoftInteraction` field: they travel in its `metadata`.
METADATA_COLUMNS: tuple[str, ...] = tuple(s.name for s in INTERACTION_SCHEMA if s.row is None)
_ROW_SPECS: tuple[ColumnSpec, ...] = tuple(s for s in INTERACTION_SCHEMA if s.row is not None)
_TYPES_BY_CODE = list(InteractionType)


class InteractionBatch(InteractionColumns):
    """n interactions as columns (see `InteractionColumns` for what each holds)."""

    def __len__(self) -> int:
        return int(self.p.shape[0])

    @classmethod
    def empty(cls, n: int = 0) -> Self:
        """n zero rows (v = 0: unknown outcome)."""
        return cls(**{name: np.zeros(n, dtype=dt) for name, dt in COLUMNS.items()})

    @classmethod
    def from_columns(cls, **cols: Any) -> Self:
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

    def columns(self) -> dict[str, npt.NDArray[Any]]:
        return {name: getattr(self, name) for name in COLUMNS}

    def take(self, index: npt.NDArray[Any]) -> Self:
        return type(self)(**{k: v[index] for k, v in self.columns().items()})

    @classmethod
    def concat(cls, batches: Iterable[InteractionBatch]) -> Self:
        parts = [b for b in batches if len(b)]
        if not parts:
            return cls.empty(0)
        return cls(**{name: np.concatenate([getattr(b, name) for b in parts]) for name in COLUMNS})

    @property
    def has_ground_truth(self) -> bool:
        return bool(len(self)) and bool(np.all(self.v != 0))

    # ---- conversion to and from the seed's object model -------------------------------------------
    def to_interactions(self, agent_ids: Sequence[str], id_prefix: str = "i") -> list[SoftInteraction]:
        """One `SoftInteraction` per row: ids `<id_prefix><row>`, timestamp the epoch, payoffs in metadata."""
        n = len(self)
        return interactions_from_batch(
            self,
            agent_ids,
            ids=[f"{id_prefix}{i}" for i in range(n)],
            timestamps=[float(e) for e in self.epoch.tolist()],
        )

    @classmethod
    def from_interactions(
        cls, interactions: Sequence[SoftInteraction], agent_index: dict[str, int] | None = None
    ) -> tuple[Self, list[str]]:
        """Columns from a list of `SoftInteraction`s, plus the agent-id list the indices refer to.

        `payoff_a`/`payoff_b` are taken from metadata when present (as written by `to_interactions`),
        otherwise left at zero: payoff metrics then need a `SoftPayoffEngine` (see `SoftMetrics`).
        """
        index: dict[str, int] = dict(agent_index or {})
        names: list[str] = [""] * len(index)
        for name, i in index.items():
            names[i] = name

        def idx(name: str) -> int:
            if name not in index:
                index[name] = len(names)
                names.append(name)
            return index[name]

        values: dict[str, list[Any]] = {}
        # Agents are numbered in row order, initiator before counterparty (as the agent list was built).
        agent_specs = [s for s in INTERACTION_SCHEMA if s.codec == "agent" and s.row is not None]
        agent_lists: list[list[int]] = [[] for _ in agent_specs]
        for it in interactions:
            for lst, s in zip(agent_lists, agent_specs):
                lst.append(idx(getattr(it, str(s.row))))
        values.update({s.name: lst for s, lst in zip(agent_specs, agent_lists)})
        for s in INTERACTION_SCHEMA:
            if s.name in values:
                continue
            if s.row is None:
                values[s.name] = [
                    it.metadata.get(s.name, s.default) if it.metadata else s.default for it in interactions
                ]
                continue
            raw = [getattr(it, s.row) for it in interactions]
            if s.codec == "interaction_type":
                values[s.name] = [InteractionType(x).code for x in raw]
            elif s.codec == "outcome":
                values[s.name] = [x or 0 for x in raw]
            else:
                values[s.name] = raw
        cols = {
            s.name: np.asarray(values[s.name], dtype=s.dtype) if interactions else np.zeros(0, s.dtype)
            for s in INTERACTION_SCHEMA
        }
        return cls(**cols), names


def _row_values(spec: ColumnSpec, col: npt.NDArray[Any], agent_ids: Sequence[str]) -> list[Any]:
    """A column's values as `SoftInteraction` holds them."""
    values: list[Any] = col.tolist()
    if spec.codec == "agent":
        return [agent_ids[i] for i in values]
    if spec.codec == "interaction_type":
        return [_TYPES_BY_CODE[c] for c in values]
    if spec.codec == "outcome":
        return [v if v != 0 else None for v in values]
    return values


def interactions_from_batch(
    batch: InteractionColumns,
    agent_ids: Sequence[str],
    *,
    ids: Sequence[str],
    timestamps: Sequence[float],
    metadata: bool = True,
    validate: bool = False,
    columns: Collection[str] | None = None,
) -> list[SoftInteraction]:
    """One `SoftInteraction` per row of `batch`, named `ids[i]` at `timestamps[i]`.

    Columns without a row field go into `metadata` (unless `metadata=False`: the rows then keep the
    default, empty metadata). `validate=True` builds each row through pydantic's validation. `columns`
    limits the row fields set to those of the named columns (the others keep their defaults and are not
    in `model_fields_set`).
    """
    specs = _ROW_SPECS if columns is None else tuple(s for s in _ROW_SPECS if s.name in columns)
    fields = ["interaction_id", "timestamp", *(str(s.row) for s in specs)]
    lists: list[Sequence[Any]] = [ids, timestamps]
    lists += [_row_values(s, getattr(batch, s.name), agent_ids) for s in specs]
    build = SoftInteraction if validate else SoftInteraction.model_construct
    if not metadata or not METADATA_COLUMNS:
        return [build(**dict(zip(fields, vals))) for vals in zip(*lists)]
    meta_lists = [getattr(batch, name).tolist() for name in METADATA_COLUMNS]
    out = []
    for vals, meta in zip(zip(*lists), zip(*meta_lists)):
        kwargs = dict(zip(fields, vals))
        kwargs["metadata"] = dict(zip(METADATA_COLUMNS, meta))
        out.append(build(**kwargs))
    return out


class _InteractionRows(
    ColumnStore, columns=[Column(s.dtype.type, s.default, s.doc, name=s.name) for s in INTERACTION_SCHEMA]
):
    """The interaction schema as a growing column store."""


class InteractionBuffer:
    """An epoch's interactions, appended step by step into growth buffers (one per column).

    Replaces concatenating the step batches at epoch end: each step's rows are copied once, the buffers
    are reused from epoch to epoch (no fresh allocation while the epoch size is stable), and a step batch
    can be dropped as soon as it is appended. `batch()` returns views of the rows appended so far; they
    stay valid until the next `clear()` unless `release()` hands the buffers over to the caller.
    """

    def __init__(self) -> None:
        self._rows = _InteractionRows()

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def n(self) -> int:
        return len(self._rows)

    @property
    def capacity(self) -> int:
        return self._rows.capacity

    def reserve(self, rows: int) -> None:
        """Make room for `rows` rows in all, so that appending them copies once."""
        self._rows.reserve(rows - len(self._rows))

    def append(self, batch: InteractionBatch) -> None:
        m = len(batch)
        if m:
            self._rows.append(m, **batch.columns())

    def batch(self) -> InteractionBatch:
        return InteractionBatch(**self._rows.columns())

    def clear(self) -> None:
        """Start over, keeping the buffers."""
        self._rows.clear()

    def release(self) -> None:
        """Start over with no buffers: views returned by `batch()` keep their memory and are not reused."""
        self._rows.release()

    def nbytes(self) -> int:
        """Bytes allocated for the buffers."""
        return self._rows.capacity_nbytes()
