"""Moderator agent (seed 002): votes by quality with little noise; lowers bad authors' reputations."""

import numpy as np

from distsafe.agents.moderator import ModeratorAgent, ModeratorPolicy
from distsafe.agents.policies import GroupView
from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.models.agent_table import AgentTable


def test_moderator_downvotes_below_its_threshold():
    pol = ModeratorPolicy({"judgement_noise": 0.0, "moderation_threshold": 0.5})
    view = GroupView(
        members=np.array([0]),
        agents=AgentTable(),
        epoch=0,
        step=0,
        time=0,
        group_rows=np.array([0]),
        top_posts=np.arange(3),
        top_authors=np.arange(3),
        top_quality=np.array([0.9, 0.49, 0.5]),
        open_tasks=np.zeros(0, np.int64),
        open_bounties=np.zeros(0),
        rng=np.random.default_rng(0),
    )
    assert list(pol.votes(view, np.array([0, 0, 0]), np.array([0, 1, 2]))) == [1, -1, 1]
    assert "moderator" in ModeratorAgent("m").roles


def test_moderators_lower_bad_authors_reputation_and_payoff():
    """Among opportunistic agents (who vote less by quality than honest ones), moderators push the
    adversaries' reputation and payoff down (docs/redteam.md has the figures)."""

    def bad_outcome(n_moderators: int) -> tuple[float, float]:
        rep, pay = [], []
        for seed in (0, 1):
            o = Orchestrator(OrchestratorConfig(n_epochs=6, steps_per_epoch=10, seed=seed))
            o.add_population("opportunistic", 10)
            bad = o.add_population("adversarial", 4)
            if n_moderators:
                o.add_population("moderator", n_moderators)
            o.run()
            rep.append(o.agents.reputation[bad].mean())
            pay.append(o.agents.total_payoff[bad].mean())
        return float(np.mean(rep)), float(np.mean(pay))

    with_mods, without = bad_outcome(12), bad_outcome(0)
    assert with_mods[0] < without[0] and with_mods[1] < without[1]
