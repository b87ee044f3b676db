"""Request schemas: actions, their parameters, turn submissions and `/init` bodies.

Structural errors (wrong types, negative amounts, unknown action kinds, missing fields) are caught here
and reject the whole request with a 4xx before anything changes. Errors that depend on the world state
(overspending, bad signature, replayed nonce) are found by the engine and rejected per action.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)

from distsafe.economy.config import ACTION_KINDS, CONTRACT_TYPES, WorldConfig

AgentId = StrictStr
MAX_BUNDLE = 32  # actions per bundle (far above any action budget)


class _P(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(_P):
    pass


class AmountParams(_P):
    amount: StrictInt = Field(ge=1)


class TransferParams(_P):
    to: AgentId = Field(min_length=1)
    amount: StrictInt = Field(ge=1)
    fee: StrictInt = Field(0, ge=0)


class ContractTerms(_P):
    """Union of the terms of the six contract types; `check_terms` enforces what each type needs."""

    maturity: StrictInt = Field(ge=1, description="Turns after activation when the contract matures.")
    collateral: StrictInt | None = Field(None, ge=0, description="Arbitrator collateral (default: config).")
    give: StrictInt | None = Field(None, ge=0)
    receive: StrictInt | None = Field(None, ge=0)
    principal: StrictInt | None = Field(None, ge=1)
    repay: StrictInt | None = Field(None, ge=1)
    price: StrictInt | None = Field(None, ge=1)
    premium: StrictInt | None = Field(None, ge=1)
    coverage: StrictInt | None = Field(None, ge=1)
    listing_id: StrictStr | None = None
    share_bps: StrictInt | None = Field(None, ge=1, le=5000)


_REQUIRED_TERMS: dict[str, tuple[str, ...]] = {
    "forward": ("give", "receive"),
    "loan": ("principal", "repay"),
    "service": ("price",),
    "insurance": ("premium", "coverage"),
    "information_sale": ("listing_id", "price"),
    "pool": ("share_bps",),
}


class ProposeParams(_P):
    type: Literal["forward", "loan", "service", "insurance", "information_sale", "pool"]
    counterparty: AgentId = Field(min_length=1)
    arbitrator: AgentId = Field(min_length=1)
    terms: ContractTerms
    contract_signature: StrictStr = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> ProposeParams:
        missing = [k for k in _REQUIRED_TERMS[self.type] if getattr(self.terms, k) is None]
        if missing:
            raise ValueError(f"{self.type} contract needs terms {missing}")
        if self.type == "loan" and self.terms.repay < self.terms.principal:  # type: ignore[operator]
            raise ValueError("loan repay must be >= principal")
        if self.type == "forward" and (self.terms.give or 0) + (self.terms.receive or 0) == 0:
            raise ValueError("forward contract must exchange something")
        return self

    def terms_dict(self) -> dict[str, Any]:
        return self.terms.model_dump(exclude_none=True)


class SignParams(_P):
    contract_id: StrictStr = Field(min_length=1)
    role: Literal["counterparty", "arbitrator"]
    signature: StrictStr = Field(min_length=1)


class ContractRef(_P):
    contract_id: StrictStr = Field(min_length=1)


class DisputeParams(_P):
    contract_id: StrictStr = Field(min_length=1)
    reason: StrictStr = Field("", max_length=500)


class RulingParams(_P):
    contract_id: StrictStr = Field(min_length=1)
    in_favor_of: Literal["proposer", "counterparty"]


class SellInfoParams(_P):
    topic: StrictStr = Field(min_length=1, max_length=200)
    price: StrictInt = Field(ge=1)
    content: StrictStr = Field(min_length=1)


class SpeakParams(_P):
    message: StrictStr = Field(min_length=1)


PARAM_MODELS: dict[str, type[_P]] = {
    "mine": NoParams,
    "stake": AmountParams,
    "unstake": AmountParams,
    "burn": AmountParams,
    "study": NoParams,
    "job": NoParams,
    "transfer": TransferParams,
    "propose_contract": ProposeParams,
    "sign_contract": SignParams,
    "confirm_delivery": ContractRef,
    "dispute_delivery": DisputeParams,
    "arbitrator_ruling": RulingParams,
    "sell_information": SellInfoParams,
    "bid_core": AmountParams,
    "speak": SpeakParams,
}
assert set(PARAM_MODELS) == set(ACTION_KINDS)
assert set(_REQUIRED_TERMS) == set(CONTRACT_TYPES)


_Kind = Literal[
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


class ActionBody(BaseModel):
    """What to do: an action kind and its parameters (checked against the kind's schema)."""

    model_config = ConfigDict(extra="forbid")

    kind: _Kind
    params: dict[str, Any] = Field(default_factory=dict)
    _parsed: Any = PrivateAttr(None)

    @model_validator(mode="after")
    def _params_valid(self) -> ActionBody:
        try:
            self._parsed = PARAM_MODELS[self.kind].model_validate(self.params)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(x) for x in first["loc"]) or "params"
            raise ValueError(f"{self.kind} params invalid at {loc}: {first['msg']}") from None
        return self

    def parsed_params(self) -> Any:
        return self._parsed


class LedgerAction(ActionBody):
    """One signed action. `signature` is Ed25519 over the canonical JSON of the other five fields."""

    agent_id: AgentId = Field(min_length=1)
    turn: StrictInt = Field(ge=1)
    nonce: StrictInt = Field(ge=1)
    signature: StrictStr | None = None

    def signed_payload(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "turn": self.turn,
            "nonce": self.nonce,
            "kind": self.kind,
            "params": self.params,
        }

    def bodies(self) -> list[ActionBody]:
        return [self]


class Bundle(BaseModel):
    """Several actions of one agent for one turn under a single signature and nonce (one Ed25519
    verification instead of one per action). The signature covers agent_id, turn, nonce and the list."""

    model_config = ConfigDict(extra="forbid")

    agent_id: AgentId = Field(min_length=1)
    turn: StrictInt = Field(ge=1)
    nonce: StrictInt = Field(ge=1)
    actions: list[ActionBody] = Field(min_length=1, max_length=MAX_BUNDLE)
    signature: StrictStr | None = None

    def signed_payload(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "turn": self.turn,
            "nonce": self.nonce,
            "actions": [{"kind": a.kind, "params": a.params} for a in self.actions],
        }

    def bodies(self) -> list[ActionBody]:
        return list(self.actions)


class TurnRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    turn: StrictInt = Field(ge=1, description="Must be the current turn + 1; resubmitting is idempotent.")
    actions: list[LedgerAction] = Field(default_factory=list, description="Individually signed actions.")
    bundles: list[Bundle] = Field(default_factory=list, description="Per-agent signed action lists.")
    usage: dict[str, StrictInt] = Field(
        default_factory=dict, description="Metered LLM output tokens per agent this turn (billed)."
    )
    on_invalid: Literal["record", "fail"] = Field(
        "record", description="record: reject invalid actions and apply the rest; fail: apply nothing."
    )

    @model_validator(mode="after")
    def _usage_non_negative(self) -> TurnRequest:
        for agent, tokens in self.usage.items():
            if tokens < 0:
                raise ValueError(f"usage for {agent} must be >= 0")
        return self


class AccountSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: AgentId = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")
    public_key: StrictStr = Field(min_length=64, max_length=64, description="Ed25519 public key, hex.")


class InitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    config: WorldConfig = Field(default_factory=WorldConfig)
    agents: list[AccountSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> InitRequest:
        ids = [a.agent_id for a in self.agents]
        if len(set(ids)) != len(ids):
            raise ValueError("agent ids must be unique")
        return self
