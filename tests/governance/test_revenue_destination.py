"""Where taxes and audit penalties go (GovernanceConfig.revenue_destination): settled by hand, and in runs
that differ only in the destination."""

import numpy as np
import pytest

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.governance.config import GovernanceConfig
from distsafe.governance.engine import GovernanceEngine
from distsafe.governance.levers import GovernanceContext
from distsafe.models.agent import AgentType
from distsafe.models.agent_table import AgentTable
from distsafe.models.columns import InteractionBatch


def _ctx(n: int = 4) -> GovernanceContext:
    agents = AgentTable()
    agents.add(AgentType.HONEST, 0, prefix="h", count=n, resources=10.0, reputation=0.0)
    return GovernanceContext(agents=agents, epoch=0, step=0, rng=np.random.default_rng(0))


def _taxed(dest: str) -> tuple[GovernanceEngine, GovernanceContext]:
    eng = GovernanceEngine(GovernanceConfig(transaction_tax_rate=0.5, revenue_destination=dest))
    ctx = _ctx()
    batch = InteractionBatch.from_columns(
        initiator=[0, 1, 2], counterparty=[1, 2, 3], accepted=[True, True, False], tau=[2.0, -4.0, 8.0]
    )
    eng.on_interactions(ctx, batch)  # tax 0.5 * |tau| on accepted: 1 + 2 = 3 (the rejected one pays 0)
    assert eng.epoch_revenue == pytest.approx(3.0)
    return eng, ctx


def test_default_is_the_public_pool():
    assert GovernanceConfig().revenue_destination == "public_pool"


def test_destroyed():
    eng, ctx = _taxed("destroyed")
    out = eng.settle_epoch(ctx)
    assert out == {
        "governance_revenue": 3.0,
        "revenue_redistributed": 0.0,
        "public_pool": 0.0,
        "revenue_kept": 0.0,
    }
    assert np.all(ctx.agents.resources == 10.0)


def test_public_pool_accumulates():
    eng, ctx = _taxed("public_pool")
    assert eng.settle_epoch(ctx)["public_pool"] == pytest.approx(3.0)
    assert eng.epoch_revenue == 0.0
    out = eng.settle_epoch(ctx)  # nothing collected since: the balance stays
    assert out["governance_revenue"] == 0.0 and out["public_pool"] == pytest.approx(3.0)
    assert np.all(ctx.agents.resources == 10.0)


def test_redistributed_in_equal_shares():
    eng, ctx = _taxed("redistributed")
    out = eng.settle_epoch(ctx)
    assert out["revenue_redistributed"] == pytest.approx(3.0) and out["revenue_kept"] == pytest.approx(3.0)
    assert np.allclose(ctx.agents.resources, 10.75) and np.allclose(ctx.agents.total_payoff, 0.75)


def _run(dest: str) -> Orchestrator:
    gov = GovernanceConfig(
        transaction_tax_rate=0.2, audit_enabled=True, audit_probability=0.3, revenue_destination=dest
    )
    o = Orchestrator(OrchestratorConfig(n_epochs=4, steps_per_epoch=8, seed=3, governance_config=gov))
    o.add_population("honest", 6)
    o.add_population("opportunistic", 4)
    o.add_population("adversarial", 2)
    o.run()
    return o


def test_destinations_in_runs():
    destroyed, pool, shared = _run("destroyed"), _run("public_pool"), _run("redistributed")
    d, p, r = destroyed.epoch_metrics, pool.epoch_metrics, shared.epoch_metrics
    revenue = [m.governance_revenue for m in d]
    assert all(x > 0 for x in revenue)
    # the pool changes nothing the agents see: same interactions and payoffs as destroyed
    assert [m.total_welfare for m in d] == [m.total_welfare for m in p]
    assert np.array_equal(destroyed.agents.total_payoff, pool.agents.total_payoff)
    # but its revenue is still money in the economy
    for md, mp, rev in zip(d, p, revenue):
        assert mp.welfare_money == pytest.approx(md.welfare_money + rev)
    assert p[-1].public_pool == pytest.approx(sum(revenue))
    # money + reputation = the seeds' welfare under destroyed
    for m in d:
        assert m.welfare_money + m.welfare_reputation == pytest.approx(m.total_welfare)
    # redistributed: every agent got an equal share of the first epoch's revenue
    assert r[0].revenue_redistributed == pytest.approx(r[0].governance_revenue)
    s = shared.summary()
    assert s["governance_revenue"] == pytest.approx(sum(m.governance_revenue for m in r))
