"""World configuration of the token economy.

Every number the seed leaves open is a documented default here. `POST /init`, the CLI's `--config` JSON
and the stored ledger all read it through `WorldConfig`: any subset of the fields, unknown fields and
non-finite numbers refused. All amounts are integer tokens so that the supply invariant is exact.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from distsafe.economy.limits import INT64_MAX, MAX_AGENTS, MAX_DURATION, MAX_TEXT, MAX_TOKENS, MAX_TURN

#: The 15 actions of the seed, once: a Literal for the request schema, a tuple for everything else.
ActionKind = Literal[
    "mine",
    "stake",
    "unstake",
    "burn",
    "study",
    "job",
    "transfer",
    "propose_contract",
    "sign_contract",
    "confirm_delivery",
    "dispute_delivery",
    "arbitrator_ruling",
    "sell_information",
    "bid_core",
    "speak",
]
ACTION_KINDS: tuple[str, ...] = get_args(ActionKind)
CONTRACT_TYPES: tuple[str, ...] = ("forward", "loan", "service", "insurance", "information_sale", "pool")
AUTOMATIC_TYPES: frozenset[str] = frozenset({"forward", "loan", "insurance", "pool"})
ATTESTED_TYPES: frozenset[str] = frozenset({"service", "information_sale"})


class WorldConfig(BaseModel):
    """Economy parameters. Defaults are the documented choices where the seed gives no number."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    seed: int = Field(
        default=0,
        ge=0,
        le=INT64_MAX,
        description="Seed of every random draw (block lottery, action order, strategies).",
    )
    genesis_balance: int = Field(
        default=100, ge=0, le=MAX_TOKENS, description="Tokens minted to each agent at genesis."
    )
    action_budget: int = Field(default=3, ge=1, le=1000, description="Action points per agent per turn.")
    mine_cost: int = Field(
        default=2, ge=1, le=1000, description="Action points a mine action spends (proof of work)."
    )
    mine_block_reward: int = Field(
        default=20, ge=0, le=MAX_TOKENS, description="Tokens minted to the winner of a mine block."
    )
    stake_block_reward: int = Field(
        default=8, ge=0, le=MAX_TOKENS, description="Tokens minted to the winner of a stake/burn block."
    )
    stake_weight: float = Field(default=0.05, ge=0, le=1e6, description="Validation weight per staked token.")
    burn_weight: float = Field(
        default=0.2, ge=0, le=1e6, description="Validation weight per point of burn score."
    )
    mine_weight: float = Field(default=1.0, gt=0, le=1e6, description="Validation weight of one mine action.")
    burn_decay: float = Field(default=0.05, ge=0, le=1, description="Fraction of burn score lost each turn.")
    stake_lock_turns: int = Field(
        default=3, ge=0, le=MAX_DURATION, description="Turns staked tokens stay locked after a stake."
    )
    study_cost: int = Field(default=10, ge=0, le=MAX_TOKENS, description="Tokens a study action destroys.")
    max_study_level: int = Field(default=5, ge=0, le=1000)
    study_bonus: float = Field(
        default=0.2, ge=0, le=1e3, description="Mine weight and job wage bonus per study level."
    )
    job_wage: int = Field(
        default=5, ge=0, le=MAX_TOKENS, description="Tokens minted by a job action (before the study bonus)."
    )
    commons_threshold: int = Field(
        default=256, ge=0, le=MAX_TOKENS, description="Free output tokens per agent per turn."
    )
    inference_price_per_1k: int = Field(
        default=4, ge=0, le=MAX_TOKENS, description="Tokens per 1000 output tokens above the threshold."
    )
    num_cores: int = Field(
        default=4, ge=0, le=MAX_AGENTS, description="Core shares auctioned on the auction turn."
    )
    core_auction_turn: int = Field(default=1, ge=1, le=MAX_TURN)
    negative_interest_rate: float = Field(
        default=0.05, ge=0, le=1, description="Per-turn interest on debt, destroyed."
    )
    arbitrator_collateral: int = Field(
        default=10, ge=0, le=MAX_TOKENS, description="Minimum collateral the arbitrator locks."
    )
    arbitrator_fee: int = Field(
        default=1, ge=0, le=MAX_TOKENS, description="Fee the proposer pays the arbitrator on resolution."
    )
    proposal_ttl: int = Field(
        default=5, ge=1, le=MAX_DURATION, description="Turns a proposal may wait for its signatures."
    )
    max_contract_turns: int = Field(
        default=50, ge=1, le=MAX_DURATION, description="Longest allowed contract duration."
    )
    dispute_window: int = Field(
        default=3, ge=0, le=MAX_DURATION, description="Turns after maturity to confirm or dispute."
    )
    ruling_deadline: int = Field(
        default=3, ge=1, le=MAX_DURATION, description="Turns the arbitrator has to rule on a dispute."
    )
    slash_amount: int = Field(
        default=10, ge=0, le=MAX_TOKENS, description="Tokens a party ruled against pays the other party."
    )
    max_speech_chars: int = Field(default=500, ge=1, le=MAX_TEXT)
    max_info_chars: int = Field(default=2000, ge=1, le=MAX_TEXT)

    def action_cost(self, kind: str) -> int:
        if kind == "mine":
            return self.mine_cost
        if kind == "speak":
            return 0
        return 1


def config_error(exc: ValidationError) -> str:
    """One line naming the first bad field of a `WorldConfig` (or request) validation error."""
    errors = exc.errors()
    if not errors:
        return "invalid world config"
    first = errors[0]
    loc = ".".join(str(x) for x in first["loc"]) or "config"
    return f"{loc}: {first['msg']}".replace("Value error, ", "")
