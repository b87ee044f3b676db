"""`GovernanceEngine`: builds the levers a `GovernanceConfig` switches on, runs their hooks, and settles the
revenue they collect (taxes and audit penalties) at each epoch's end, per `revenue_destination`."""

from __future__ import annotations

from typing import Any

import numpy as np

from distsafe.governance.circuit_breaker import CircuitBreakerLever
from distsafe.governance.config import GovernanceConfig
from distsafe.governance.identity_lever import RESOURCE_PENALTY, SybilDetectionLever
from distsafe.governance.incentives import IncentiveView
from distsafe.governance.levers import GovernanceContext, GovernanceLever
from distsafe.governance.registry import build_levers
from distsafe.governance.security import SecurityLever
from distsafe.governance.security_report import ContainmentAction, SecurityReport
from distsafe.models.agent_table import AgentTable
from distsafe.models.columns import InteractionBatch


class GovernanceEngine:
    """Runs each hook over its levers in turn: first the config's levers, in the registry's order (which
    fixes the random draws), then the extra ones, in the order they were added."""

    def __init__(
        self, config: GovernanceConfig | None = None, extra_levers: list[GovernanceLever] | None = None
    ) -> None:
        self.config = config or GovernanceConfig()
        self.levers: list[GovernanceLever] = build_levers(self.config)
        self.levers.extend(extra_levers or [])
        #: revenue collected this epoch (not yet settled) and the public pool's balance
        self.epoch_revenue = 0.0
        self.public_pool = 0.0
        #: the run's agents and current epoch, as of the last epoch start (for operator calls by agent id)
        self.agents: AgentTable | None = None
        self.epoch = 0

    def add_lever(self, lever: GovernanceLever) -> None:
        self.levers.append(lever)

    def get_lever(self, name: str) -> GovernanceLever | None:
        return next((lv for lv in self.levers if lv.name == name), None)

    def on_epoch_start(self, ctx: GovernanceContext) -> None:
        self.agents, self.epoch = ctx.agents, ctx.epoch
        for lever in self.levers:
            lever.on_epoch_start(ctx)

    def can_act(self, ctx: GovernanceContext, agents: np.ndarray) -> np.ndarray:
        mask = np.ones(agents.shape[0], dtype=bool)
        for lever in self.levers:
            mask &= lever.can_act(ctx, agents)
        return mask

    def vote_weight(self, ctx: GovernanceContext, voters: np.ndarray) -> np.ndarray:
        w = np.ones(voters.shape[0])
        for lever in self.levers:
            w = lever.vote_weight(ctx, voters, w)
        return w

    def on_interactions(self, ctx: GovernanceContext, batch: InteractionBatch) -> None:
        """Run the levers' cost hooks; what they add to c_a + c_b of accepted interactions is revenue."""
        if len(batch) == 0:
            for lever in self.levers:
                lever.on_interactions(ctx, batch)
            return
        acc = batch.accepted
        before = float(batch.c_a[acc].sum() + batch.c_b[acc].sum())
        ctx.findings.clear()
        for lever in self.levers:
            lever.on_interactions(ctx, batch)
        if ctx.findings:
            found = np.concatenate(ctx.findings)
            for lever in self.levers:
                lever.on_findings(ctx, batch, found)
        self.epoch_revenue += float(batch.c_a[acc].sum() + batch.c_b[acc].sum()) - before

    def settle_epoch(self, ctx: GovernanceContext) -> dict[str, float]:
        """Send the epoch's revenue where `revenue_destination` says; O(agents), once per epoch.

        Returns `governance_revenue` (collected this epoch), `revenue_redistributed` (paid back to the
        agents, equal shares, into resources and cumulative payoff), `public_pool` (the pool's balance) and
        `revenue_kept` (the part still in the economy: all of it unless destroyed)."""
        revenue, self.epoch_revenue = self.epoch_revenue, 0.0
        dest = self.config.revenue_destination
        redistributed = 0.0
        agents = ctx.agents
        if dest == "redistributed" and revenue != 0.0 and len(agents):
            share = revenue / len(agents)
            agents.resources += share
            agents.total_payoff += share
            redistributed = revenue
        elif dest == "public_pool":
            self.public_pool += revenue
        return {
            "governance_revenue": revenue,
            "revenue_redistributed": redistributed,
            "public_pool": self.public_pool,
            "revenue_kept": 0.0 if dest == "destroyed" else revenue,
        }

    def after_payoffs(self, ctx: GovernanceContext, batch: InteractionBatch) -> None:
        for lever in self.levers:
            lever.after_payoffs(ctx, batch)

    def reset_agents(self, ctx: GovernanceContext, rows: np.ndarray) -> None:
        for lever in self.levers:
            lever.reset_agents(ctx, rows)

    def incentive_view(self, *, epoch: int, step: int, steps_per_epoch: int, n_epochs: int) -> IncentiveView:
        """The levers in force, for the agents' decisions: each lever that is on shows its rule, each lever
        that is off its neutral value (so settings of a lever that is off never reach a decision)."""
        on = {lv.name for lv in self.levers}
        c = self.config
        kw: dict[str, object] = dict(
            steps_per_epoch=steps_per_epoch, epochs_left=max(1, n_epochs - epoch), step=step
        )
        if "transaction_tax" in on:
            kw.update(tax_rate=c.transaction_tax_rate, tax_split=c.transaction_tax_split)
        if "random_audit" in on:
            kw.update(
                audit_probability=c.audit_probability,
                audit_threshold=c.audit_threshold_p,
                audit_multiplier=c.audit_penalty_multiplier,
                # an agent that acts has a whole bond, so its first finding slashes rate x stake
                slash=c.stake_slash_rate * c.min_stake_to_participate if "staking" in on else 0.0,
            )
            if c.audit_probability_watched is not None:
                kw.update(
                    targeted_audits=True,
                    audit_probability_unwatched=c.audit_probability,
                    audit_probability_watched=c.audit_probability_watched,
                    watch_min_reputation=c.audit_watch_min_reputation,
                )
        if "staking" in on:
            kw.update(min_stake=c.min_stake_to_participate)
        breaker = self.get_lever("circuit_breaker")
        if isinstance(breaker, CircuitBreakerLever):
            rec = breaker.records
            kw.update(
                breaker_on=True, freeze_threshold=c.freeze_threshold_toxicity,
                violations_to_freeze=c.freeze_threshold_violations, freeze_epochs=c.freeze_duration_epochs,
                breaker_alpha=breaker.alpha, breaker_min_seen=c.circuit_breaker_min_interactions,
                toxicity_ema=rec.ema, breaker_seen=rec.seen, violations=rec.violations,
            )  # fmt: skip
        if "reputation_decay" in on:
            kw.update(reputation_decay=c.reputation_decay_rate)
        if "bandwidth_cap" in on:
            kw.update(bandwidth_cap=int(c.bandwidth_cap or 0))
        sybil = self.get_lever("sybil_detection")
        if isinstance(sybil, SybilDetectionLever):
            kw.update(
                sybil_flagged=sybil.labels >= 0,
                sybil_pair_rate=c.sybil_realtime_rate if c.sybil_realtime_penalty else 0.0,
                sybil_epoch_penalty=RESOURCE_PENALTY * c.sybil_penalty_multiplier,
            )
        return IncentiveView(**kw)  # type: ignore[arg-type]

    def stats(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for lever in self.levers:
            out.update(lever.stats())
        return out

    def epoch_metrics(self) -> dict[str, float]:
        """The levers' own per-epoch metrics (`GovernanceLever.epoch_metrics`), in lever order."""
        out: dict[str, float] = {}
        for lever in self.levers:
            out.update(lever.epoch_metrics())
        return out

    # ---- security (seed 001): containment ----------------------------------------------------------------
    def _security(self) -> SecurityLever | None:
        lever = self.get_lever("security")
        return lever if isinstance(lever, SecurityLever) else None

    def can_agent_act(self, agent_id: str, state: Any = None) -> bool:
        """Whether `agent_id` may act now under every lever: not frozen, not quarantined, not blocked by a
        lever's admission rule. `state` is the world (`Orchestrator.state`), the engine's state, or an
        AgentTable; the run's agents and epoch are the engine's own when it does not hold them."""
        agents = state if isinstance(state, AgentTable) else getattr(state, "agents", None) or self.agents
        if agents is None:
            raise KeyError(f"no agent {agent_id!r}: the run has not started")
        row = agents.ids.index_of(agent_id)
        if row is None:
            raise KeyError(f"no agent {agent_id!r}")
        env = getattr(state, "env", state)
        epoch = int(getattr(env, "epoch", self.epoch))
        if agents.frozen_until[row] > epoch:
            return False
        ctx = GovernanceContext(agents=agents, epoch=epoch, step=0, rng=np.random.default_rng(0))
        return bool(self.can_act(ctx, np.array([row]))[0])

    def release_from_quarantine(self, agent_id: str, agents: AgentTable | None = None) -> bool:
        """Release a quarantined agent (its security record is cleared); False if it was not quarantined."""
        sec = self._security()
        if sec is None:
            return False
        table = agents if agents is not None else self.agents
        row = table.ids.index_of(agent_id) if table is not None else None
        return row is not None and sec.release(row, agent_id, self.epoch)

    def get_security_containment_actions(self) -> list[ContainmentAction]:
        sec = self._security()
        return list(sec.containment) if sec is not None else []

    def security_report(self, agents: AgentTable, epoch: int) -> SecurityReport:
        sec = self._security()
        return sec.report(agents, epoch) if sec is not None else SecurityReport()

    def quarantined_agents(self, agents: AgentTable) -> list[str]:
        sec = self._security()
        if sec is None:
            return []
        sec.records.grow_to(len(agents))
        return [agents.ids[i] for i in np.flatnonzero(sec.records.quarantined).tolist()]
