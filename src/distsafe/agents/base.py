"""The agent interface of the seeds: `BaseAgent`, `Action`, `Observation`, `InteractionProposal`.

An agent written this way is one object answering one call per turn. The engine adapts such an agent
as a group of one; the built-in scripted types (honest, opportunistic, deceptive, adversarial) are also
available as vectorized group policies (`distsafe.agents.policies`) that the engine runs over numpy
arrays, and their `BaseAgent` classes delegate to those same policies, so both paths share one set of rules.

What an agent *really does* is in the action it returns: `effort` in [0, 1] is the probability that the
interaction's hidden true outcome is v = +1, and `signal_boost` in [0, 1] is how much it games the
observable signals (engagement, apparent progress) independently of v. The engine draws v and the noisy
observables from these numbers alone: it never reads an agent's type label.
"""

from __future__ import annotations

from abc import ABC
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any

from distsafe.models.agent import AgentState, AgentType
from distsafe.models.interaction import InteractionType


class ActionCode(IntEnum):
    """An `ActionType` as the int8 code of the engine's action column (same order as `ActionType`)."""

    NOOP = 0
    POST = 1
    REPLY = 2
    VOTE = 3
    PROPOSE_INTERACTION = 4
    CLAIM_TASK = 5


class ActionType(str, Enum):
    NOOP = "noop"
    POST = "post"
    REPLY = "reply"
    VOTE = "vote"
    PROPOSE_INTERACTION = "propose_interaction"
    CLAIM_TASK = "claim_task"

    @property
    def code(self) -> ActionCode:
        return _ACTION_CODES[self]

    @classmethod
    def from_code(cls, code: int) -> ActionType:
        return _ACTIONS_BY_CODE[int(code)]


_ACTIONS_BY_CODE = list(ActionType)
_ACTION_CODES = {t: ActionCode[t.name] for t in ActionType}


def _unit(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return value


@dataclass(frozen=True, kw_only=True)
class InteractionProposal:
    """An offer from `initiator_id` to `counterparty_id`. `tau` is the transfer the initiator pays."""

    initiator_id: str
    counterparty_id: str
    interaction_type: InteractionType = InteractionType.COLLABORATION
    tau: float = 0.0
    effort: float = 1.0
    signal_boost: float = 0.0
    content: str = ""
    # Public information the counterparty may use to decide (filled in by the engine).
    initiator_reputation: float = 0.0

    def __post_init__(self) -> None:
        _unit("effort", self.effort)
        _unit("signal_boost", self.signal_boost)


@dataclass(frozen=True, kw_only=True)
class Action:
    """One turn's action. Fields beyond `action_type` are used by the action types that need them."""

    action_type: ActionType = ActionType.NOOP
    agent_id: str = ""
    content: str = ""
    target_id: str = ""  # post id for reply/vote, agent id for propose_interaction, task id for claim_task
    vote: int = 0  # +1 / -1 for VOTE
    interaction_type: InteractionType = InteractionType.COLLABORATION
    tau: float = 0.0
    effort: float = 1.0
    signal_boost: float = 0.0
    # Free-form record for agents that want to explain themselves (LLM agents put their reasoning here).
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _unit("effort", self.effort)
        _unit("signal_boost", self.signal_boost)
        if self.action_type == ActionType.VOTE and self.vote not in (-1, 1):
            raise ValueError(f"vote must be +1 or -1, got {self.vote}")

    @classmethod
    def noop(cls, agent_id: str = "", reason: str = "") -> Action:
        return cls(
            action_type=ActionType.NOOP, agent_id=agent_id, metadata={"reason": reason} if reason else {}
        )

    def to_proposal(self, initiator_reputation: float = 0.0) -> InteractionProposal:
        return InteractionProposal(
            initiator_id=self.agent_id,
            counterparty_id=self.target_id,
            interaction_type=self.interaction_type,
            tau=self.tau,
            effort=self.effort,
            signal_boost=self.signal_boost,
            content=self.content,
            initiator_reputation=initiator_reputation,
        )


@dataclass(frozen=True, kw_only=True)
class VisiblePost:
    post_id: str
    author_id: str
    content: str
    votes: int
    replies: int
    age: int
    score: float
    parent_id: str | None = None
    #: what reading the post reveals of its quality (its author's effort); readers add their own noise
    quality_signal: float = 0.5
    author_reputation: float = 0.0


@dataclass(frozen=True, kw_only=True)
class VisibleTask:
    task_id: str
    bounty: float
    deadline_epoch: int
    difficulty: float


@dataclass(frozen=True, kw_only=True)
class PeerInfo:
    agent_id: str
    reputation: float


@dataclass(frozen=True, kw_only=True)
class Observation:
    """What one agent sees at its turn. Bounded in size: the top visible posts, a sample of peers."""

    agent_id: str
    epoch: int
    step: int
    state: AgentState
    visible_posts: tuple[VisiblePost, ...] = ()
    available_tasks: tuple[VisibleTask, ...] = ()
    peers: tuple[PeerInfo, ...] = ()
    posts_left: int = 0
    votes_left: int = 0
    interactions_left: int = 0


@dataclass(frozen=True, kw_only=True)
class InteractionOutcome:
    """What an agent learns after one of its interactions resolved (sent to `update_state`)."""

    interaction_id: str
    initiator_id: str
    counterparty_id: str
    accepted: bool
    p: float
    payoff: float
    as_initiator: bool
    epoch: int
    step: int


class BaseAgent(ABC):  # noqa: B024  (every method has a default; subclasses override some)
    """Seed-style agent: one object, one call per turn.

    Override `act` (or, in the plan's style, `select_action` and `propose_interaction`), and
    `accept_interaction`. `act_async` is what the engine awaits for agents with `is_async = True`
    (LLM agents); its default runs `act`.
    """

    agent_type: AgentType = AgentType.CUSTOM
    #: True for agents whose decisions come from I/O (LLM calls): the engine awaits them concurrently.
    is_async: bool = False

    def __init__(self, agent_id: str, roles: list[str] | None = None, **config: Any):
        if not agent_id:
            raise ValueError("agent_id must be a non-empty string")
        self.agent_id = agent_id
        self.roles = list(roles or [])
        self.config = dict(config)
        self.state = AgentState(agent_id=agent_id, agent_type=self.agent_type)
        self.history: list[InteractionOutcome] = []

    def __repr__(self) -> str:
        return f"{type(self).__name__}(agent_id={self.agent_id!r})"

    # ---- decisions --------------------------------------------------------------------------------------
    def act(self, observation: Observation) -> Action:
        proposal = self.propose_interaction(observation)
        if proposal is not None:
            return Action(
                action_type=ActionType.PROPOSE_INTERACTION,
                agent_id=self.agent_id,
                target_id=proposal.counterparty_id,
                interaction_type=proposal.interaction_type,
                tau=proposal.tau,
                effort=proposal.effort,
                signal_boost=proposal.signal_boost,
                content=proposal.content,
            )
        return self.select_action(observation)

    async def act_async(self, observation: Observation) -> Action:
        return self.act(observation)

    def select_action(self, observation: Observation) -> Action:
        return Action.noop(self.agent_id)

    def propose_interaction(self, observation: Observation) -> InteractionProposal | None:
        return None

    def accept_interaction(
        self, proposal: InteractionProposal, observation: Observation | None = None
    ) -> bool:
        return True

    # ---- feedback -----------------------------------------------------------------------------------------
    def update_state(self, outcome: InteractionOutcome) -> None:
        self.history.append(outcome)
        # Bounded memory: agents remember their recent outcomes only.
        if len(self.history) > 256:
            del self.history[:128]
