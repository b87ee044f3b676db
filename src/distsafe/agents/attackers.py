"""Attacker: an agent that carries out one of seed 001's security threats (`threat`), so that the threats
are behaviours with traces in the log rather than labels. What each does, in the engine's own terms (the
engine draws the outcome from `effort` and the observables from the outcome, the gaming `boost` and the
tool misuse; it never reads the threat):

    prompt_injection          harmful work (effort 0.05) slipped into collaborations with the most
                              reputable of its candidates, with light gaming of the signals
    exfiltration              trades at a high price (the partner pays) whose work misuses tools: each
                              proposal adds `misuse_rate` to the rate of tool misuse flags
    manipulation              keeps targeting one victim (the most reputable outsider it first meets)
                              with harmful trades: reputation extraction and resource draining
    laundering                low-quality work (effort 0.3) dressed up (boost 0.8), always offered to the
                              most reputable agent among 12 candidates, whose acceptance lends it trust
    contagion                 a worm: each member passes harmful work on to the next member of its group
                              half of the time and to a fresh outsider otherwise, at a high rate, so
                              chains of low-quality interactions spread fast and deep

Attackers accept every proposal from their own group (allies) and refuse others' harmful-looking offers
as an honest agent would. They take part whatever the levers (an attacker's aim is the attack).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from distsafe.agents.policies import PROPOSE, ActionArrays, Decision, GroupView, PolicyParams, ScriptedPolicy
from distsafe.agents.scripted import ScriptedAgent
from distsafe.models.agent import AgentType
from distsafe.models.agent_table import AgentTable

Threat = Literal["prompt_injection", "exfiltration", "manipulation", "laundering", "contagion"]
THREATS: tuple[str, ...] = ("prompt_injection", "exfiltration", "manipulation", "laundering", "contagion")

#: the policy knobs each threat sets (what the user's params do not override)
_THREAT_KNOBS: dict[str, dict[str, float]] = {
    "prompt_injection": {"effort": 0.05, "signal_boost": 0.3, "trade_fraction": 0.2, "p_interact": 0.6},
    "exfiltration": {"effort": 0.3, "signal_boost": 0.2, "trade_fraction": 1.0, "price": 1.0,
                     "p_interact": 0.6},
    "manipulation": {"effort": 0.1, "signal_boost": 0.2, "trade_fraction": 0.8, "price": 0.8,
                     "p_interact": 0.6},
    "laundering": {"effort": 0.3, "signal_boost": 0.8, "trade_fraction": 0.3, "candidates": 12,
                   "p_interact": 0.6},
    "contagion": {"effort": 0.05, "signal_boost": 0.2, "trade_fraction": 0.2, "p_interact": 0.85,
                  "p_vote": 0.0},
}  # fmt: skip


class AttackerParams(PolicyParams):
    threat: Threat = "prompt_injection"
    misuse_rate: float = Field(default=2.0, ge=0, description="extra tool misuse flags per exfiltration")


class AllyAcceptingPolicy(ScriptedPolicy):
    """A threat group (attackers, adaptive adversaries) that accepts every proposal from its own members and
    the others by the base rule."""

    def accept_batch(
        self,
        agents: AgentTable,
        counterparties: np.ndarray,
        initiators: np.ndarray,
        tau: np.ndarray,
        itype: np.ndarray,
        group_rows: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        own = super().accept_batch(agents, counterparties, initiators, tau, itype, group_rows, rng)
        out: np.ndarray = np.isin(initiators, group_rows) | own
        return out


class CommittedThreatPolicy(AllyAcceptingPolicy):
    """A threat group that always acts, at its params' effort, gaming, trade share and price: its members
    attack whatever the levers make it cost (attackers, Sybil identities)."""

    def decide(self, view: GroupView) -> Decision:
        n = view.members.shape[0]
        p = self.params
        return Decision(
            effort=np.full(n, p.effort), boost=np.full(n, p.signal_boost), participate=np.ones(n, dtype=bool),
            trade_fraction=np.full(n, p.trade_fraction), price=np.full(n, p.price),
        )  # fmt: skip


class AttackerPolicy(CommittedThreatPolicy):
    agent_type = AgentType.ATTACKER
    default_params = AttackerParams(p_post=0.05, p_reply=0.05, p_vote=0.1, p_claim=0.05)
    params: AttackerParams

    def __init__(
        self, params: PolicyParams | dict[str, object] | None = None, roles: list[str] | None = None
    ):
        given = (
            params.model_dump(exclude_unset=True) if isinstance(params, PolicyParams) else dict(params or {})
        )
        threat = str(given.get("threat", "prompt_injection"))
        knobs: dict[str, Any] = dict(_THREAT_KNOBS.get(threat, {}))
        knobs.update(given)  # the user's own settings win
        super().__init__(knobs, roles)
        #: manipulation: each member's victim (agent row), -1 until chosen
        self.victim = np.zeros(0, dtype=np.int64)

    def choose_partners(self, view: GroupView, who: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        threat = self.params.threat
        if threat == "manipulation":
            return self._victims(view, who, candidates)
        if threat == "contagion":
            allies = view.group_rows
            out = candidates[:, 0].copy()
            if allies.size >= 2:
                pos = np.searchsorted(allies, who)
                nxt = allies[(np.minimum(pos, allies.size - 1) + 1) % allies.size]
                relay = view.rng.random(who.shape[0]) < 0.5
                out = np.where(relay, nxt, out)
            return out
        return super().choose_partners(view, who, candidates)

    def _victims(self, view: GroupView, who: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        n = len(view.agents)
        if self.victim.shape[0] < n:
            grown = np.full(n, -1, dtype=np.int64)
            grown[: self.victim.shape[0]] = self.victim
            self.victim = grown
        fresh = self.victim[who] < 0
        if fresh.any():
            cand = candidates[fresh]
            outsider = ~np.isin(cand, view.group_rows)
            rep = np.where(outsider, view.agents.reputation[cand], -np.inf)
            self.victim[who[fresh]] = cand[np.arange(cand.shape[0]), np.argmax(rep, axis=1)]
        out: np.ndarray = self.victim[who]
        return out

    def act_batch(self, view: GroupView) -> ActionArrays:
        out = super().act_batch(view)
        if self.params.threat == "exfiltration":
            out.misuse = np.where(out.action == PROPOSE, self.params.misuse_rate, 0.0)
        return out


class AttackerAgent(ScriptedAgent):
    agent_type = AgentType.ATTACKER
    policy_class = AttackerPolicy
