"""WorldConfig: every field name and default kept; unknown fields, out-of-range and non-finite numbers refused
with one line naming the field."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from distsafe.economy.config import WorldConfig, config_error

DEFAULTS = {
    "seed": 0, "genesis_balance": 100, "action_budget": 3, "mine_cost": 2, "mine_block_reward": 20,
    "stake_block_reward": 8, "stake_weight": 0.05, "burn_weight": 0.2, "mine_weight": 1.0, "burn_decay": 0.05,
    "stake_lock_turns": 3, "study_cost": 10, "max_study_level": 5, "study_bonus": 0.2, "job_wage": 5,
    "commons_threshold": 256, "inference_price_per_1k": 4, "num_cores": 4, "core_auction_turn": 1,
    "negative_interest_rate": 0.05, "arbitrator_collateral": 10, "arbitrator_fee": 1, "proposal_ttl": 5,
    "max_contract_turns": 50, "dispute_window": 3, "ruling_deadline": 3, "slash_amount": 10,
    "max_speech_chars": 500, "max_info_chars": 2000,
}  # fmt: skip


def test_field_names_and_defaults_are_the_documented_ones() -> None:
    assert WorldConfig().model_dump() == DEFAULTS
    assert WorldConfig.model_validate({"num_cores": 2}).num_cores == 2


@pytest.mark.parametrize(
    "data, field",
    [
        ({"stake_weight": math.inf}, "stake_weight"),
        ({"burn_decay": math.nan}, "burn_decay"),
        ({"mine_weight": -math.inf}, "mine_weight"),
        ({"genesis_balance": -1}, "genesis_balance"),
        ({"action_budget": 2.5}, "action_budget"),
        ({"mine_rewards": 3}, "mine_rewards"),
        ({"genesis_balance": 10**15}, "genesis_balance"),
        ({"seed": 2**63}, "seed"),
        ({"study_bonus": 1e308}, "study_bonus"),
        ({"core_auction_turn": 2**63}, "core_auction_turn"),
        ({"max_speech_chars": 10**7}, "max_speech_chars"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(data, field) -> None:
    with pytest.raises(ValidationError) as info:
        WorldConfig.model_validate(data)
    msg = config_error(info.value)
    assert msg.startswith(f"{field}: ") and "\n" not in msg


def test_non_finite_json_is_refused() -> None:
    with pytest.raises(ValidationError, match="finite"):
        WorldConfig.model_validate_json('{"study_bonus": Infinity}')
    assert WorldConfig.model_validate_json('{"study_bonus": 0.5}').study_bonus == 0.5
