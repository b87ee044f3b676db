"""Governance levers: taxes, reputation decay, vote normalization, bandwidth cap, staking, audits,
circuit breaker. See `levers.GovernanceLever` for the hooks."""

from distsafe.governance.admission import BandwidthCapLever, StakingLever
from distsafe.governance.audits import RandomAuditLever
from distsafe.governance.circuit_breaker import CircuitBreakerLever
from distsafe.governance.config import GovernanceConfig
from distsafe.governance.engine import GovernanceEngine
from distsafe.governance.levers import GovernanceContext, GovernanceLever
from distsafe.governance.reputation import ReputationDecayLever, VoteNormalizationLever
from distsafe.governance.taxes import TransactionTaxLever

__all__ = [
    "BandwidthCapLever", "CircuitBreakerLever", "GovernanceConfig", "GovernanceContext", "GovernanceEngine",
    "GovernanceLever", "RandomAuditLever", "ReputationDecayLever", "StakingLever", "TransactionTaxLever",
    "VoteNormalizationLever",
]
