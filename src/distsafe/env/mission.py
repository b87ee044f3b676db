"""Seed 003's mission economy: missions with measurable objectives that agents propose, join and
contribute interactions to; evaluation against the objectives, rewards by the equal, proportional or
Shapley rule, and the free-rider index.

Contributions are interactions labelled by the soft-label pipeline: each carries its p and whether it was
accepted. The objective metrics over a set of contributions (`OBJECTIVE_METRICS`):

    avg_p            mean p                     min_p            smallest p
    total_count      number of contributions    acceptance_rate  accepted / count
    total_welfare    sum of p * 2.0 - (1 - p) * 1.0  (= 3 sum p - count)

The mission score is the weighted mean over its objectives of 1 (met: actual >= target) or
actual / target (targets are > 0). All objectives met: the mission succeeds (at any evaluation); at the
deadline with some unmet it fails.

Rewards (only for a succeeded mission; `distribute_rewards`):
  - equal: the pool split evenly among the members with at least one contribution;
  - proportional: by count x average p (= the sum of the member's p), the seed's quality-weighted share;
    an all-zero total falls back to equal, so the pool is always paid out;
  - shapley: the Shapley value of the coalition game v(S) = reward_pool * score(contributions of S),
    so the rewards sum to v(all members) = the pool for a succeeded mission. Exact over the 2^n
    coalitions for n <= `shapley_exact_max` members; beyond, the mean marginal contribution over
    `shapley_samples` random orders of the members. Both are exactly efficient (each order's marginals
    telescope to v(N)), exactly 0 for a member with no contributions (adding it changes no statistic),
    and exactly symmetric: members with identical contributions' statistics are interchangeable in v, and
    the sampled values are averaged over each such group. A member whose contributions lower the score
    (low p against an avg_p target) can get a negative Shapley value: that is a charge, paid to the
    others, and the total still equals the pool. Sampling error on the other members is O(1/sqrt(T)).

The free-rider index is the Gini of the contribution counts over all members (those who contributed
nothing included): 0 = equal effort, -> 1 = one member did everything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

import numpy as np
from pydantic import ConfigDict, Field

from distsafe.env.fairness import gini_coefficient
from distsafe.env.mission_value import (
    OBJECTIVE_METRICS,
    MemberStats,
    mission_scores,
    objective_values,
    shapley_values,
)
from distsafe.models.config_base import ConfigModel


class MissionStatus(str, Enum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"


OPEN = (MissionStatus.PROPOSED, MissionStatus.ACTIVE)


class MissionConfig(ConfigModel):
    """The seed's mission settings, and where exact Shapley values stop."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    min_participants: int = Field(default=2, ge=1)
    max_active_missions: int = Field(default=5, ge=1)
    reward_distribution: Literal["equal", "proportional", "shapley"] = "proportional"
    #: Shapley values exact over all coalitions up to this many members (2^n coalitions), sampled beyond
    shapley_exact_max: int = Field(default=10, ge=1, le=16)
    #: random member orders of the sampled Shapley values
    shapley_samples: int = Field(default=500, ge=1, le=100_000)
    #: seed of the sampling when the caller passes no random generator
    shapley_seed: int = Field(default=0, ge=0)


@dataclass
class MissionObjective:
    """A measurable objective: `target_metric` (one of OBJECTIVE_METRICS) reaching `target_value` (> 0)."""

    objective_id: str = ""
    description: str = ""
    target_metric: str = "avg_p"
    target_value: float = 0.7
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.target_metric not in OBJECTIVE_METRICS:
            raise ValueError(
                f"unknown objective metric {self.target_metric!r} (known: {', '.join(OBJECTIVE_METRICS)})"
            )
        for name in ("target_value", "weight"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v <= 0:
                raise ValueError(f"objective {name} must be a finite number > 0, got {v!r}")
            setattr(self, name, float(v))

    def to_dict(self) -> dict[str, Any]:
        return {
            "objective_id": self.objective_id,
            "description": self.description,
            "target_metric": self.target_metric,
            "target_value": self.target_value,
            "weight": self.weight,
        }


@dataclass
class Mission:
    """A mission, its members (in joining order) and its contributions (one entry per interaction)."""

    mission_id: str
    name: str
    objectives: list[MissionObjective]
    coordinator_id: str
    reward_pool: float
    deadline_epoch: int
    created_epoch: int = 0
    status: MissionStatus = MissionStatus.PROPOSED
    participants: list[str] = field(default_factory=list)
    contrib_agent: list[str] = field(default_factory=list)
    contrib_id: list[str] = field(default_factory=list)
    contrib_p: list[float] = field(default_factory=list)
    contrib_accepted: list[bool] = field(default_factory=list)
    rewarded: bool = False

    @property
    def contributions(self) -> dict[str, list[str]]:
        """Interaction ids by contributing member (the seed's field)."""
        out: dict[str, list[str]] = {}
        for a, i in zip(self.contrib_agent, self.contrib_id, strict=True):
            out.setdefault(a, []).append(i)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "mission_id": self.mission_id,
            "name": self.name,
            "objectives": [o.to_dict() for o in self.objectives],
            "coordinator_id": self.coordinator_id,
            "participants": list(self.participants),
            "reward_pool": self.reward_pool,
            "deadline_epoch": self.deadline_epoch,
            "status": self.status.value,
            "created_epoch": self.created_epoch,
            "contribution_counts": {k: len(v) for k, v in self.contributions.items()},
        }


def _agent(name: str, agent_id: Any) -> str:
    if not isinstance(agent_id, str) or not agent_id:
        raise ValueError(f"{name} must be a non-empty string, got {agent_id!r}")
    return agent_id


class MissionEconomy:
    """The seed's `MissionEconomy`: propose, join, contribute, evaluate, reward, free-rider index."""

    def __init__(self, config: MissionConfig | None = None, rng: np.random.Generator | None = None) -> None:
        self.config = config if config is not None else MissionConfig()
        self.rng = rng if rng is not None else np.random.default_rng(self.config.shapley_seed)
        self.missions: dict[str, Mission] = {}

    # ---- lifecycle -------------------------------------------------------------------------------------
    def propose_mission(
        self,
        coordinator_id: str,
        name: str,
        objectives: list[MissionObjective],
        reward_pool: float,
        deadline_epoch: int,
        current_epoch: int = 0,
    ) -> Mission | None:
        """A new mission with the coordinator as its first member; None when `max_active_missions` are
        open. ValueError (one line) on a bad argument."""
        _agent("coordinator_id", coordinator_id)
        if not objectives or not all(isinstance(o, MissionObjective) for o in objectives):
            raise ValueError("a mission needs at least one MissionObjective")
        if isinstance(reward_pool, bool) or not isinstance(reward_pool, int | float) or not (
                math.isfinite(reward_pool) and reward_pool > 0):  # fmt: skip
            raise ValueError(f"reward_pool must be a finite number > 0, got {reward_pool!r}")
        if not isinstance(current_epoch, int) or current_epoch < 0:
            raise ValueError(f"current_epoch must be an integer >= 0, got {current_epoch!r}")
        if not isinstance(deadline_epoch, int) or deadline_epoch <= current_epoch:
            raise ValueError(
                f"deadline_epoch must be an integer after epoch {current_epoch}, got {deadline_epoch!r}"
            )
        if len(self.get_active_missions()) >= self.config.max_active_missions:
            return None
        mid = f"mission_{len(self.missions) + 1}"
        objs = [
            MissionObjective(o.objective_id or f"{mid}_objective_{k + 1}", o.description, o.target_metric,
                             o.target_value, o.weight)
            for k, o in enumerate(objectives)
        ]  # fmt: skip
        status = MissionStatus.ACTIVE if self.config.min_participants <= 1 else MissionStatus.PROPOSED
        mission = Mission(mid, str(name), objs, coordinator_id, float(reward_pool), deadline_epoch,
                          current_epoch, status, [coordinator_id])  # fmt: skip
        self.missions[mid] = mission
        return mission

    def _get(self, mission_id: str) -> Mission:
        mission = self.missions.get(mission_id) if isinstance(mission_id, str) else None
        if mission is None:
            raise ValueError(f"unknown mission {mission_id!r}")
        return mission

    def join_mission(self, agent_id: str, mission_id: str) -> bool:
        """Add a member; False when the mission is closed. ValueError on an unknown mission or a member
        joining twice. The mission becomes active at `min_participants` members."""
        return self.join_missions([agent_id], mission_id) == 1

    def join_missions(self, agent_ids: Sequence[str], mission_id: str) -> int:
        """Add many members at once (all checked first: nothing is half-applied); returns how many joined
        (0 when the mission is closed)."""
        mission = self._get(mission_id)
        have = set(mission.participants)
        for a in agent_ids:
            _agent("agent_id", a)
            if a in have:
                raise ValueError(f"agent {a!r} is already a member of {mission_id}")
            have.add(a)
        if mission.status not in OPEN:
            return 0
        mission.participants.extend(agent_ids)
        if (
            mission.status == MissionStatus.PROPOSED
            and len(mission.participants) >= self.config.min_participants
        ):
            mission.status = MissionStatus.ACTIVE
        return len(agent_ids)

    def record_contribution(self, agent_id: str, mission_id: str, interaction: Any) -> bool:
        """Record one interaction (anything with `interaction_id`, `p`, `accepted`) as `agent_id`'s
        contribution; False when the mission is not active."""
        for attr in ("interaction_id", "p", "accepted"):
            if not hasattr(interaction, attr):
                raise ValueError(f"a contribution needs an interaction with `{attr}`")
        return (
            self.record_contributions(
                mission_id,
                [agent_id],
                [str(interaction.interaction_id)],
                [interaction.p],
                [interaction.accepted],
            )
            == 1
        )

    def record_contributions(
        self, mission_id: str, agent_ids: Sequence[str], interaction_ids: Sequence[str], p: Any, accepted: Any
    ) -> int:
        """Record many contributions at once (all checked first: nothing is half-applied); returns how
        many were recorded (0 when the mission is not active)."""
        mission = self._get(mission_id)
        pv = np.asarray(p, dtype=np.float64).ravel()
        acc = np.asarray(accepted, dtype=bool).ravel()
        k = len(agent_ids)
        if not (len(interaction_ids) == pv.shape[0] == acc.shape[0] == k):
            raise ValueError("agent_ids, interaction_ids, p and accepted must have one length")
        if k and (not np.all(np.isfinite(pv)) or pv.min() < 0 or pv.max() > 1):
            raise ValueError("every contribution's p must be a finite number in [0, 1]")
        members = set(mission.participants)
        outsiders = [a for a in agent_ids if a not in members]
        if outsiders:
            raise ValueError(f"agent {outsiders[0]!r} is not a member of {mission_id}")
        seen = set(mission.contrib_id)
        dup = [i for i in interaction_ids if i in seen]
        if dup or len(set(interaction_ids)) != k:
            raise ValueError(
                f"interaction {(dup or list(interaction_ids))[0]!r} is already a contribution to {mission_id}"
            )
        if mission.status != MissionStatus.ACTIVE:
            return 0
        mission.contrib_agent.extend(agent_ids)
        mission.contrib_id.extend(str(i) for i in interaction_ids)
        mission.contrib_p.extend(pv.tolist())
        mission.contrib_accepted.extend(acc.tolist())
        return k

    # ---- measurement ----------------------------------------------------------------------------------
    def member_stats(self, mission_id: str, interactions: Sequence[Any] | None = None) -> MemberStats:
        """Each member's contribution statistics; with `interactions`, their p and acceptance are read from
        it and contributions missing from it are left out (the seed's reading)."""
        m = self._get(mission_id)
        p = np.asarray(m.contrib_p, dtype=np.float64)
        acc = np.asarray(m.contrib_accepted, dtype=bool)
        keep = np.ones(p.shape[0], dtype=bool)
        if interactions is not None:
            by_id = {str(i.interaction_id): i for i in interactions}
            for k, cid in enumerate(m.contrib_id):
                hit = by_id.get(cid)
                keep[k] = hit is not None
                if hit is not None:
                    p[k], acc[k] = float(hit.p), bool(hit.accepted)
        index = {a: k for k, a in enumerate(m.participants)}
        who = np.array([index[a] for a in m.contrib_agent], dtype=np.int64)[keep]
        n = len(m.participants)
        pk, ak = p[keep], acc[keep]
        min_p = np.full(n, np.inf)
        np.minimum.at(min_p, who, pk)
        return MemberStats(
            list(m.participants), np.bincount(who, minlength=n), np.bincount(who, weights=pk, minlength=n),
            min_p, np.bincount(who, weights=ak.astype(np.float64), minlength=n),
        )  # fmt: skip

    def evaluate_mission(
        self, mission_id: str, interactions: Sequence[Any] | None = None, current_epoch: int = 0
    ) -> dict[str, Any]:
        """Score the mission against its objectives; it succeeds when all are met, fails when some are
        unmet at its deadline, else stays open."""
        m = self._get(mission_id)
        st = self.member_stats(mission_id, interactions)
        tot = (np.array([st.count.sum()]), np.array([st.sum_p.sum()]),
               np.array([st.min_p.min(initial=np.inf)]), np.array([st.n_accepted.sum()]))  # fmt: skip
        rows = []
        for o in m.objectives:
            actual = float(objective_values(o.target_metric, *tot)[0])
            rows.append({"objective_id": o.objective_id, "target_metric": o.target_metric,
                         "target_value": o.target_value, "actual_value": actual,
                         "met": actual >= o.target_value, "weight": o.weight})  # fmt: skip
        score = float(mission_scores(m.objectives, *tot)[0])
        all_met = all(r["met"] for r in rows)
        if m.status in OPEN:
            if all_met and m.status == MissionStatus.ACTIVE:
                m.status = MissionStatus.SUCCEEDED
            elif current_epoch >= m.deadline_epoch:
                m.status = MissionStatus.FAILED
        return {
            "mission_id": mission_id,
            "mission_score": score,
            "objectives": rows,
            "all_objectives_met": all_met,
            "total_contributions": int(st.count.sum()),
            "participants": len(m.participants),
            "status": m.status.value,
        }

    def distribute_rewards(
        self, mission_id: str, interactions: Sequence[Any] | None = None
    ) -> dict[str, float]:
        """Rewards of a succeeded mission by the configured rule ({} otherwise), once per mission."""
        m = self._get(mission_id)
        if m.status != MissionStatus.SUCCEEDED:
            return {}
        if m.rewarded:
            raise ValueError(f"{mission_id}'s rewards were already distributed")
        st = self.member_stats(mission_id, interactions)
        rewards = self.rewards_from_stats(m, st)
        m.rewarded = True
        return rewards

    def rewards_from_stats(self, m: Mission, st: MemberStats) -> dict[str, float]:
        """The configured rule over `st` (the members with a contribution; the Shapley values of all)."""
        contributed = st.count > 0
        if not contributed.any():
            return {}
        rule = self.config.reward_distribution
        if rule == "shapley":

            def value(c: np.ndarray, s: np.ndarray, lo: np.ndarray, a: np.ndarray) -> np.ndarray:
                return m.reward_pool * mission_scores(m.objectives, c, s, lo, a)

            phi, _ = shapley_values(
                st, value, self.config.shapley_exact_max, self.config.shapley_samples, self.rng
            )
            return {a: float(phi[k]) for k, a in enumerate(st.members) if contributed[k]}
        weight = contributed.astype(np.float64)
        if rule == "proportional" and float(st.sum_p[contributed].sum()) > 0:
            weight = np.where(contributed, st.sum_p, 0.0)
        share = m.reward_pool * weight / weight.sum()
        return {a: float(share[k]) for k, a in enumerate(st.members) if contributed[k]}

    def free_rider_index(self, mission_id: str) -> float:
        """Gini of the members' contribution counts (members with none included)."""
        return gini_coefficient(self.member_stats(mission_id).count)

    # ---- queries ------------------------------------------------------------------------------------
    def get_mission(self, mission_id: str) -> Mission | None:
        return self.missions.get(mission_id)

    def get_active_missions(self) -> list[Mission]:
        """The open missions (proposed or active), in proposal order."""
        return [m for m in self.missions.values() if m.status in OPEN]

    def expire_missions(self, current_epoch: int) -> list[str]:
        """Mark open missions past their deadline expired; their ids."""
        out = []
        for m in self.get_active_missions():
            if current_epoch >= m.deadline_epoch:
                m.status = MissionStatus.EXPIRED
                out.append(m.mission_id)
        return out
