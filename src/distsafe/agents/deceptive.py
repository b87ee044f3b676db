"""Deceptive: builds trust, then exploits it. For `trust_epochs` epochs it behaves like an honest agent
(effort 0.95, fair prices); from then on it sells mostly trades at a premium (`exploit_price`), delivers
little (`exploit_effort`), games the observable signals (`exploit_boost`) and targets the most reputable
partners it can find. The switch shows in the per-epoch metrics as a jump in toxicity."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from distsafe.agents.policies import GroupView, PolicyParams, ScriptedPolicy
from distsafe.agents.scripted import ScriptedAgent
from distsafe.models.agent import AgentType


class DeceptiveParams(PolicyParams):
    trust_epochs: int = Field(default=3, ge=0)
    exploit_effort: float = Field(default=0.1, ge=0, le=1)
    exploit_boost: float = Field(default=0.5, ge=0, le=1)
    exploit_price: float = Field(default=1.0, ge=0)
    exploit_trade_fraction: float = Field(default=0.8, ge=0, le=1)


class DeceptivePolicy(ScriptedPolicy):
    agent_type = AgentType.DECEPTIVE
    default_params = DeceptiveParams(
        effort=0.95, signal_boost=0.0, tau=0.3, price=0.5, min_partner_reputation=-0.5, candidates=6
    )

    def exploiting(self, epoch: int) -> bool:
        return epoch >= self.params.trust_epochs

    def trade_fraction(self, view: GroupView) -> float:
        p = self.params
        return p.exploit_trade_fraction if self.exploiting(view.epoch) else p.trade_fraction

    def price(self, view: GroupView) -> float:
        p = self.params
        return p.exploit_price if self.exploiting(view.epoch) else p.price

    def effort_and_boost(self, view: GroupView) -> tuple[np.ndarray, np.ndarray]:
        n = view.members.shape[0]
        p = self.params
        if self.exploiting(view.epoch):
            return np.full(n, p.exploit_effort), np.full(n, p.exploit_boost)
        return np.full(n, p.effort), np.full(n, p.signal_boost)


class DeceptiveAgent(ScriptedAgent):
    agent_type = AgentType.DECEPTIVE
    policy_class = DeceptivePolicy
