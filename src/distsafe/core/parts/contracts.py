"""The engine's glue for contract markets (env.contracts; the reference's `contracts:` section): each epoch's
start the agents sign (or not) a governed contract; each step every interaction of the batch is routed to
a pool and gets that pool's terms before governance and payoffs (`before_payoffs`); each epoch's end the
pools' beliefs move and the screening metrics are measured. Draws (the signing noise, the audits) come
from the run's `contracts` stream. Events: one `contract_signing` per epoch (pool sizes by type, the
agents that changed pool), one `contract_metrics` per epoch (the screening metrics, audits); epoch fields
`contract_*` (metrics.epoch SECTION_METRICS["contracts"])."""

from __future__ import annotations

from typing import Any

import numpy as np

from distsafe.core.components import Component
from distsafe.core.config import OrchestratorConfig
from distsafe.core.state import EngineState
from distsafe.env.contracts import (
    ATTACK_THRESHOLD_P,
    DEFAULT,
    POOLS,
    ContractsConfig,
    choose_pools,
    contract_terms,
    route,
    screening_metrics,
    update_beliefs,
)
from distsafe.models.agent import AgentType
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType


class ContractMarket(Component):
    name = "contracts"

    def __init__(self, config: ContractsConfig):
        self.config = config
        self.beliefs = np.full(3, 0.5)
        self.pool_of = np.zeros(0, dtype=np.int8)  # each agent row's pool this epoch
        self.prev = np.zeros(0, dtype=np.int8)  # last epoch's (-1: none yet)
        self.paid = np.zeros(0)
        self._reset_tallies()
        self.totals = {"signed": 0, "switches": 0, "audits": 0, "audit_penalty": 0.0}
        self.last: dict[str, float] = {}

    def _reset_tallies(self) -> None:
        self.sum_p = np.zeros(3)
        self.count = np.zeros(3)
        self.welfare_sum = np.zeros(3)
        self.n_accepted = np.zeros(3)
        self.n_attacks = np.zeros(3)
        self.audits = 0
        self.penalty = 0.0

    def begin_epoch(self, state: EngineState) -> None:
        a = state.agents
        n = len(a)
        prev = np.full(n, -1, dtype=np.int8)
        prev[: self.prev.shape[0]] = self.prev[:n]
        self._reset_tallies()
        pool, paid, _ = choose_pools(
            a.type_code[:n], a.resources[:n], prev, self.beliefs, self.config, state.rngs["contracts"]
        )
        changed = np.flatnonzero((prev >= 0) & (prev != pool))
        self.pool_of, self.paid, self.prev = pool, paid, pool.copy()
        self.totals["signed"] += int(np.count_nonzero(pool < DEFAULT))
        self.totals["switches"] += int(changed.size)
        composition = {
            POOLS[k]: {
                AgentType.from_code(int(t)).value: int(c)
                for t, c in zip(*np.unique(a.type_code[:n][pool == k], return_counts=True))
            }
            for k in range(3)
        }
        state.emit(
            EventType.CONTRACT_SIGNING,
            payload={
                "pool_composition": composition, "signing_cost_paid": float(paid.sum()),
                "switched": [a.ids[int(r)] for r in changed[:100]], "n_switched": int(changed.size),
                "beliefs": dict(zip(POOLS, self.beliefs.tolist())),
            },
        )  # fmt: skip

    def before_payoffs(self, state: EngineState, batch: InteractionBatch) -> None:
        if batch.initiator.shape[0] == 0:
            return
        pool_of = self.pool_of
        top = int(max(batch.initiator.max(), batch.counterparty.max())) + 1
        if top > pool_of.shape[0]:  # agents added this epoch have signed nothing yet: default market
            pool_of = np.concatenate([pool_of, np.full(top - pool_of.shape[0], DEFAULT, dtype=np.int8)])
        pool = route(pool_of, batch.initiator, batch.counterparty)
        t = contract_terms(pool, batch.p, self.config, state.rngs["contracts"])
        acc = np.asarray(batch.accepted, dtype=bool)
        batch.tau = batch.tau * t.tau_factor
        batch.c_a = batch.c_a + t.cost
        batch.c_b = batch.c_b + t.cost
        batch.r_a = batch.r_a + np.where(acc, t.rep_a, 0.0)  # a refused interaction moves no reputation
        batch.r_b = batch.r_b + np.where(acc, t.rep_b, 0.0)
        # welfare under the contract's terms, before governance's costs (as the reference measures it)
        pi_a, pi_b = state.payoff_engine.payoff_arrays(
            batch.p, batch.tau, batch.c_a, batch.c_b, batch.r_a, batch.r_b
        )
        self.sum_p += np.bincount(pool, weights=batch.p, minlength=3)
        self.count += np.bincount(pool, minlength=3)
        self.welfare_sum += np.bincount(pool[acc], weights=(pi_a + pi_b)[acc], minlength=3)
        self.n_accepted += np.bincount(pool[acc], minlength=3)
        self.n_attacks += np.bincount(pool[batch.p < ATTACK_THRESHOLD_P], minlength=3)
        self.audits += int(np.count_nonzero(t.audited))
        self.penalty += float(t.penalty.sum())

    def end_epoch(self, state: EngineState, batch: InteractionBatch) -> dict[str, float]:
        self.beliefs = update_beliefs(
            self.beliefs, self.sum_p, self.count, self.config.market.belief_update_rate
        )
        n = self.pool_of.shape[0]
        m = screening_metrics(
            self.pool_of, state.agents.type_code[:n], self.welfare_sum, self.n_accepted, self.n_attacks
        )
        self.totals["audits"] += self.audits
        self.totals["audit_penalty"] += self.penalty
        out = {f"contract_{k}": v for k, v in m.items()}
        out.update(
            {
                "contract_truthful_agents": float(np.count_nonzero(self.pool_of == 0)),
                "contract_fair_agents": float(np.count_nonzero(self.pool_of == 1)),
                "contract_default_agents": float(np.count_nonzero(self.pool_of == DEFAULT)),
                "contract_audits": float(self.audits),
                "contract_audit_penalty": self.penalty,
            }
        )
        self.last = out
        state.emit(
            EventType.CONTRACT_METRICS,
            payload={**out, "beliefs": dict(zip(POOLS, self.beliefs.tolist()))},
        )
        return out

    def summary(self) -> dict[str, Any]:
        return {
            **self.totals,
            "beliefs": dict(zip(POOLS, self.beliefs.tolist())),
            "last_epoch": dict(self.last),
        }


def build(config: OrchestratorConfig) -> Component | None:
    cfg = config.contracts_config
    return ContractMarket(cfg) if cfg is not None else None
