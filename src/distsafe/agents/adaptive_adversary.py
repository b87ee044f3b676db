"""Adaptive adversary (seed 001, "Adversarial Red-Teaming"): an attacker that learns which of the seed's
attack strategies evades the detectors in force.

Each member plays one `AttackStrategy` per epoch. At the epoch's end (`learn_epoch`, called by the engine
with the "adversary" random stream) each member's reward is

    reward = damage_weight x damage + payoff - detection_cost x detected

(damage: the harm h of its accepted initiations whose hidden outcome was bad; payoff: its realized payoff
of the epoch, penalties included; detected: 1 if any lever named it this epoch: `DETECTION_EVENTS`), and the
group's value of each strategy played moves toward the mean reward of its players (a bandit's averaging
update, rate `learning_rate`). Heat is each member's detection risk, heat <- heat_decay x heat + (1 -
heat_decay) x detected. Next epoch a member whose heat exceeds `heat_threshold` lays low (LOW_PROFILE);
the others explore (a uniform strategy) with probability `exploration_rate`, else draw from the softmax of
the values at `temperature`. In the first epoch the members take the strategies in turn (each is tried).

What the strategies do (effort: P(good outcome) of its work; the engine draws the rest):
    reputation_farming   diligent work (0.9) until its reputation reaches `farm_reputation`, then harm (0.05)
    collusion            half its proposals go to allies as good work (boosting them), the rest harm outsiders
    low_profile          proposes a third as often as the others; harmful work
    mimicry              middling work (0.55) that passes for an honest agent's bad days
    threshold_dancing    work just good enough to keep its toxicity 0.1 under the lowest threshold it can
                         see (the circuit breaker's, the audit's)
    timing_attack        good work in the epoch's first half, harm in its second
    governance_gaming    harmful work with all signals gamed (boost 1.0), to slip past p-based rules
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import numpy as np
from pydantic import Field, field_validator

from distsafe.agents.attackers import AllyAcceptingPolicy
from distsafe.agents.policies import PROPOSE, ActionArrays, Decision, GroupView, PolicyParams
from distsafe.agents.scripted import ScriptedAgent
from distsafe.models.agent import AgentType


class AttackStrategy(str, Enum):
    REPUTATION_FARMING = "reputation_farming"
    COLLUSION = "collusion"
    LOW_PROFILE = "low_profile"
    MIMICRY = "mimicry"
    THRESHOLD_DANCING = "threshold_dancing"
    TIMING_ATTACK = "timing_attack"
    GOVERNANCE_GAMING = "governance_gaming"


STRATEGIES: tuple[AttackStrategy, ...] = tuple(AttackStrategy)
_LOW = STRATEGIES.index(AttackStrategy.LOW_PROFILE)
_HARM, _GOOD = 0.05, 0.9


class AdaptiveParams(PolicyParams):
    exploration_rate: float = Field(default=0.2, ge=0, le=1)
    heat_threshold: float = Field(default=0.6, ge=0, le=1)
    heat_decay: float = Field(default=0.5, ge=0, le=1)
    detection_cost: float = Field(default=5.0, ge=0, description="reward lost when detected")
    damage_weight: float = Field(default=1.0, ge=0, description="reward per unit of harm done")
    farm_reputation: float = Field(default=0.5, description="reputation_farming: reputation to reach first")
    strategies: list[str] = Field(
        default_factory=lambda: [s.value for s in STRATEGIES], min_length=1, description="strategies to use"
    )

    @field_validator("strategies")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        known = [s.value for s in STRATEGIES]
        for name in v:
            if name not in known:
                raise ValueError(f"unknown attack strategy {name!r}; known: {', '.join(known)}")
        return v


class AdaptiveAdversaryPolicy(AllyAcceptingPolicy):
    agent_type = AgentType.ADAPTIVE_ADVERSARY
    default_params = AdaptiveParams(
        learning_rate=0.1, temperature=1.0, p_interact=0.6, p_post=0.05, p_reply=0.05, p_vote=0.1,
        p_claim=0.05, trade_fraction=0.5, price=0.6, tau=0.0, candidates=6,
    )  # fmt: skip
    params: AdaptiveParams

    def __init__(self, params: PolicyParams | dict[str, Any] | None = None, roles: list[str] | None = None):
        super().__init__(params, roles)
        k = len(STRATEGIES)
        self.allowed = np.array([s.value in self.params.strategies for s in STRATEGIES])
        self.q = np.zeros(k)
        self.plays = np.zeros(k, dtype=np.int64)
        self.detections = np.zeros(k, dtype=np.int64)
        self.reward_sum = np.zeros(k)
        self.strategy = np.zeros(0, dtype=np.int64)  # per agent row; -1: not yet assigned
        self.heat = np.zeros(0)
        self._turn = 0

    def n_variants(self) -> int:
        return 0  # learning is its own (learn_epoch), not the payoff-variant learner

    # ---- state per row ----------------------------------------------------------------------------------
    def _grow(self, n: int) -> None:
        if self.strategy.shape[0] < n:
            s = np.full(n, -1, dtype=np.int64)
            s[: self.strategy.shape[0]] = self.strategy
            h = np.zeros(n)
            h[: self.heat.shape[0]] = self.heat
            self.strategy, self.heat = s, h

    def strategies_of(self, rows: np.ndarray, n_agents: int) -> np.ndarray:
        """Each row's strategy index; rows seen for the first time take the allowed strategies in turn."""
        self._grow(n_agents)
        new = rows[self.strategy[rows] < 0]
        if new.size:
            allowed = np.flatnonzero(self.allowed)
            self.strategy[new] = allowed[(self._turn + np.arange(new.size)) % allowed.size]
            self._turn += int(new.size)
        out: np.ndarray = self.strategy[rows]
        return out

    # ---- acting ------------------------------------------------------------------------------------------
    def decide(self, view: GroupView) -> Decision:
        n = view.members.shape[0]
        p, inc = self.params, self.incentives
        s = self.strategies_of(view.members, len(view.agents))
        rep = view.agents.reputation[view.members]
        thresholds = [1.0]
        if inc.breaker_on:
            thresholds.append(inc.freeze_threshold)
        if inc.audit_probability > 0:
            thresholds.append(1.0 - inc.audit_threshold)
        dance = float(np.clip(1.0 - (min(thresholds) - 0.1), _HARM, _GOOD)) if len(thresholds) > 1 else 0.6
        late = view.step >= max(inc.steps_per_epoch, 1) / 2
        effort = np.select(
            [s == 0, s == 1, s == 2, s == 3, s == 4, s == 5, s == 6],
            [np.where(rep < p.farm_reputation, _GOOD, _HARM), np.full(n, _HARM), np.full(n, _HARM),
             np.full(n, 0.55), np.full(n, dance), np.full(n, _HARM if late else _GOOD), np.full(n, _HARM)],
        )  # fmt: skip
        boost = np.where(s == 6, 1.0, np.where(s == 3, 0.3, 0.1))
        return Decision(
            effort=effort, boost=boost, participate=np.ones(n, dtype=bool),
            trade_fraction=np.full(n, p.trade_fraction), price=np.full(n, p.price),
        )  # fmt: skip

    def act_batch(self, view: GroupView) -> ActionArrays:
        out = super().act_batch(view)
        if view.members.shape[0] == 0:
            return out
        s = self.strategies_of(view.members, len(view.agents))
        prop = out.action == PROPOSE
        quiet = prop & (s == _LOW) & (view.rng.random(s.shape[0]) < 2.0 / 3.0)
        out.action[quiet] = 0
        collude = np.flatnonzero(out.action == PROPOSE)
        collude = collude[s[collude] == STRATEGIES.index(AttackStrategy.COLLUSION)]
        allies = view.group_rows
        if collude.size and allies.size >= 2:
            to_ally = view.rng.random(collude.size) < 0.5
            pick = allies[view.rng.integers(0, allies.size, collude.size)]
            ok = to_ally & (pick != view.members[collude])
            out.target[collude[ok]] = pick[ok]
            out.effort[collude[ok]] = _GOOD
        return out

    # ---- learning ----------------------------------------------------------------------------------------
    def learn_epoch(
        self,
        rows: np.ndarray,
        payoff: np.ndarray,
        damage: np.ndarray,
        detected: np.ndarray,
        rng: np.random.Generator,
    ) -> dict[str, Any] | None:
        """The epoch's update for the members `rows` (arrays aligned with it); the next epoch's strategies
        are drawn from `rng`. Returns the `adversary_updated` event's payload."""
        if rows.size == 0:
            return None
        p = self.params
        s = self.strategies_of(rows, int(rows.max()) + 1)
        det = detected.astype(np.float64)
        reward = p.damage_weight * damage + payoff - p.detection_cost * det
        k = len(STRATEGIES)
        n_k = np.bincount(s, minlength=k)
        mean = np.bincount(s, weights=reward, minlength=k) / np.maximum(n_k, 1)
        played = n_k > 0
        self.q[played] += p.learning_rate * (mean[played] - self.q[played])
        self.plays += n_k
        self.detections += np.bincount(s, weights=det, minlength=k).astype(np.int64)
        self.reward_sum += np.bincount(s, weights=reward, minlength=k)
        self.heat[rows] = p.heat_decay * self.heat[rows] + (1.0 - p.heat_decay) * det
        used = [STRATEGIES[i].value for i in s.tolist()]
        caught = [u for u, d in zip(used, det.tolist(), strict=True) if d]
        self.strategy[rows] = self.next_strategies(self.heat[rows], rng)
        return {
            "strategies_used": {name: used.count(name) for name in sorted(set(used))},
            "detected_by_strategy": {name: caught.count(name) for name in sorted(set(caught))},
            "values": [round(float(x), 6) for x in self.q],
            "detected": int(det.sum()),
            "mean_reward": round(float(reward.mean()), 6),
            "next": [STRATEGIES[i].value for i in self.strategy[rows][:20].tolist()],
        }

    def choice_probabilities(self) -> np.ndarray:
        """The softmax over the allowed strategies' values, mixed with uniform exploration."""
        p = self.params
        allowed = self.allowed
        z = np.where(allowed, self.q / max(p.temperature, 1e-9), -np.inf)
        w = np.exp(z - z[allowed].max())
        soft = w / w.sum()
        probs: np.ndarray = (1.0 - p.exploration_rate) * soft + p.exploration_rate * allowed / allowed.sum()
        return probs

    def next_strategies(self, heat: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = heat.shape[0]
        u = rng.random(n)  # one draw per member, whatever its heat: the stream does not depend on it
        cum = np.cumsum(self.choice_probabilities())
        pick = np.minimum(np.searchsorted(cum, u * cum[-1], side="right"), len(STRATEGIES) - 1)
        hot = (heat > self.params.heat_threshold) & self.allowed[_LOW]
        return np.where(hot, _LOW, pick)

    def strategy_report(self) -> dict[str, Any]:
        stats = {}
        for i, s in enumerate(STRATEGIES):
            if not self.allowed[i]:
                continue
            n = int(self.plays[i])
            stats[s.value] = {
                "value": float(self.q[i]),
                "plays": n,
                "detection_rate": float(self.detections[i]) / n if n else float("nan"),
                "mean_reward": float(self.reward_sum[i]) / n if n else float("nan"),
            }
        return {"strategy_stats": stats, "probabilities": self.choice_probabilities().tolist()}


class AdaptiveAdversary(ScriptedAgent):
    """The seed's object face: `AdaptiveAdversary(agent_id, learning_rate, exploration_rate, heat_threshold)`.
    In an engine it runs as a group of one; on its own, `update_from_outcome` teaches it directly."""

    agent_type = AgentType.ADAPTIVE_ADVERSARY
    policy_class = AdaptiveAdversaryPolicy
    policy: AdaptiveAdversaryPolicy

    def __init__(
        self,
        agent_id: str,
        learning_rate: float = 0.1,
        exploration_rate: float = 0.2,
        heat_threshold: float = 0.6,
        roles: list[str] | None = None,
        seed: int | None = None,
        **params: Any,
    ) -> None:
        super().__init__(
            agent_id, roles=roles, seed=seed, learning_rate=learning_rate, exploration_rate=exploration_rate,
            heat_threshold=heat_threshold, **params,
        )  # fmt: skip

    @property
    def heat_level(self) -> float:
        h = self.policy.heat
        return float(h.max()) if h.size else 0.0

    @property
    def current_strategy(self) -> AttackStrategy:
        s = self.policy.strategies_of(np.array([0]), 1)
        return STRATEGIES[int(s[0])]

    def update_from_outcome(
        self, payoff: float, penalty: float, detected: bool, strategy_used: AttackStrategy | str
    ) -> None:
        """Learn from one outcome of `strategy_used` (as the engine's epoch update does for a member)."""
        self.policy.strategies_of(np.array([0]), 1)
        self.policy.strategy[0] = STRATEGIES.index(AttackStrategy(strategy_used))
        self.policy.learn_epoch(
            np.array([0]), np.array([payoff - penalty]), np.zeros(1), np.array([bool(detected)]), self._rng
        )

    def get_strategy_report(self) -> dict[str, Any]:
        return {"heat_level": self.heat_level, "current_strategy": self.current_strategy.value,
                **self.policy.strategy_report()}  # fmt: skip
