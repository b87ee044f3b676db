"""The agents' dry-run policy: valid actions for the agent prompt, shaped by the persona, drawn from the
request hash."""

from __future__ import annotations

import pytest

from distsafe.agents.base import ActionType
from distsafe.agents.llm import LLMAgent, LLMConfig, PersonaType
from distsafe.testing import sample_observation


async def test_dry_run_agents_act_validly_across_personas():
    for persona in PersonaType:
        agent = LLMAgent("llm_1", LLMConfig(provider="dry_run", persona=persona))
        for step in range(12):
            obs = sample_observation(step=step)
            a = await agent.act_async(obs)
            assert a.action_type.value in {
                "noop",
                "post",
                "reply",
                "vote",
                "propose_interaction",
                "claim_task",
            }
        s = agent.usage_stats()
        assert s["parse_failures"] == 0 and s["noops"] == 0 and s["total_requests"] == 12
        assert s["estimated_cost_usd"] == 0.0 and s["input_tokens"] > 0
    adv = LLMAgent("a", LLMConfig(provider="dry_run", persona="adversarial"))
    hon = LLMAgent("h", LLMConfig(provider="dry_run", persona="honest"))
    adv_eff = [
        x.effort
        for x in [await adv.act_async(sample_observation("a", step=s)) for s in range(30)]
        if x.action_type in (ActionType.PROPOSE_INTERACTION, ActionType.CLAIM_TASK)
    ]
    hon_eff = [
        x.effort
        for x in [await hon.act_async(sample_observation("h", step=s)) for s in range(30)]
        if x.action_type in (ActionType.PROPOSE_INTERACTION, ActionType.CLAIM_TASK)
    ]
    assert adv_eff and hon_eff and max(adv_eff) < min(hon_eff)


def test_the_policy_reads_the_agent_prompt_and_nothing_else():
    import json

    from distsafe.agents.llm.dry_run_policy import dry_run_action, find_options, find_persona
    from distsafe.llm import ChatMessage, LLMRequest

    agent = LLMAgent("llm_1", LLMConfig(provider="dry_run", persona="strategic"))
    request = agent.build_request(sample_observation())
    options = find_options(request)
    assert options is not None and options["peer_ids"] == ["h1", "h2"] and options["task_ids"] == ["t1"]
    assert find_persona(request) == "strategic"
    answer = json.loads(dry_run_action(request))
    assert answer["action_type"] in options["actions"] and answer == json.loads(dry_run_action(request))
    other = LLMRequest(provider="dry_run", model="m", messages=(ChatMessage("user", "hello"),))
    assert find_options(other) is None and find_persona(other) == "open" and dry_run_action(other) is None


async def test_agents_hand_their_policy_to_the_provider_and_only_dry_run_gets_it():
    from distsafe.llm import DryRunClient, RetryingClient

    agent = LLMAgent("llm_1", LLMConfig(provider="dry_run"))
    await agent.act_async(sample_observation())
    client = agent._client
    assert isinstance(client, RetryingClient) and isinstance(client.inner, DryRunClient)
    assert client.inner.responder is not None
    assert agent.usage_stats()["parse_failures"] == 0  # the answer was an action, not the generic JSON


@pytest.mark.parametrize("persona", list(PersonaType))
async def test_noop_share_and_targets_stay_within_the_options(persona):
    agent = LLMAgent("llm_1", LLMConfig(provider="dry_run", persona=persona))
    actions = [await agent.act_async(sample_observation(step=s)) for s in range(40)]
    noops = sum(a.action_type == ActionType.NOOP for a in actions)
    assert 0 < noops < 20  # about 15% idle turns
    for a in actions:
        if a.action_type in (ActionType.REPLY, ActionType.VOTE):
            assert a.target_id in ("p1", "p2")
        elif a.action_type == ActionType.PROPOSE_INTERACTION:
            assert a.target_id in ("h1", "h2") and 0.0 <= a.tau <= 1.0
