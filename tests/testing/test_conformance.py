"""The shipped conformance checks accept good agents and levers and name what is wrong with bad ones."""

import random

import numpy as np
import pytest

from distsafe.agents.base import Action, ActionType, BaseAgent
from distsafe.agents.honest import HonestAgent
from distsafe.governance import GovernanceConfig, TransactionTaxLever
from distsafe.governance.levers import GovernanceLever
from distsafe.testing.conformance import ConformanceError, check_agent, check_lever


class Poster(BaseAgent):
    def __init__(self, agent_id):
        super().__init__(agent_id)
        self.rng = np.random.default_rng(0)

    def act(self, observation):
        if self.rng.random() < 0.5 and observation.peers:
            return Action(
                action_type=ActionType.PROPOSE_INTERACTION,
                agent_id=self.agent_id,
                target_id=observation.peers[0].agent_id,
                effort=0.8,
            )
        return Action(action_type=ActionType.POST, agent_id=self.agent_id, content="hello")


class ReturnsNone(BaseAgent):
    def act(self, observation):
        return None


class UsesGlobalRandom(Poster):
    def act(self, observation):
        return Action(
            action_type=ActionType.POST if random.random() < 0.5 else ActionType.NOOP, agent_id=self.agent_id
        )


class Crashes(BaseAgent):
    def act(self, observation):
        raise RuntimeError("boom")


def test_good_agents_pass():
    check_agent(lambda: Poster("p"))
    check_agent(lambda: HonestAgent("h"))


@pytest.mark.parametrize(
    "factory, fragment",
    [
        (lambda: ReturnsNone("n"), "not an Action"),
        (lambda: UsesGlobalRandom("g"), "different event logs"),
        (lambda: Crashes("c"), "boom"),
    ],
)
def test_bad_agents_are_named(factory, fragment):
    with pytest.raises(ConformanceError, match=fragment):
        check_agent(factory)


class Rebate(GovernanceLever):
    name = "rebate"

    def on_interactions(self, ctx, batch):
        batch.c_a = batch.c_a - 0.1


class WrongMask(GovernanceLever):
    name = "wrong_mask"

    def can_act(self, ctx, agents):
        return np.ones(3, dtype=bool)


class ClockRandom(GovernanceLever):
    name = "clock"

    def on_interactions(self, ctx, batch):
        batch.c_a = batch.c_a + np.random.default_rng().random(len(batch))


def test_good_lever_passes():
    check_lever(lambda: TransactionTaxLever(GovernanceConfig(transaction_tax_rate=0.1)))


@pytest.mark.parametrize(
    "factory, fragment",
    [
        (Rebate, "lowered c_a"),
        (WrongMask, "can_act returned shape"),
        (ClockRandom, "different event logs"),
    ],
)
def test_bad_levers_are_named(factory, fragment):
    with pytest.raises(ConformanceError, match=fragment):
        check_lever(factory)
