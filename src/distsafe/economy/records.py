"""Plain data records of the world: agents, contracts, information listings, and the rejection type."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TERMINAL_STATUSES = frozenset({"settled", "ruled", "defaulted", "expired", "arbitrator_defaulted"})


class Reject(Exception):
    """An action is invalid in the current world state; raised before any state is changed."""


class InvariantError(RuntimeError):
    """Total supply no longer equals minted - burned - destroyed, or a stake/escrow went negative."""


@dataclass
class Account:
    agent_id: str
    public_key: str
    balance: int = 0
    staked: int = 0
    burn_score: float = 0.0
    study_level: int = 0
    cores: int = 0
    last_nonce: int = 0
    stake_locked_until: int = 0
    locked_bid: int = 0
    blocks_won: int = 0
    rulings_lost: int = 0
    output_tokens: int = 0
    inference_paid: int = 0
    dividends: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def public(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["burn_score"] = round(self.burn_score, 6)
        return d


@dataclass
class Contract:
    contract_id: str
    type: str
    proposer: str
    counterparty: str
    arbitrator: str
    terms: dict[str, Any]
    terms_hash: str
    collateral: int
    created_turn: int
    status: str = "proposed"
    signatures: dict[str, str] = field(default_factory=dict)
    escrow: dict[str, int] = field(default_factory=dict)
    confirmations: list[str] = field(default_factory=list)
    activated_turn: int | None = None
    maturity_turn: int | None = None
    dispute: dict[str, Any] | None = None
    ruling: str | None = None
    resolved_turn: int | None = None
    outcome: str | None = None
    blocks_at_activation: int = 0

    def party(self, role: str) -> str:
        return {"proposer": self.proposer, "counterparty": self.counterparty, "arbitrator": self.arbitrator}[
            role
        ]

    def role_of(self, agent_id: str) -> str | None:
        for role in ("proposer", "counterparty", "arbitrator"):
            if self.party(role) == agent_id:
                return role
        return None

    @property
    def escrow_total(self) -> int:
        return sum(self.escrow.values())

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["terms"], d["escrow"], d["signatures"] = dict(self.terms), dict(self.escrow), dict(self.signatures)
        d["confirmations"] = list(self.confirmations)
        d["dispute"] = dict(self.dispute) if self.dispute else None
        return d

    def summary(self) -> dict[str, Any]:
        """Compact view for `GET /state`: signatures replaced by the roles that have signed."""
        d = self.to_dict()
        d["signed"] = sorted(d.pop("signatures"))
        return d


@dataclass
class Listing:
    listing_id: str
    seller: str
    topic: str
    price: int
    content: str
    content_hash: str
    turn: int
    buyers: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__, buyers=list(self.buyers))

    def public(self) -> dict[str, Any]:
        d = self.to_dict()
        d["content_chars"] = len(d.pop("content"))  # the size is public, the content only for buyers
        return d
