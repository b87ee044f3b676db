"""`SoftInteraction`: one interaction between two agents, carrying the soft label p = P(v = +1)."""

from __future__ import annotations

import uuid
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class InteractionType(str, Enum):
    """Kinds of interaction. The integer code (`code`) is what the columnar tables store."""

    REPLY = "reply"
    VOTE = "vote"
    TRADE = "trade"
    COLLABORATION = "collaboration"

    @property
    def code(self) -> int:
        return _TYPE_CODES[self]

    @classmethod
    def from_code(cls, code: int) -> "InteractionType":
        return _TYPES_BY_CODE[int(code)]


_TYPES_BY_CODE = list(InteractionType)
_TYPE_CODES = {t: i for i, t in enumerate(_TYPES_BY_CODE)}


class SoftInteraction(BaseModel):
    """An interaction with soft labels and the payoff components of the A3b equations.

    `timestamp` is simulation time (the engine's global step counter), never wall-clock time, so that
    the same scenario and seed give the same record. `ground_truth` is the hidden outcome v in {-1, +1};
    the proxy never sees it, calibration metrics compare p against it.
    """

    model_config = ConfigDict(validate_assignment=False)

    interaction_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    timestamp: float = 0.0
    epoch: int = 0
    step: int = 0

    initiator: str = ""
    counterparty: str = ""
    interaction_type: InteractionType = InteractionType.REPLY
    accepted: bool = False

    # Observable signals (proxy inputs).
    task_progress_delta: float = 0.0
    rework_count: int = Field(default=0, ge=0)
    verifier_rejections: int = Field(default=0, ge=0)
    tool_misuse_flags: int = Field(default=0, ge=0)
    counterparty_engagement_delta: float = 0.0

    # Labels.
    v_hat: float = 0.0
    p: float = 0.5

    # Payoff components: transfer initiator -> counterparty, governance costs, reputation terms.
    tau: float = 0.0
    c_a: float = 0.0
    c_b: float = 0.0
    r_a: float = 0.0
    r_b: float = 0.0

    ground_truth: int | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("p")
    @classmethod
    def _p_is_probability(cls, v: float) -> float:
        if not (0.0 <= v <= 1.0):
            raise ValueError(f"p must be in [0, 1], got {v}")
        return v

    @field_validator("v_hat")
    @classmethod
    def _v_hat_bounded(cls, v: float) -> float:
        if not (-1.0 <= v <= 1.0):
            raise ValueError(f"v_hat must be in [-1, 1], got {v}")
        return v

    @field_validator("ground_truth")
    @classmethod
    def _truth_is_sign(cls, v: int | None) -> int | None:
        if v is not None and v not in (-1, 1):
            raise ValueError(f"ground_truth must be -1 or +1, got {v}")
        return v

    def is_high_quality(self, threshold: float = 0.5) -> bool:
        return self.p >= threshold

    def is_uncertain(self, band: float = 0.2) -> bool:
        return 0.5 - band < self.p < 0.5 + band

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SoftInteraction":
        return cls.model_validate(data)
