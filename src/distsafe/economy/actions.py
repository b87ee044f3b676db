"""Request schemas: actions, their parameters, turn submissions and `/init` bodies.

Two kinds of structural error (wrong types, out-of-range numbers, unknown action kinds, missing fields):
- in the envelope of a request (`turn`, `usage`, `on_invalid`, the lists themselves; `/init`'s config and
  agents), which the admin sends: the whole request is refused with a 4xx naming the field;
- in one signed action or bundle, which an agent sends: that unit alone becomes an `InvalidUnit`, rejected
  with its reason, and the other agents' actions are applied. One hostile agent never loses everyone's turn.
Errors that depend on the world state (overspending, bad signature, replayed nonce) are found by the engine
and rejected per action.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from distsafe.economy.config import ACTION_KINDS, CONTRACT_TYPES, ActionKind, WorldConfig
from distsafe.economy.limits import (
    MAX_AGENTS,
    MAX_DURATION,
    MAX_ID,
    MAX_NONCE,
    MAX_TEXT,
    MAX_TOKENS,
    MAX_TURN,
    SUPPLY_CAP,
)

AgentId = StrictStr
MAX_BUNDLE = 32  # actions per bundle (far above any action budget)
MAX_SIGNATURE = 256  # characters of a signature field (an Ed25519 signature is 128 hex characters)
MAX_USAGE = 10**9  # metered output tokens per agent per turn


class _P(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(_P):
    pass


class AmountParams(_P):
    amount: StrictInt = Field(ge=1, le=MAX_TOKENS)


class TransferParams(_P):
    to: AgentId = Field(min_length=1, max_length=MAX_ID)
    amount: StrictInt = Field(ge=1, le=MAX_TOKENS)
    fee: StrictInt = Field(0, ge=0, le=MAX_TOKENS)


class ContractTerms(_P):
    """Union of the terms of the six contract types; `check_terms` enforces what each type needs."""

    maturity: StrictInt = Field(
        ge=1, le=MAX_DURATION, description="Turns after activation when the contract matures."
    )
    collateral: StrictInt | None = Field(
        None, ge=0, le=MAX_TOKENS, description="Arbitrator collateral (default: config)."
    )
    give: StrictInt | None = Field(None, ge=0, le=MAX_TOKENS)
    receive: StrictInt | None = Field(None, ge=0, le=MAX_TOKENS)
    principal: StrictInt | None = Field(None, ge=1, le=MAX_TOKENS)
    repay: StrictInt | None = Field(None, ge=1, le=MAX_TOKENS)
    price: StrictInt | None = Field(None, ge=1, le=MAX_TOKENS)
    premium: StrictInt | None = Field(None, ge=1, le=MAX_TOKENS)
    coverage: StrictInt | None = Field(None, ge=1, le=MAX_TOKENS)
    listing_id: StrictStr | None = Field(None, max_length=MAX_ID)
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
    counterparty: AgentId = Field(min_length=1, max_length=MAX_ID)
    arbitrator: AgentId = Field(min_length=1, max_length=MAX_ID)
    terms: ContractTerms
    contract_signature: StrictStr = Field(min_length=1, max_length=MAX_SIGNATURE)

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
    contract_id: StrictStr = Field(min_length=1, max_length=MAX_ID)
    role: Literal["counterparty", "arbitrator"]
    signature: StrictStr = Field(min_length=1, max_length=MAX_SIGNATURE)


class ContractRef(_P):
    contract_id: StrictStr = Field(min_length=1, max_length=MAX_ID)


class DisputeParams(_P):
    contract_id: StrictStr = Field(min_length=1, max_length=MAX_ID)
    reason: StrictStr = Field("", max_length=500)


class RulingParams(_P):
    contract_id: StrictStr = Field(min_length=1, max_length=MAX_ID)
    in_favor_of: Literal["proposer", "counterparty"]


class SellInfoParams(_P):
    topic: StrictStr = Field(min_length=1, max_length=200)
    price: StrictInt = Field(ge=1, le=MAX_TOKENS)
    content: StrictStr = Field(min_length=1, max_length=MAX_TEXT)


class SpeakParams(_P):
    message: StrictStr = Field(min_length=1, max_length=MAX_TEXT)


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


class ActionBody(BaseModel):
    """What to do: an action kind and its parameters (checked against the kind's schema)."""

    model_config = ConfigDict(extra="forbid")

    kind: ActionKind
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

    agent_id: AgentId = Field(min_length=1, max_length=MAX_ID)
    turn: StrictInt = Field(ge=1, le=MAX_TURN)
    nonce: StrictInt = Field(ge=1, le=MAX_NONCE)
    signature: StrictStr | None = Field(None, max_length=MAX_SIGNATURE)

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

    agent_id: AgentId = Field(min_length=1, max_length=MAX_ID)
    turn: StrictInt = Field(ge=1, le=MAX_TURN)
    nonce: StrictInt = Field(ge=1, le=MAX_NONCE)
    actions: list[ActionBody] = Field(min_length=1, max_length=MAX_BUNDLE)
    signature: StrictStr | None = Field(None, max_length=MAX_SIGNATURE)

    def signed_payload(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "turn": self.turn,
            "nonce": self.nonce,
            "actions": [{"kind": a.kind, "params": a.params} for a in self.actions],
        }

    def bodies(self) -> list[ActionBody]:
        return list(self.actions)


class InvalidUnit(BaseModel):
    """A signed action or bundle that does not fit its schema. The engine rejects it alone with `reason`;
    `agent_id`, `kind` and `nonce` are what could be read of it (for the record), never trusted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    invalid: Literal[True] = True
    agent_id: str
    kind: str
    nonce: int
    reason: str


_AnyAction = LedgerAction | InvalidUnit
_AnyBundle = Bundle | InvalidUnit


def _readable(raw: Any, model: type[BaseModel]) -> tuple[str, str, int]:
    """(agent_id, kind, nonce) of a raw unit, as far as they are well-formed, for the record."""
    d = raw if isinstance(raw, dict) else {}
    aid = d.get("agent_id")
    aid = aid if isinstance(aid, str) and 0 < len(aid) <= MAX_ID else "?"
    kind = d.get("kind") if model is LedgerAction else "bundle"
    kind = kind if isinstance(kind, str) and kind in (*ACTION_KINDS, "bundle") else "invalid"
    nonce = d.get("nonce")
    nonce = nonce if type(nonce) is int and 0 <= nonce <= MAX_NONCE else 0
    return aid, kind, nonce


def parse_unit(raw: Any, model: type[LedgerAction] | type[Bundle]) -> LedgerAction | Bundle | InvalidUnit:
    """One signed action or bundle, or an `InvalidUnit` with the first schema error as its reason."""
    if isinstance(raw, (model, InvalidUnit)):
        return raw
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        msg = first["msg"].replace("Value error, ", "")
        aid, kind, nonce = _readable(raw, model)
        return InvalidUnit(
            agent_id=aid, kind=kind, nonce=nonce, reason=f"invalid: {loc + ': ' if loc else ''}{msg}"
        )


class TurnRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    turn: StrictInt = Field(
        ge=1, le=MAX_TURN, description="Must be the current turn + 1; resubmitting is idempotent."
    )
    actions: list[_AnyAction] = Field(
        default_factory=list, description="Individually signed actions (a malformed one is rejected alone)."
    )
    bundles: list[_AnyBundle] = Field(
        default_factory=list, description="Per-agent signed action lists (a malformed one is rejected alone)."
    )
    usage: dict[
        Annotated[StrictStr, Field(max_length=MAX_ID)], Annotated[StrictInt, Field(ge=0, le=MAX_USAGE)]
    ] = Field(default_factory=dict, description="Metered LLM output tokens per agent this turn (billed).")
    on_invalid: Literal["record", "fail"] = Field(
        "record", description="record: reject invalid actions and apply the rest; fail: apply nothing."
    )

    @field_validator("actions", mode="before")
    @classmethod
    def _each_action(cls, v: Any) -> Any:
        return [parse_unit(x, LedgerAction) for x in v] if isinstance(v, list) else v

    @field_validator("bundles", mode="before")
    @classmethod
    def _each_bundle(cls, v: Any) -> Any:
        return [parse_unit(x, Bundle) for x in v] if isinstance(v, list) else v

    def units(self) -> list[LedgerAction | Bundle | InvalidUnit]:
        return [*self.actions, *self.bundles]

    def n_actions(self) -> int:
        """Actions in the request (each bundle counts its actions; a malformed unit counts one)."""
        return sum(len(u.actions) if isinstance(u, Bundle) else 1 for u in self.units())


class AccountSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: AgentId = Field(min_length=1, max_length=MAX_ID, pattern=r"^[A-Za-z0-9_.\-]+$")
    public_key: StrictStr = Field(min_length=64, max_length=64, description="Ed25519 public key, hex.")


class InitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    config: WorldConfig = Field(default_factory=WorldConfig)
    agents: list[AccountSpec] = Field(min_length=1, max_length=MAX_AGENTS)

    @model_validator(mode="after")
    def _unique(self) -> InitRequest:
        ids = [a.agent_id for a in self.agents]
        if len(set(ids)) != len(ids):
            raise ValueError("agent ids must be unique")
        if len(ids) * self.config.genesis_balance > SUPPLY_CAP:
            raise ValueError(
                f"config.genesis_balance x {len(ids)} agents exceeds the supply cap 2^62 ({SUPPLY_CAP})"
            )
        return self
