"""Ground truth follows from what the initiator did; observables are noisy signals of v, not of types."""

import numpy as np

from distsafe.agents.base import Action, ActionType, BaseAgent
from distsafe.core.observables import ObservableGenerator
from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.core.proxy import ProxyComputer
from distsafe.models.agent import AgentType


def test_v_follows_effort_and_signals_follow_v():
    g = ObservableGenerator()
    rng = np.random.default_rng(1)
    n = 100_000
    obs = g.draw(np.full(n, 0.7), np.zeros(n), rng)
    assert abs((obs["v"] == 1).mean() - 0.7) < 0.01
    pc = ProxyComputer(sigmoid_k=2)  # the seeds' sigmoid: p within [sigmoid(-2), sigmoid(2)]
    _, p = pc.compute_arrays(
        obs["task_progress_delta"],
        obs["rework_count"],
        obs["verifier_rejections"],
        obs["tool_misuse_flags"],
        obs["counterparty_engagement_delta"],
    )
    good, bad = p[obs["v"] == 1], p[obs["v"] == -1]
    assert good.mean() > 0.7 and bad.mean() < 0.35  # the proxy separates the hidden outcomes
    assert p.min() >= 1 / (1 + np.e**2) - 1e-12 and p.max() <= 1 - 1 / (1 + np.e**2) + 1e-12


def test_signal_boost_games_observables_without_changing_v():
    g = ObservableGenerator()
    n = 50_000
    a = g.draw(np.full(n, 0.2), np.zeros(n), np.random.default_rng(3))
    b = g.draw(np.full(n, 0.2), np.ones(n), np.random.default_rng(3))
    assert np.array_equal(a["v"], b["v"])
    assert b["counterparty_engagement_delta"].mean() > a["counterparty_engagement_delta"].mean() + 0.3


class Labelled(BaseAgent):
    """A custom agent whose type label says 'honest' while it delivers nothing."""

    agent_type = AgentType.HONEST

    def __init__(self, agent_id, effort):
        super().__init__(agent_id)
        self.effort = effort

    def act(self, observation):
        target = observation.peers[0].agent_id
        return Action(
            action_type=ActionType.PROPOSE_INTERACTION,
            agent_id=self.agent_id,
            target_id=target,
            effort=self.effort,
        )


def _mean_p(label, effort, seed=5):
    o = Orchestrator(OrchestratorConfig(n_epochs=2, steps_per_epoch=10, seed=seed))
    o.add_population("honest", 20)
    agent = Labelled("probe", effort)
    agent.agent_type = label
    o.register_agent(agent)
    got = []
    o.interaction_sink = lambda b: got.append(b)
    o.run()
    probe = o.agents.ids.index_of("probe")
    ps = np.concatenate([b.p[b.initiator == probe] for b in got])
    vs = np.concatenate([b.v[b.initiator == probe] for b in got])
    return ps, vs


def test_type_label_never_reaches_the_signals():
    p_honest_label, v1 = _mean_p(AgentType.HONEST, 0.0)
    p_adv_label, v2 = _mean_p(AgentType.ADVERSARIAL, 0.0)
    # same actions, same seed: bit-identical labels whatever the type says
    assert np.array_equal(p_honest_label, p_adv_label) and np.array_equal(v1, v2)
    assert np.all(v1 == -1)  # effort 0 always yields v = -1
    p_good, v3 = _mean_p(AgentType.ADVERSARIAL, 1.0)
    assert np.all(v3 == 1) and p_good.mean() > p_honest_label.mean() + 0.3
