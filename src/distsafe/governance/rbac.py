"""Role-based access control (the reference's RBAC lever, its paper's section 3.1.8): each agent holds roles,
each role permits a set of actions, and some actions are high-stakes, needing a security clearance.

Every interaction of a step is checked against its initiator: the action that made it (`row_actions`: a
proposal is `propose_interaction`, a reply `reply`, a finished task's or a collaborator's work
`submit_output`, a component's row `propose_interaction`) must be permitted by one of the initiator's roles
(`rbac_role_action_map`, else the reference's default map), and when the action is listed in
`rbac_high_stakes_actions`, the initiator's clearance must be at least `rbac_security_clearance_required`.
A violation, accepted or refused, costs the initiator `rbac_violation_penalty` (c_a) and moves its reputation
by `rbac_violation_reputation_penalty` (r_a); both times `rbac_high_stakes_penalty_multiplier` when the
action is high-stakes. Roles and clearances are given per agent id prefix (`rbac_agent_roles`,
`rbac_security_clearances`: an agent `worker_3` matches the key `worker`, or its own id); an agent with no
roles is permitted nothing and an agent with no clearance has 0, which is what the reference's scenario
runner gives every agent (it assigns no roles and no clearances), so there every interaction it checks is a
violation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from distsafe.governance.config import GovernanceConfig
from distsafe.governance.levers import GovernanceContext, GovernanceLever
from distsafe.governance.rbac_actions import DEFAULT_ROLE_ACTIONS, action_bits
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType


def prefix_lookup(ids: Sequence[str], table: Mapping[str, object]) -> list[object | None]:
    """For each agent id: the value of the longest key of `table` that is the id itself or its prefix
    before an `_` (`worker` matches `worker_3`), else None."""
    keys = sorted(table, key=len, reverse=True)
    out: list[object | None] = []
    for aid in ids:
        hit = next((k for k in keys if aid == k or aid.startswith(k + "_")), None)
        out.append(table[hit] if hit is not None else None)
    return out


class RBACLever(GovernanceLever):
    name = "rbac"

    def __init__(self, config: GovernanceConfig) -> None:
        self.config = config
        role_map = config.rbac_role_action_map or DEFAULT_ROLE_ACTIONS
        self.role_bits = {role: action_bits(actions) for role, actions in role_map.items()}
        #: per agent row: the union of its roles' permitted actions (bit mask), its clearance
        self.permitted = np.zeros(0, dtype=np.int64)
        self.clearance = np.zeros(0, dtype=np.int64)
        self.violations = 0
        self.high_stakes_violations = 0
        self.penalty_total = 0.0
        self.epoch_violations = 0

    def _lookup(self, ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Permitted-action masks and clearances of these agent ids."""
        roles = prefix_lookup(ids, self.config.rbac_agent_roles)
        perm = [
            sum_bits([self.role_bits.get(r, 0) for r in rs]) if isinstance(rs, tuple) else 0 for rs in roles
        ]
        clear = [
            c if isinstance(c, int) else 0 for c in prefix_lookup(ids, self.config.rbac_security_clearances)
        ]
        return np.asarray(perm, dtype=np.int64), np.asarray(clear, dtype=np.int64)

    def _agent_rows(self, ctx: GovernanceContext) -> None:
        """Roles and clearances of the agent rows not yet seen (agents that entered since)."""
        ids = ctx.agents.ids
        done = self.permitted.shape[0]
        if done >= len(ids):
            return
        perm, clear = self._lookup([ids[i] for i in range(done, len(ids))])
        self.permitted = np.concatenate([self.permitted, perm])
        self.clearance = np.concatenate([self.clearance, clear])

    def reset_agents(self, ctx: GovernanceContext, rows: np.ndarray) -> None:
        """Rows taken by new agents: their roles and clearances are looked up again from their ids."""
        self._agent_rows(ctx)
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size:
            self.permitted[rows], self.clearance[rows] = self._lookup([ctx.agents.ids[int(r)] for r in rows])

    def on_epoch_start(self, ctx: GovernanceContext) -> None:
        self.epoch_violations = 0

    def on_interactions(self, ctx: GovernanceContext, batch: InteractionBatch) -> None:
        n = len(batch)
        if n == 0 or ctx.row_actions is None:
            return
        self._agent_rows(ctx)
        cfg = self.config
        codes = ctx.row_actions
        init = batch.initiator
        permitted = ((self.permitted[init] >> codes) & 1).astype(bool)
        high = ((action_bits(cfg.rbac_high_stakes_actions) >> codes) & 1).astype(bool)
        cleared = self.clearance[init] >= cfg.rbac_security_clearance_required
        violation = ~permitted | (high & ~cleared)
        if not violation.any():
            return
        scale = np.where(high, cfg.rbac_high_stakes_penalty_multiplier, 1.0)
        cost = np.where(violation, cfg.rbac_violation_penalty * scale, 0.0)
        rep = np.where(violation, cfg.rbac_violation_reputation_penalty * scale, 0.0)
        batch.c_a = batch.c_a + cost
        batch.r_a = batch.r_a + rep
        k = int(np.count_nonzero(violation))
        self.violations += k
        self.epoch_violations += k
        self.high_stakes_violations += int(np.count_nonzero(violation & high))
        self.penalty_total += float(cost.sum())
        # one event per violating initiator and step: its count, high-stakes count, cost and reputation moved
        rows = init[violation]
        agents, inv = np.unique(rows, return_inverse=True)
        counts = np.bincount(inv)
        n_high = np.bincount(inv, weights=high[violation].astype(np.float64))
        costs = np.bincount(inv, weights=cost[violation])
        reps = np.bincount(inv, weights=rep[violation])
        for j, row in enumerate(agents.tolist()):
            ctx.events.append(
                (
                    EventType.RBAC_VIOLATION.value,
                    int(row),
                    {
                        "violations": int(counts[j]),
                        "high_stakes": int(n_high[j]),
                        "penalty": float(costs[j]),
                        "reputation_penalty": float(reps[j]),
                    },
                )
            )

    def stats(self) -> dict[str, float]:
        return {
            "rbac_violations": float(self.violations),
            "rbac_high_stakes_violations": float(self.high_stakes_violations),
            "rbac_penalty_total": self.penalty_total,
        }

    def epoch_metrics(self) -> dict[str, float]:
        return {"rbac_violations": float(self.epoch_violations)}


def sum_bits(masks: Sequence[int]) -> int:
    """The union of bit masks."""
    out = 0
    for m in masks:
        out |= m
    return out
