"""How a Dworkin auction takes part in a run: the `auction:` section of a scenario
(`OrchestratorConfig.auction_config`), read by the engine's component `core.parts.auction`.

Every `interval_epochs` epochs (from epoch 0) the agents that are not frozen bid in one auction over a pool
of `supply_per_agent[r] * n` units of each resource. Each agent draws its true valuations per auction,
uniform in [valuation_low, valuation_high] per resource, and bids by its type's strategy (`strategies`,
over `DEFAULT_STRATEGIES`):

  - truthful: its true valuations;
  - shade: it exaggerates how much it prefers its favourite resource: the others are bid at
    1 / `misreport_factor` of their value;
  - inflate: it claims to need the action resource most: bids it at `misreport_factor` x its highest
    true valuation (the others truthfully).

What the allocation does: each unit of `action_resource` an agent holds gives it `actions_per_unit`
extra interactions per epoch until the next auction (proposals to a random other agent, who decides as
for any proposal; hidden quality from the agent's own effort). What it costs: the tokens spent at the
clearing prices, times `token_value`, paid from the agent's resources (at most what it has); the revenue
goes back to the bidders in equal shares, so money is conserved.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from distsafe.env.auction import AuctionConfig
from distsafe.models.agent import AgentType

Strategy = Literal["truthful", "shade", "inflate"]

#: each agent type's bidding strategy unless `strategies` says otherwise
DEFAULT_STRATEGIES: dict[str, Strategy] = {
    "honest": "truthful",
    "opportunistic": "shade",
    "deceptive": "inflate",
    "adversarial": "inflate",
    "adaptive_adversary": "inflate",
    "attacker": "inflate",
}


def check_type_keys(value: dict[str, object]) -> None:
    """ValueError naming the first key that is not an agent type."""
    known = [t.value for t in AgentType]
    for key in value:
        if key not in known:
            raise ValueError(f"unknown agent type {key!r} (known: {', '.join(known)})")


class AuctionRunConfig(AuctionConfig):
    """The `auction:` section: the seed's `AuctionConfig` and how auctions take part in a run."""

    model_config = ConfigDict(extra="forbid")

    #: an auction at the start of every epoch e with e % interval_epochs == 0
    interval_epochs: int = Field(default=1, ge=1)
    #: units of each resource in the pool per bidder
    supply_per_agent: dict[str, float] = Field(
        default_factory=lambda: {"compute": 1.0, "data": 1.0, "bandwidth": 1.0}, min_length=1
    )
    #: the resource whose units give extra interactions
    action_resource: str = "compute"
    #: extra interactions per epoch per unit of the action resource held
    actions_per_unit: float = Field(default=2.0, ge=0, le=1000)
    valuation_low: float = Field(default=0.5, ge=0)
    valuation_high: float = Field(default=2.0, gt=0)
    #: money paid per token spent at the clearing prices (0: tokens only)
    token_value: float = Field(default=0.05, ge=0)
    #: agent type -> bidding strategy (over DEFAULT_STRATEGIES; types not named bid truthfully)
    strategies: dict[str, Strategy] = Field(default_factory=dict)
    misreport_factor: float = Field(default=3.0, ge=1, le=1000)

    @field_validator("supply_per_agent")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        for name, qty in v.items():
            if qty <= 0:
                raise ValueError(f"supply_per_agent[{name!r}] must be > 0, got {qty}")
        return v

    @field_validator("strategies")
    @classmethod
    def _types(cls, v: dict[str, Strategy]) -> dict[str, Strategy]:
        check_type_keys(dict(v))
        return v

    @model_validator(mode="after")
    def _consistent(self) -> AuctionRunConfig:
        if self.action_resource not in self.supply_per_agent:
            raise ValueError(
                f"action_resource {self.action_resource!r} is not in supply_per_agent "
                f"({', '.join(self.supply_per_agent)})"
            )
        if self.valuation_low >= self.valuation_high:
            raise ValueError(
                f"valuation_low {self.valuation_low} must be below valuation_high {self.valuation_high}"
            )
        return self

    def strategy_of(self, agent_type: str) -> Strategy:
        return self.strategies.get(agent_type, DEFAULT_STRATEGIES.get(agent_type, "truthful"))
