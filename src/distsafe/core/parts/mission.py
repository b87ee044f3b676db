"""The mission economy in a run (env.mission; how it takes part: env.mission_run's docstring).

Scripted per agent type and vectorized over agents: coordinators propose at epoch starts, free agents
join with their type's rate, members propose mission work to fellow members with their type's rate each
step (those interactions, labelled and paid like any other, are the contributions), and every active
mission is evaluated at each epoch's end; a succeeded one pays its rewards through the members' resources.
Each agent row is in at most one mission (`member_of`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from distsafe.core.components import Component, ComponentWork
from distsafe.core.config import OrchestratorConfig
from distsafe.core.state import EngineState
from distsafe.env.mission import OPEN, Mission, MissionEconomy, MissionStatus
from distsafe.env.mission_run import MissionRunConfig
from distsafe.models.agent import AgentType
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType
from distsafe.models.schema import InteractionType


class MissionComponent(Component):
    """Missions proposed, joined, worked on, evaluated and rewarded inside a run."""

    name = "mission"

    def __init__(self, cfg: MissionRunConfig) -> None:
        self.cfg = cfg
        self.economy = MissionEconomy(cfg)
        self.objectives = [o.objective() for o in cfg.objectives]
        self.join_rate = np.array([cfg.join_rate_of(t.value) for t in AgentType])
        self.work_rate = np.array([cfg.work_rate_of(t.value) for t in AgentType])
        self.coordinator_codes = np.array(sorted({AgentType(t).code for t in cfg.coordinator_types}))
        self.member_of = np.zeros(0, dtype=np.int64)  # mission index by agent row (-1: none)
        self.missions: list[Mission] = []
        self.rows: list[list[int]] = []  # each mission's member rows, in joining order
        self.pending: np.ndarray = np.zeros(0, dtype=np.int64)  # mission index of this step's work rows
        self.epoch_counts: dict[str, float] = {}
        self.totals: dict[str, Any] = {"proposed": 0, "succeeded": 0, "failed": 0, "contributions": 0,
                                       "rewards_paid": 0.0, "public_funds": 0.0,
                                       "free_rider_index": []}  # fmt: skip

    def start(self, state: EngineState) -> None:
        # the sampled Shapley values draw from a child of the run's "mission" stream (spawning does not
        # advance it), so the reward rule does not change who joins or works: runs differ only by the rule
        self.economy.rng = state.rngs["mission"].spawn(1)[0]

    def _grow(self, n: int) -> None:
        if self.member_of.shape[0] < n:
            self.member_of = np.concatenate([self.member_of, np.full(n - self.member_of.shape[0], -1)])

    def begin_epoch(self, state: EngineState) -> None:
        a, epoch, rng = state.agents, state.env.epoch, state.rngs["mission"]
        n = len(a)
        self._grow(n)
        self.epoch_counts = dict.fromkeys(("proposed", "succeeded", "failed", "contributions", "rewards",
                                           "public", "free_rider_rewards"), 0.0)  # fmt: skip
        free = (self.member_of[:n] < 0) & ~a.frozen_mask(epoch)
        cfg = self.cfg
        if (
            epoch % cfg.propose_every == 0
            and len(self.economy.get_active_missions()) < cfg.max_active_missions
        ):
            ok = free & np.isin(a.type_code, self.coordinator_codes)
            if cfg.funding == "coordinator":
                ok &= a.resources >= cfg.reward_pool
            eligible = np.flatnonzero(ok)
            if eligible.size:
                self._propose(state, int(eligible[rng.integers(eligible.size)]), epoch)
                free = (self.member_of[:n] < 0) & ~a.frozen_mask(epoch)
        open_idx = [k for k, m in enumerate(self.missions) if m.status in OPEN]
        if not open_idx:
            return
        draw = rng.random(n)
        joiners = np.flatnonzero(free & (draw < self.join_rate[a.type_code]))
        pick = np.asarray(open_idx)[rng.integers(0, len(open_idx), joiners.size)]
        for k in open_idx:
            rows = joiners[pick == k]
            if rows.size == 0:
                continue
            m = self.missions[k]
            self.economy.join_missions([a.ids[int(r)] for r in rows], m.mission_id)
            self.rows[k].extend(int(r) for r in rows)
            self.member_of[rows] = k
            for r in rows.tolist():
                state.emit(EventType.MISSION_JOINED, r, {"mission": m.mission_id, "status": m.status.value})

    def _propose(self, state: EngineState, row: int, epoch: int) -> None:
        cfg = self.cfg
        who = state.agents.ids[row]
        m = self.economy.propose_mission(
            who, f"mission of {who}", self.objectives, cfg.reward_pool, epoch + cfg.duration_epochs, epoch
        )
        if m is None:
            return
        if cfg.funding == "coordinator":
            state.agents.resources[row] -= cfg.reward_pool  # escrow: paid out on success, refunded on failure
        self.missions.append(m)
        self.rows.append([row])
        self.member_of[row] = len(self.missions) - 1
        self.epoch_counts["proposed"] += 1
        self.totals["proposed"] += 1
        state.emit(EventType.MISSION_PROPOSED, row, {
            "mission": m.mission_id, "reward_pool": m.reward_pool, "deadline_epoch": m.deadline_epoch,
            "funding": cfg.funding, "objectives": [o.to_dict() for o in m.objectives],
        })  # fmt: skip

    def step(self, state: EngineState) -> ComponentWork | None:
        a, rng = state.agents, state.rngs["mission"]
        n = len(a)
        self._grow(n)
        frozen = a.frozen_mask(state.env.epoch)
        init_parts, cp_parts, mission_parts = [], [], []
        for k, m in enumerate(self.missions):
            if m.status != MissionStatus.ACTIVE or len(self.rows[k]) < 2:
                continue
            members = np.asarray(self.rows[k], dtype=np.int64)
            pos = np.flatnonzero(
                ~frozen[members] & (rng.random(members.size) < self.work_rate[a.type_code[members]])
            )
            if pos.size == 0:
                continue
            other = rng.integers(0, members.size - 1, pos.size)
            other += other >= pos  # a fellow member, not itself
            init_parts.append(members[pos])
            cp_parts.append(members[other])
            mission_parts.append(np.full(pos.size, k))
        if not init_parts:
            self.pending = np.zeros(0, dtype=np.int64)
            return None
        self.pending = np.concatenate(mission_parts)
        init = np.concatenate(init_parts)
        return ComponentWork(
            init, np.concatenate(cp_parts), np.zeros(init.size), itype=InteractionType.COLLABORATION
        )

    def resolved(self, state: EngineState, batch: InteractionBatch, rows: slice) -> None:
        ids = state.agents.ids
        prefix = f"e{state.env.epoch}s{state.env.step}r"
        for k in np.unique(self.pending).tolist():
            sel = np.flatnonzero(self.pending == k) + rows.start
            got = self.economy.record_contributions(
                self.missions[k].mission_id, [ids[int(r)] for r in batch.initiator[sel]],
                [f"{prefix}{j}" for j in sel.tolist()], batch.p[sel], batch.accepted[sel],
            )  # fmt: skip
            self.epoch_counts["contributions"] += got
            self.totals["contributions"] += got

    def end_epoch(self, state: EngineState, batch: InteractionBatch) -> dict[str, float]:
        a, epoch = state.agents, state.env.epoch
        c = self.epoch_counts or dict.fromkeys(("proposed", "succeeded", "failed", "contributions", "rewards",
                                                "public", "free_rider_rewards"), 0.0)  # fmt: skip
        fri, scores = [], []
        for k, m in enumerate(self.missions):
            if m.status not in OPEN:
                continue
            res = self.economy.evaluate_mission(m.mission_id, None, epoch + 1)
            fri.append(self.economy.free_rider_index(m.mission_id))
            scores.append(res["mission_score"])
            if m.status in OPEN:
                continue
            state.emit(EventType.MISSION_EVALUATED, self.rows[k][0], {
                "mission": m.mission_id, "status": m.status.value, "score": round(res["mission_score"], 9),
                "contributions": res["total_contributions"], "members": res["participants"],
                "free_rider_index": round(fri[-1], 9),
            })  # fmt: skip
            self.totals["free_rider_index"].append(fri[-1])
            if m.status == MissionStatus.SUCCEEDED:
                self._reward(state, k, m)
            else:
                c["failed"] += 1
                self.totals["failed"] += 1
                if self.cfg.funding == "coordinator":
                    a.resources[self.rows[k][0]] += m.reward_pool  # refund of the escrow
            self.member_of[np.asarray(self.rows[k])] = -1
        open_members = sum(len(self.rows[k]) for k, m in enumerate(self.missions)
                           if m.status in OPEN)  # fmt: skip
        nan = float("nan")
        return {
            "missions_active": float(len(self.economy.get_active_missions())),
            "missions_proposed": c["proposed"],
            "missions_succeeded": c["succeeded"],
            "missions_failed": c["failed"],
            "mission_members": float(open_members),
            "mission_contributions": c["contributions"],
            "mission_rewards_paid": c["rewards"],
            "mission_public_funds": c["public"],
            "mission_score": float(np.mean(scores)) if scores else nan,
            "free_rider_index": float(np.mean(fri)) if fri else nan,
            "free_rider_reward_share": c["free_rider_rewards"] / c["rewards"] if c["rewards"] else nan,
        }

    def _reward(self, state: EngineState, k: int, m: Mission) -> None:
        """Pay a succeeded mission's rewards through the members' resources; count its free riders' share."""
        c = self.epoch_counts
        st = self.economy.member_stats(m.mission_id)
        rewards = self.economy.distribute_rewards(m.mission_id)
        row_of = dict(zip(m.participants, self.rows[k], strict=True))
        mean = float(st.count.mean()) if st.count.size else 0.0
        riders = {a for a, cnt in zip(st.members, st.count.tolist(), strict=True)
                  if cnt < self.cfg.free_rider_threshold * mean}  # fmt: skip
        for agent_id, amount in rewards.items():
            state.agents.resources[row_of[agent_id]] += amount
        paid = float(sum(rewards.values()))
        c["succeeded"] += 1
        c["rewards"] += paid
        c["free_rider_rewards"] += float(sum(v for a, v in rewards.items() if a in riders))
        if self.cfg.funding == "public":
            c["public"] += paid
            self.totals["public_funds"] += paid
        elif paid < m.reward_pool - 1e-9:  # nothing contributed: the escrow goes back
            state.agents.resources[self.rows[k][0]] += m.reward_pool - paid
        self.totals["succeeded"] += 1
        self.totals["rewards_paid"] += paid
        state.emit(EventType.MISSION_REWARDED, self.rows[k][0], {
            "mission": m.mission_id, "rule": self.cfg.reward_distribution, "paid": round(paid, 9),
            "rewarded": len(rewards), "free_riders": len(riders),
        })  # fmt: skip

    def summary(self) -> dict[str, Any]:
        out = {k: v for k, v in self.totals.items() if k != "free_rider_index"}
        fri = self.totals["free_rider_index"]
        out["mean_free_rider_index"] = float(np.mean(fri)) if fri else float("nan")
        out["reward_distribution"] = self.cfg.reward_distribution
        return out


def make_mission(config: OrchestratorConfig) -> MissionComponent | None:
    """The mission economy when the run has a `missions:` section."""
    cfg = config.mission_config
    return None if cfg is None or not cfg.enabled else MissionComponent(cfg)
