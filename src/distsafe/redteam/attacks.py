"""The attack library (seed 001's `AttackLibrary`): one attack per security threat (`agents.attackers`)
and per adaptive-adversary strategy (`agents.adaptive_adversary`, held to that one strategy), and the
adaptive adversary free to choose among all of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from distsafe.agents.adaptive_adversary import STRATEGIES
from distsafe.agents.attackers import THREATS


@dataclass(frozen=True)
class AttackScenario:
    """An attack: `count` agents of `agent_type` with `params`, planted among honest agents."""

    name: str
    agent_type: str
    count: int = 2
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def agent_block(self) -> dict[str, Any]:
        return {"type": self.agent_type, "count": self.count, "params": dict(self.params),
                "id_prefix": f"attack_{self.name}"}  # fmt: skip


class AttackLibrary:
    @staticmethod
    def threat_attacks() -> list[AttackScenario]:
        return [
            AttackScenario(f"threat_{t}", "attacker", 2, {"threat": t}, f"attackers carrying out {t}")
            for t in THREATS
        ]

    @staticmethod
    def strategy_attacks() -> list[AttackScenario]:
        return [
            AttackScenario(
                f"strategy_{s.value}",
                "adaptive_adversary",
                2,
                {"strategies": [s.value]},
                f"adversaries held to {s.value}",
            )  # fmt: skip
            for s in STRATEGIES
        ]

    @staticmethod
    def adaptive_attack() -> AttackScenario:
        return AttackScenario("adaptive", "adaptive_adversary", 2, {}, "adaptive adversaries, all strategies")

    @classmethod
    def get_all_attacks(cls) -> list[AttackScenario]:
        return [*cls.threat_attacks(), *cls.strategy_attacks(), cls.adaptive_attack()]
