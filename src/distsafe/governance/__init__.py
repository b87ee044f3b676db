"""Governance levers: taxes, reputation decay, vote normalization, bandwidth cap, staking, audits,
circuit breaker. See `levers.GovernanceLever` for the hooks and `registry.LEVERS` for the shipped levers."""

from distsafe.governance.admission import BandwidthCapLever, StakingLever
from distsafe.governance.audits import RandomAuditLever
from distsafe.governance.circuit_breaker import CircuitBreakerLever
from distsafe.governance.config import GovernanceConfig
from distsafe.governance.engine import GovernanceEngine
from distsafe.governance.incentives import NO_LEVERS, IncentiveView
from distsafe.governance.levers import GovernanceContext, GovernanceLever
from distsafe.governance.registry import LEVERS, RegisteredLever
from distsafe.governance.reputation import ReputationDecayLever, VoteNormalizationLever
from distsafe.governance.taxes import TransactionTaxLever

__all__ = [
    "LEVERS",
    "NO_LEVERS",
    "BandwidthCapLever",
    "CircuitBreakerLever",
    "GovernanceConfig",
    "GovernanceContext",
    "GovernanceEngine",
    "IncentiveView",
    "GovernanceLever",
    "RandomAuditLever",
    "RegisteredLever",
    "ReputationDecayLever",
    "StakingLever",
    "TransactionTaxLever",
    "VoteNormalizationLever",
]
