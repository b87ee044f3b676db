"""The engine: the seed's quick start, determinism, every agent acting, transfers and reputation flowing."""

import asyncio

import numpy as np
import pytest

from distsafe.agents.adversarial import AdversarialAgent
from distsafe.agents.base import Action, ActionType, BaseAgent
from distsafe.agents.deceptive import DeceptiveAgent
from distsafe.agents.honest import HonestAgent
from distsafe.agents.opportunistic import OpportunisticAgent
from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.core.payoff import PayoffConfig


def seed_quickstart(seed=42, **cfg):
    config = OrchestratorConfig(n_epochs=10, steps_per_epoch=10, seed=seed, **cfg)
    o = Orchestrator(config=config)
    o.register_agent(HonestAgent(agent_id="honest_1"))
    o.register_agent(HonestAgent(agent_id="honest_2"))
    o.register_agent(OpportunisticAgent(agent_id="opp_1"))
    o.register_agent(DeceptiveAgent(agent_id="dec_1"))
    return o


def test_seed_quickstart_runs_and_reports_every_epoch():
    o = seed_quickstart()
    metrics = o.run()
    assert [m.epoch for m in metrics] == list(range(10))
    for m in metrics:
        assert 0.0 <= m.toxicity_rate <= 1.0
        assert m.n_interactions > 0
        assert isinstance(m.total_welfare, float)
    # the scripted objects share one vectorized group per class and parameters
    assert sum(1 for g in o.groups if g.kind == "scripted") == 3


def test_same_seed_same_log_bytes(tmp_path):
    paths = []
    for i in range(2):
        p = tmp_path / f"run{i}.jsonl"
        o = seed_quickstart(seed=7, log_path=p, log_events=True)
        o.run()
        paths.append(p)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    o = seed_quickstart(seed=8, log_path=tmp_path / "other.jsonl", log_events=True)
    o.run()
    assert (tmp_path / "other.jsonl").read_bytes() != paths[0].read_bytes()


def test_event_log_replay_and_interactions_as_in_the_seed(tmp_path):
    o = seed_quickstart(log_path=tmp_path / "logs" / "simulation.jsonl", log_events=True)
    metrics = o.run()
    events = list(o.event_log.replay())
    assert events[0].event_type.value == "simulation_started"
    assert events[-1].event_type.value == "simulation_ended"
    assert all(e.timestamp >= 0 for e in events)
    interactions = o.event_log.to_interactions()
    assert len(interactions) == sum(int(m.n_interactions) for m in metrics)
    assert {i.initiator for i in interactions} <= {"honest_1", "honest_2", "opp_1", "dec_1"}


class Counter(BaseAgent):
    def __init__(self, agent_id):
        super().__init__(agent_id)
        self.turns = []

    def act(self, observation):
        self.turns.append((observation.epoch, observation.step))
        return Action.noop(self.agent_id)


@pytest.mark.parametrize("scheduling", ["round_robin", "random", "priority"])
def test_every_agent_gets_its_turn(scheduling):
    o = Orchestrator(OrchestratorConfig(n_epochs=3, steps_per_epoch=4, seed=1, scheduling=scheduling))
    counters = [o.register_agent(Counter(f"c{i}")) for i in range(5)]
    o.add_population("honest", 10)
    o.run()
    for c in counters:
        assert c.turns == [(e, s) for e in range(3) for s in range(4)]
    assert int(o.agents.epoch_actions.sum()) > 0  # the population acted too


def test_deceptive_switch_is_visible_per_epoch():
    o = Orchestrator(OrchestratorConfig(n_epochs=6, steps_per_epoch=10, seed=3))
    o.add_population("honest", 40)
    o.add_population("deceptive", 10, params={"trust_epochs": 3})
    ms = o.run()
    before = np.mean([m.toxicity_deceptive for m in ms[:3]])
    after = np.mean([m.toxicity_deceptive for m in ms[3:]])
    assert before < 0.3 and after > before + 0.25


def test_transfers_and_reputation_really_flow():
    def run(**payoff):
        o = Orchestrator(
            OrchestratorConfig(n_epochs=3, steps_per_epoch=10, seed=11, payoff_config=PayoffConfig(**payoff))
        )
        o.add_population("honest", 30)
        o.add_population("adversarial", 10)
        got = []
        o.interaction_sink = got.append
        ms = o.run()
        return o, ms, got

    o, ms, batches = run(w_rep=1.0)
    acc = np.concatenate([b.accepted for b in batches])
    tau = np.concatenate([b.tau for b in batches])
    assert np.any(tau[acc] != 0)  # money moved
    # resources changed by exactly the payoffs: conservation of the bookkeeping
    total_payoff = sum(float(b.payoff_a.sum() + b.payoff_b.sum()) for b in batches)
    assert o.agents.resources.sum() == pytest.approx(100.0 * len(o.agents) + total_payoff)
    assert o.agents.reputation.std() > 0
    _, ms0, _ = run(w_rep=0.0)
    _, ms3, _ = run(w_rep=3.0)
    # same draws, only the reputation weight differs: welfare moves with w_rep
    assert ms0[-1].total_welfare != pytest.approx(ms3[-1].total_welfare)


def test_adversaries_coordinate_on_the_same_targets():
    o = Orchestrator(OrchestratorConfig(n_epochs=1, steps_per_epoch=5, seed=2))
    o.add_population("honest", 50)
    o.add_population("adversarial", 10)
    got = []
    o.interaction_sink = got.append
    o.run()
    b = got[0]
    adv = o.agents.type_code[b.initiator] == o.agents.type_code[-1]
    from distsafe.models.interaction import InteractionType

    prop = adv & (b.itype != InteractionType.REPLY.code)
    for step in np.unique(b.step[prop]):
        targets = np.unique(b.counterparty[prop & (b.step == step)])
        assert targets.size <= 2  # focus fire on at most two targets per step


def test_run_async_equals_run():
    a = seed_quickstart(seed=5).run()
    b = asyncio.run(seed_quickstart(seed=5).run_async())
    assert [m.to_json_dict() for m in a] == [m.to_json_dict() for m in b]


class SlowAsync(BaseAgent):
    is_async = True
    active = 0
    peak = 0

    async def act_async(self, observation):
        SlowAsync.active += 1
        SlowAsync.peak = max(SlowAsync.peak, SlowAsync.active)
        await asyncio.sleep(0.005)
        SlowAsync.active -= 1
        return Action.noop(self.agent_id)


def test_async_agents_are_awaited_concurrently_under_the_limit():
    SlowAsync.peak = 0
    o = Orchestrator(OrchestratorConfig(n_epochs=1, steps_per_epoch=2, seed=0, max_concurrent_llm=3))
    for i in range(8):
        o.register_agent(SlowAsync(f"llm{i}"))
    asyncio.run(o.run_async())
    assert SlowAsync.peak == 3


def test_kill_switch_stops_the_run():
    o = Orchestrator(OrchestratorConfig(n_epochs=10, steps_per_epoch=5, seed=0))
    o.add_population("honest", 5)
    o.on_epoch_end(lambda m: o.kill("test") if m.epoch == 2 else None)
    ms = o.run()
    assert len(ms) == 3


def test_safety_rails_block_over_limit_actions():
    from distsafe.env.state import RateLimits, SafetyConfig

    o = Orchestrator(
        OrchestratorConfig(
            n_epochs=1,
            steps_per_epoch=20,
            seed=0,
            rate_limits=RateLimits(max_posts_per_epoch=1, max_interactions_per_epoch=2),
            safety=SafetyConfig(budget_per_epoch=0.0),
        )
    )
    o.add_population("honest", 20)
    o.run()
    assert int(o.agents.posts.max()) <= 1
    assert int(o.agents.epoch_interactions.max()) <= 2
    assert o.epoch_metrics[0].n_blocked > 0


class Writer(BaseAgent):
    def act(self, observation):
        return Action(action_type=ActionType.POST, agent_id=self.agent_id, content="x" * 50)


def test_content_length_rail():
    from distsafe.env.state import SafetyConfig

    o = Orchestrator(
        OrchestratorConfig(n_epochs=1, steps_per_epoch=3, seed=0, safety=SafetyConfig(max_content_length=10))
    )
    o.register_agent(Writer("w"))
    o.add_population("honest", 3)
    o.run()
    assert o.agents.posts[o.agents.ids.index_of("w")] == 0


def test_errors_for_misuse():
    with pytest.raises(ValueError):
        Orchestrator(OrchestratorConfig()).run()
    with pytest.raises(ValueError):
        OrchestratorConfig(n_epochs=0)
    o = Orchestrator(OrchestratorConfig(n_epochs=1, steps_per_epoch=1))
    o.register_agent(HonestAgent("a"))
    with pytest.raises(ValueError):
        o.register_agent(HonestAgent("a"))
    with pytest.raises(ValueError):
        o.add_population("wizard", 3)
    with pytest.raises(ValueError):
        AdversarialAgent("x", p_interact=0.9, p_post=0.5)


async def test_run_works_inside_a_running_event_loop():
    asyncio.get_running_loop()  # pytest-asyncio runs this test in a loop, as Jupyter would
    inside = seed_quickstart(seed=3).run()
    assert [m.to_json_dict() for m in inside] == [m.to_json_dict() for m in seed_quickstart(seed=3).run()]
    assert len(inside) == 10


async def test_run_with_async_agents_inside_a_loop_says_what_to_do():
    o = Orchestrator(OrchestratorConfig(n_epochs=1, steps_per_epoch=1, seed=0))
    o.register_agent(SlowAsync("llm"))
    with pytest.raises(RuntimeError, match="run_async"):
        o.run()
    assert len(await o.run_async()) == 1  # nothing was started: the awaited run works


def test_run_with_async_agents_and_no_loop_runs_them():
    o = Orchestrator(OrchestratorConfig(n_epochs=2, steps_per_epoch=2, seed=0))
    o.add_population("honest", 3)
    o.register_agent(SlowAsync("llm"))
    assert o.has_async_agents
    assert [m.epoch for m in o.run()] == [0, 1]


def test_summary_is_the_metrics_run_summary():
    from distsafe.metrics.epoch import run_summary

    o = seed_quickstart(seed=2)
    o.run()
    got, want = o.summary(), run_summary(o.epoch_metrics, o.agents, o.governance.stats())
    assert list(got) == list(want)
    assert all(got[k] == want[k] or (got[k] != got[k] and want[k] != want[k]) for k in got)
    assert got["epochs"] == 10 and got["n_agents"] == 4
    assert got["n_interactions"] == int(sum(m.n_interactions for m in o.epoch_metrics))


def test_public_parts_are_those_of_the_engine_state():
    o = seed_quickstart()
    eng = o.engine_state
    assert o.agents is eng.agents and o.state is eng.env and o.rngs is eng.rngs and o.groups is eng.groups
    assert o.governance is eng.governance and o.payoff_engine is eng.payoff_engine
    assert o.proxy is eng.proxy and o.observables is eng.observables and o.event_log is None
