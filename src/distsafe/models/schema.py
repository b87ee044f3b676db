"""The interaction schema: every column of an interaction, declared once.

`InteractionColumns` below is the one declaration. Each field names a column; its annotation gives the dtype
(`F64` is an `NDArray[np.float64]`), and `column(...)` its default, its doc, where it goes in an event record
(`key`) and on a `SoftInteraction` (`row`), and how its values are encoded (`codec`). Everything else derives
from it: `INTERACTION_SCHEMA` (the specs in order), the `InteractionBatch` columns (a subclass), the
interaction buffer, the row codec (`SoftInteraction` lists), the event-record codec
(`distsafe.eventlog.interactions`) and the test generators. Adding a column is one field here; a column
without a `row` field travels in `SoftInteraction.metadata`.

Integers are narrow where the range allows (memory at 10^7 interactions per epoch); labels and payoff terms
are float64 so that replay reproduces them bit for bit.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field

__all__ = [
    "INTERACTION_SCHEMA",
    "ColumnSpec",
    "Codec",
    "InteractionColumns",
    "InteractionType",
    "RejectReason",
    "column",
    "row_field",
    "spec_of",
]

F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]
I16 = npt.NDArray[np.int16]
I8 = npt.NDArray[np.int8]
Bool = npt.NDArray[np.bool_]

#: How a column's integers or flags read outside the columns: `value` as they are, `agent` an index into the
#: agent list (a name outside), `interaction_type` an `InteractionType` code, `outcome` v in {-1, +1}, with
#: 0 for unknown (None outside).
Codec = Literal["value", "agent", "interaction_type", "outcome"]


class InteractionType(str, Enum):
    """Kinds of interaction. The integer code (`code`) is what the `itype` column stores."""

    REPLY = "reply"
    VOTE = "vote"
    TRADE = "trade"
    COLLABORATION = "collaboration"

    @property
    def code(self) -> int:
        return _TYPE_CODES[self]

    @classmethod
    def from_code(cls, code: int) -> InteractionType:
        return _TYPES_BY_CODE[int(code)]


_TYPES_BY_CODE = list(InteractionType)
_TYPE_CODES = {t: i for i, t in enumerate(_TYPES_BY_CODE)}


class RejectReason(IntEnum):
    """Why an interaction was not accepted: the code the `reject_reason` column stores (0 if accepted)."""

    NONE = 0  # accepted
    CHOICE = 1  # the counterparty decided to refuse
    FROZEN = 2  # the counterparty was frozen (governance), so it could not accept
    NOT_NEIGHBOUR = 3  # a network is in force and the counterparty is not the initiator's neighbour


_EVENT_FIELD = "<event>"  # marker: the column is a field of the event itself, not of its data


def column(
    default: bool | int | float,
    doc: str,
    *,
    row: str | None,
    key: str | None = "",
    codec: Codec = "value",
) -> Any:
    """Declare a column of `InteractionColumns` (see the module doc). `key` defaults to the column's name;
    `key=None` marks a field of the event itself (epoch, step)."""
    meta = {
        "default": default,
        "doc": doc,
        "row": row,
        "key": _EVENT_FIELD if key is None else key,
        "codec": codec,
    }
    return dataclasses.field(metadata=meta)


@dataclass
class InteractionColumns:
    """n interactions as parallel numpy arrays (struct of arrays): the schema. Agents are rows of the
    engine's agent table."""

    epoch: I32 = column(0, "epoch of the interaction", key=None, row="epoch")
    step: I32 = column(0, "step within the epoch", key=None, row="step")
    initiator: I32 = column(0, "agent that proposed the interaction", row="initiator", codec="agent")
    counterparty: I32 = column(0, "agent that was asked", row="counterparty", codec="agent")
    itype: I8 = column(
        0,
        "kind of interaction (InteractionType code)",
        key="type",
        row="interaction_type",
        codec="interaction_type",
    )
    accepted: Bool = column(False, "the counterparty accepted", row="accepted")
    v: I8 = column(0, "hidden true outcome v in {-1, +1}; 0 if unknown", row="ground_truth", codec="outcome")
    task_progress_delta: F64 = column(0.0, "observable: progress on the task", row="task_progress_delta")
    rework_count: I16 = column(0, "observable: times the work was redone", row="rework_count")
    verifier_rejections: I16 = column(0, "observable: rejections by a verifier", row="verifier_rejections")
    tool_misuse_flags: I16 = column(0, "observable: tool misuse flags raised", row="tool_misuse_flags")
    counterparty_engagement_delta: F64 = column(
        0.0, "observable: change in the counterparty's engagement", row="counterparty_engagement_delta"
    )
    v_hat: F64 = column(0.0, "proxy score in [-1, 1]", row="v_hat")
    p: F64 = column(0.5, "soft label P(v = +1)", row="p")
    tau: F64 = column(0.0, "transfer from initiator to counterparty", row="tau")
    c_a: F64 = column(0.0, "costs to the initiator: its effort and signal gaming, governance", row="c_a")
    c_b: F64 = column(0.0, "governance cost to the counterparty", row="c_b")
    r_a: F64 = column(0.0, "reputation change of the initiator", row="r_a")
    r_b: F64 = column(0.0, "reputation change of the counterparty", row="r_b")
    payoff_a: F64 = column(0.0, "payoff of the initiator", row=None)
    payoff_b: F64 = column(0.0, "payoff of the counterparty", row=None)
    reject_reason: I8 = column(
        0,
        "why it was not accepted (RejectReason): 0 accepted, 1 refused by choice, 2 counterparty frozen",
        row=None,
    )


@dataclass(frozen=True, kw_only=True)
class ColumnSpec:
    """One interaction column: what `column(...)` declared, with the dtype from the annotation."""

    name: str
    dtype: np.dtype[Any]
    default: bool | int | float
    doc: str
    key: str | None  # key in an interaction event's data; None: a field of the event itself
    row: str | None  # field of `SoftInteraction`; None: an entry of its metadata
    codec: Codec

    @property
    def row_default(self) -> Any:
        """The default as a `SoftInteraction` holds it."""
        if self.codec == "agent":
            return ""
        if self.codec == "interaction_type":
            return InteractionType.from_code(int(self.default))
        if self.codec == "outcome":
            return None if self.default == 0 else self.default
        return self.default


def _dtype_of(annotation: Any, name: str) -> np.dtype[Any]:
    """The scalar type of an `NDArray[scalar]` annotation."""
    args = typing.get_args(annotation)  # NDArray[X] is ndarray[Any, dtype[X]]
    scalar = typing.get_args(args[1])[0] if len(args) == 2 else None
    if not (isinstance(scalar, type) and issubclass(scalar, np.generic)):
        raise TypeError(f"interaction column {name!r} must be annotated NDArray[<numpy scalar>]")
    return np.dtype(scalar)


def _build_schema() -> tuple[ColumnSpec, ...]:
    hints = typing.get_type_hints(InteractionColumns)
    specs = []
    for f in dataclasses.fields(InteractionColumns):
        m = f.metadata
        dtype = _dtype_of(hints[f.name], f.name)
        specs.append(
            ColumnSpec(
                name=f.name,
                dtype=dtype,
                default=dtype.type(m["default"]).item(),
                doc=m["doc"],
                row=m["row"],
                key=None if m["key"] == _EVENT_FIELD else (m["key"] or f.name),
                codec=m["codec"],
            )
        )
    return tuple(specs)


#: Every interaction column, in declaration order.
INTERACTION_SCHEMA: tuple[ColumnSpec, ...] = _build_schema()
_BY_NAME = {s.name: s for s in INTERACTION_SCHEMA}


def spec_of(name: str) -> ColumnSpec:
    """The spec of the column `name`."""
    return _BY_NAME[name]


def row_field(name: str, **constraints: Any) -> Any:
    """A `SoftInteraction` field holding the column `name`: its default and description come from the
    schema; `constraints` are pydantic's (`ge=0`, ...)."""
    spec = _BY_NAME[name]
    return Field(default=spec.row_default, description=spec.doc, **constraints)
