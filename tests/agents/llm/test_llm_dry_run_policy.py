"""The agents' dry-run policy: valid actions for the agent prompt, shaped by persona, from the request hash."""

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
            assert a.action_type.value in {"noop", "post", "reply", "vote", "propose_interaction", "claim_task"}
        s = agent.usage_stats()
        assert s["parse_failures"] == 0 and s["noops"] == 0 and s["total_requests"] == 12
        assert s["estimated_cost_usd"] == 0.0 and s["input_tokens"] > 0
    adv = LLMAgent("a", LLMConfig(provider="dry_run", persona="adversarial"))
    hon = LLMAgent("h", LLMConfig(provider="dry_run", persona="honest"))
    adv_eff = [x.effort for x in [await adv.act_async(sample_observation("a", step=s)) for s in range(30)]
               if x.action_type in (ActionType.PROPOSE_INTERACTION, ActionType.CLAIM_TASK)]
    hon_eff = [x.effort for x in [await hon.act_async(sample_observation("h", step=s)) for s in range(30)]
               if x.action_type in (ActionType.PROPOSE_INTERACTION, ActionType.CLAIM_TASK)]
    assert adv_eff and hon_eff and max(adv_eff) < min(hon_eff)
