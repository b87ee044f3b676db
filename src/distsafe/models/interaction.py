"""`SoftInteraction`: one interaction between two agents, carrying the soft label p = P(v = +1)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from distsafe.models.schema import InteractionType, row_field

__all__ = ["InteractionType", "SoftInteraction"]


class SoftInteraction(BaseModel):
    """An interaction with soft labels and the payoff components of the A3b equations.

    `timestamp` is simulation time (the engine's global step counter), never wall-clock time, so that
    the same scenario and seed give the same record. `ground_truth` is the hidden outcome v in {-1, +1};
    the proxy never sees it, calibration metrics compare p against it.
    """

    model_config = ConfigDict(validate_assignment=False)

    interaction_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    timestamp: float = 0.0
    # Fields holding an interaction column: defaults and descriptions come from the schema
    # (`distsafe.models.schema`); columns with no field here (the payoffs) travel in `metadata`.
    epoch: int = row_field("epoch")
    step: int = row_field("step")

    initiator: str = row_field("initiator")
    counterparty: str = row_field("counterparty")
    interaction_type: InteractionType = row_field("itype")
    accepted: bool = row_field("accepted")

    # Observable signals (proxy inputs).
    task_progress_delta: float = row_field("task_progress_delta")
    rework_count: int = row_field("rework_count", ge=0)
    verifier_rejections: int = row_field("verifier_rejections", ge=0)
    tool_misuse_flags: int = row_field("tool_misuse_flags", ge=0)
    counterparty_engagement_delta: float = row_field("counterparty_engagement_delta")

    # Labels.
    v_hat: float = row_field("v_hat")
    p: float = row_field("p")

    # Payoff components: transfer initiator -> counterparty, governance costs, reputation terms.
    tau: float = row_field("tau")
    c_a: float = row_field("c_a")
    c_b: float = row_field("c_b")
    r_a: float = row_field("r_a")
    r_b: float = row_field("r_b")

    ground_truth: int | None = row_field("v")
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
    def from_dict(cls, data: dict[str, Any]) -> SoftInteraction:
        return cls.model_validate(data)
