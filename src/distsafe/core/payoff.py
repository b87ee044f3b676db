"""Soft payoff engine, the reformulated A3b equations.

S_soft = p * s_plus - (1 - p) * s_minus          expected surplus
E_soft = (1 - p) * h                              expected harm externality
pi_a   = theta * S_soft - tau - c_a - rho_a * E_soft + w_rep * r_a
pi_b   = (1 - theta) * S_soft + tau - c_b - rho_b * E_soft + w_rep * r_b

Private costs of what the initiator does (its effort e = P(v = +1) and its signal gaming b), charged to
the initiator of an accepted interaction as part of c_a (the engine adds them before the payoff):

cost(e, b) = effort_cost * e^2 + gaming_cost * b^2

Convex, so a payoff that is linear in e has an interior best response. With effort_cost = 0 and
gaming_cost = 0 the seed's payoff is unchanged; the defaults (1.0 and 0.5) and why are in docs/agents.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import ConfigDict, Field

from distsafe.models.config_base import ConfigModel

if TYPE_CHECKING:
    from distsafe.models.columns import InteractionBatch
    from distsafe.models.interaction import SoftInteraction


class PayoffConfig(ConfigModel):
    model_config = ConfigDict(extra="forbid")

    s_plus: float = Field(default=2.0, ge=0, description="surplus when v = +1")
    s_minus: float = Field(default=1.0, ge=0, description="loss when v = -1")
    h: float = Field(default=2.0, ge=0, description="harm magnitude of the externality")
    theta: float = Field(default=0.5, ge=0, le=1, description="initiator's share of the surplus")
    rho_a: float = Field(default=0.0, ge=0, le=1, description="externality internalized by the initiator")
    rho_b: float = Field(default=0.0, ge=0, le=1, description="externality internalized by the counterparty")
    w_rep: float = Field(default=1.0, ge=0, description="weight of reputation change in payoff")
    effort_cost: float = Field(
        default=1.0, ge=0, description="cost of effort e to the initiator: effort_cost * e^2"
    )
    gaming_cost: float = Field(
        default=0.5, ge=0, description="cost of signal gaming b to the initiator: gaming_cost * b^2"
    )


@dataclass(frozen=True)
class PayoffBreakdown:
    """One party's payoff term by term (the reference implementation's `PayoffBreakdown`):
    total = surplus_share + transfer - governance_cost - externality_cost + reputation_bonus."""

    expected_surplus: float  # S_soft = p * s_plus - (1 - p) * s_minus
    expected_harm: float  # E_soft = (1 - p) * h
    surplus_share: float  # theta * S_soft (initiator) or (1 - theta) * S_soft (counterparty)
    transfer: float  # -tau for the initiator, +tau for the counterparty
    governance_cost: float  # c_a or c_b
    externality_cost: float  # rho_a * E_soft or rho_b * E_soft
    reputation_bonus: float  # w_rep * r_a or w_rep * r_b
    total: float


class SoftPayoffEngine:
    def __init__(self, config: PayoffConfig | None = None):
        self.config = config or PayoffConfig()

    # ---- vectorized ---------------------------------------------------------------------------------
    def expected_surplus(self, p: Any) -> Any:
        c = self.config
        return p * c.s_plus - (1.0 - p) * c.s_minus

    def expected_harm(self, p: Any) -> Any:
        return (1.0 - p) * self.config.h

    def action_cost(self, effort: np.ndarray, boost: np.ndarray) -> np.ndarray:
        """cost(e, b) = effort_cost * e^2 + gaming_cost * b^2, what the initiator pays to do the work."""
        c = self.config
        out: np.ndarray = c.effort_cost * np.square(effort) + c.gaming_cost * np.square(boost)
        return out

    def payoff_arrays(
        self, p: Any, tau: Any, c_a: Any, c_b: Any, r_a: Any, r_b: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        c = self.config
        s = self.expected_surplus(p)
        e = self.expected_harm(p)
        pi_a = c.theta * s - tau - c_a - c.rho_a * e + c.w_rep * r_a
        pi_b = (1.0 - c.theta) * s + tau - c_b - c.rho_b * e + c.w_rep * r_b
        return pi_a, pi_b

    def apply_to_batch(self, batch: InteractionBatch) -> None:
        """Fill payoff_a / payoff_b of an `InteractionBatch`; rejected interactions pay nothing."""
        pi_a, pi_b = self.payoff_arrays(batch.p, batch.tau, batch.c_a, batch.c_b, batch.r_a, batch.r_b)
        batch.payoff_a = np.where(batch.accepted, pi_a, 0.0)
        batch.payoff_b = np.where(batch.accepted, pi_b, 0.0)

    # ---- one interaction (the seed's API) -------------------------------------------------------------
    def payoff_initiator(self, interaction: SoftInteraction) -> float:
        a, _ = self.payoff_arrays(
            interaction.p, interaction.tau, interaction.c_a, interaction.c_b, interaction.r_a, interaction.r_b
        )
        return float(a)

    def payoff_counterparty(self, interaction: SoftInteraction) -> float:
        _, b = self.payoff_arrays(
            interaction.p, interaction.tau, interaction.c_a, interaction.c_b, interaction.r_a, interaction.r_b
        )
        return float(b)

    def total_welfare(self, interaction: SoftInteraction) -> float:
        return self.payoff_initiator(interaction) + self.payoff_counterparty(interaction)

    def social_surplus(self, interaction: SoftInteraction) -> float:
        """S_soft - E_soft: the joint surplus net of the full externality (the transfers cancel)."""
        return float(self.expected_surplus(interaction.p) - self.expected_harm(interaction.p))

    def break_even_p(self) -> float:
        """p* = s_minus / (s_plus + s_minus), where S_soft = 0 (0.5 when both are 0)."""
        c = self.config
        den = c.s_plus + c.s_minus
        return c.s_minus / den if den > 0 else 0.5

    def social_break_even_p(self) -> float:
        """p* = (s_minus + h) / (s_plus + s_minus + h), where S_soft - E_soft = 0 (0.5 when all are 0)."""
        c = self.config
        den = c.s_plus + c.s_minus + c.h
        return (c.s_minus + c.h) / den if den > 0 else 0.5

    def payoff_breakdown_initiator(self, interaction: SoftInteraction) -> PayoffBreakdown:
        """The initiator's payoff term by term (`payoff_initiator` is its total)."""
        return self._breakdown(interaction, initiator=True)

    def payoff_breakdown_counterparty(self, interaction: SoftInteraction) -> PayoffBreakdown:
        """The counterparty's payoff term by term (`payoff_counterparty` is its total)."""
        return self._breakdown(interaction, initiator=False)

    def _breakdown(self, interaction: SoftInteraction, initiator: bool) -> PayoffBreakdown:
        c = self.config
        s = float(self.expected_surplus(interaction.p))
        e = float(self.expected_harm(interaction.p))
        share = c.theta if initiator else 1.0 - c.theta
        rho, cost, rep = (
            (c.rho_a, interaction.c_a, interaction.r_a)
            if initiator
            else (c.rho_b, interaction.c_b, interaction.r_b)
        )
        total = self.payoff_initiator(interaction) if initiator else self.payoff_counterparty(interaction)
        return PayoffBreakdown(
            expected_surplus=s,
            expected_harm=e,
            surplus_share=share * s,
            transfer=-interaction.tau if initiator else interaction.tau,
            governance_cost=cost,
            externality_cost=rho * e,
            reputation_bonus=c.w_rep * rep,
            total=total,
        )

    def payoff_breakdown(self, interaction: SoftInteraction) -> dict[str, float]:
        c = self.config
        s = float(self.expected_surplus(interaction.p))
        e = float(self.expected_harm(interaction.p))
        return {
            "S_soft": s,
            "E_soft": e,
            "surplus_a": c.theta * s,
            "surplus_b": (1 - c.theta) * s,
            "externality_a": c.rho_a * e,
            "externality_b": c.rho_b * e,
            "reputation_a": c.w_rep * interaction.r_a,
            "reputation_b": c.w_rep * interaction.r_b,
            "payoff_a": self.payoff_initiator(interaction),
            "payoff_b": self.payoff_counterparty(interaction),
        }
