"""Event records of the append-only log. Timestamps are simulation time (global step index)."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, Field


class EventType(str, Enum):
    SIMULATION_STARTED = "simulation_started"
    EPOCH_STARTED = "epoch_started"
    POST_CREATED = "post_created"
    REPLY_CREATED = "reply_created"
    VOTE_CAST = "vote_cast"
    INTERACTION_COMPLETED = "interaction_completed"
    TASK_CREATED = "task_created"
    TASK_CLAIMED = "task_claimed"
    TASK_COMPLETED = "task_completed"
    TASK_EXPIRED = "task_expired"
    ACTION_BLOCKED = "action_blocked"
    AGENT_FROZEN = "agent_frozen"
    AGENT_UNFROZEN = "agent_unfrozen"
    AUDIT = "audit"
    LLM_CALL = "llm_call"
    KILL_SWITCH = "kill_switch"
    EPOCH_COMPLETED = "epoch_completed"
    SIMULATION_ENDED = "simulation_ended"
    STRATEGY_UPDATED = "strategy_updated"
    POPULATION_UPDATED = "population_updated"
    # Written only when a run stops early, as the log's last event (instead of simulation_ended): Ctrl-C
    # or a cancelled task (interrupted), or an exception (failed); `data.reason` says what stopped it.
    SIMULATION_INTERRUPTED = "simulation_interrupted"
    SIMULATION_FAILED = "simulation_failed"
    # staking (governance.admission): a finding slashed an agent's bond (`reason`, `slashed`, `bond_left`)
    STAKE_SLASHED = "stake_slashed"
    # security lever (governance.security) and the adaptive adversary (agents.adaptive_adversary)
    SECURITY_THREAT = "security_threat"
    AGENT_QUARANTINED = "agent_quarantined"
    AGENT_RELEASED = "agent_released"
    SECURITY_PENALTY = "security_penalty"
    ADVERSARY_UPDATED = "adversary_updated"
    # social structure (seed 001): the network built and changed at each epoch's end (env.network), pairs
    # flagged and penalized by collusion detection (governance.collusion), composite tasks
    # (env.composite_tasks)
    NETWORK_UPDATED = "network_updated"
    COLLUSION_FLAGGED = "collusion_flagged"
    COMPOSITE_TASK_CREATED = "composite_task_created"
    SUBTASK_COMPLETED = "subtask_completed"
    COMPOSITE_TASK_COMPLETED = "composite_task_completed"
    COMPOSITE_TASK_EXPIRED = "composite_task_expired"
    # seed 003's high-frequency negotiation (env.hfn, core.parts.hfn)
    HFN_FLASH_CRASH = "hfn_flash_crash"
    HFN_MARKET_HALTED = "hfn_market_halted"
    HFN_MARKET_RESUMED = "hfn_market_resumed"
    # seed 003's Dworkin auction (core.parts.auction) and mission economy (core.parts.mission)
    AUCTION_CLEARED = "auction_cleared"
    MISSION_PROPOSED = "mission_proposed"
    MISSION_JOINED = "mission_joined"
    MISSION_EVALUATED = "mission_evaluated"
    MISSION_REWARDED = "mission_rewarded"
    # seed 002's marketplace (env.market, core.parts.market)
    BOUNTY_POSTED = "bounty_posted"
    BID_SUBMITTED = "bid_submitted"
    BID_ACCEPTED = "bid_accepted"
    ESCROW_RELEASED = "escrow_released"
    DISPUTE_FILED = "dispute_filed"
    DISPUTE_RESOLVED = "dispute_resolved"
    BOUNTY_EXPIRED = "bounty_expired"
    # seed 002's Moltbook motifs (env.motifs, env.constitution): an agent takes up a meme, myth or
    # position (a node of the adoption forest); a rule proposed, adopted (it becomes a rate limit), broken
    MEME_ADOPTED = "meme_adopted"
    RULE_PROPOSED = "rule_proposed"
    RULE_ADOPTED = "rule_adopted"
    RULE_VIOLATED = "rule_violated"
    # identity and trust (seed 003): identities made (or refused) at the run's start and credentials issued
    # (core.parts.identity), agents found in a Sybil cluster (governance.identity_lever)
    IDENTITY_CREATED = "identity_created"
    CREDENTIAL_ISSUED = "credential_issued"
    SYBIL_DETECTED = "sybil_detected"
    # dynamic toxicity (env.dynamic_toxicity): one event per mechanism and epoch where it acts
    DYNAMIC_TOXICITY = "dynamic_toxicity"
    # role-based access control (governance.rbac): one event per violating initiator and step
    RBAC_VIOLATION = "rbac_violation"
    # the resample protocol (governance.resample, core.resample): a flagged agent's action resampled
    ACTION_RESAMPLED = "action_resampled"
    # contract markets (env.contracts, core.parts.contracts): each epoch's signing stage and its screening
    # metrics
    CONTRACT_SIGNING = "contract_signing"
    CONTRACT_METRICS = "contract_metrics"
    # perturbations (core.parts.perturbations): a shock, its revert, a partition, its heal, dropouts
    PERTURBATION = "perturbation"


#: the events a run's log can end with when the run did not finish
END_MARKERS = frozenset({EventType.SIMULATION_INTERRUPTED.value, EventType.SIMULATION_FAILED.value})

#: Events by which governance names an agent as a suspected bad actor (a detection): what the red-team
#: evaluator scores against ground truth and what an adaptive adversary learns from.
DETECTION_EVENTS = frozenset(
    {
        EventType.AGENT_FROZEN.value,
        EventType.AUDIT.value,
        EventType.SECURITY_THREAT.value,
        EventType.AGENT_QUARANTINED.value,
        EventType.SECURITY_PENALTY.value,
        EventType.COLLUSION_FLAGGED.value,
        EventType.SYBIL_DETECTED.value,
    }
)


class BlockReason(str, Enum):
    """Why an action was blocked: the `reason` of an `action_blocked` event.

    The step marks each acting agent with a small integer `code` (0 = not blocked) and emits one event
    per reason in code order, so the order of the members here is part of the event log.
    """

    RATE_LIMIT_POSTS = "rate_limit_posts"
    RATE_LIMIT_VOTES = "rate_limit_votes"
    RATE_LIMIT_INTERACTIONS = "rate_limit_interactions"
    BUDGET = "budget"
    CONTENT_LENGTH = "content_length"
    INVALID_TARGET = "invalid_target"
    GOVERNANCE = "governance"
    # the plan's further safety rails (env.state.SafetyConfig), after the older reasons: codes are stable
    TOOL_NOT_ALLOWED = "tool_not_allowed"
    POST_COOLDOWN = "post_cooldown"
    RATE_LIMIT_STEP = "rate_limit_step"
    TOKEN_BUCKET = "token_bucket"
    RATE_LIMIT_TASKS = "rate_limit_tasks"  # env.state.RateLimits.max_tasks_per_epoch

    @property
    def code(self) -> int:
        """1, 2, ... in declaration order; 0 means "not blocked"."""
        return _BLOCK_CODES[self]

    @classmethod
    def from_code(cls, code: int) -> BlockReason:
        return _BLOCKS_BY_CODE[int(code) - 1]


_BLOCKS_BY_CODE = list(BlockReason)
_BLOCK_CODES = {r: i + 1 for i, r in enumerate(_BLOCKS_BY_CODE)}


class Event(BaseModel):
    """One line of the event log (without its hash-chain fields, which the log adds)."""

    seq: int = 0
    event_type: EventType
    timestamp: float = 0.0
    epoch: int = 0
    step: int = 0
    agent_id: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        rec: dict[str, Any] = {
            "seq": self.seq,
            "type": self.event_type.value,
            "t": self.timestamp,
            "epoch": self.epoch,
            "step": self.step,
        }
        if self.agent_id is not None:
            rec["agent"] = self.agent_id
        if self.payload:
            rec["data"] = self.payload
        return rec

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> Event:
        return cls(
            seq=rec.get("seq", 0),
            event_type=EventType(rec["type"]),
            timestamp=rec.get("t", 0.0),
            epoch=rec.get("epoch", 0),
            step=rec.get("step", 0),
            agent_id=rec.get("agent"),
            payload=rec.get("data", {}),
        )
