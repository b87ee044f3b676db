"""Exact record/replay, replay misses, and usage totals."""

from __future__ import annotations

import json

import pytest

from distsafe.agents.llm import LLMAgent, LLMConfig
from distsafe.llm import (
    ChatMessage,
    LLMError,
    LLMRecorder,
    LLMReplayMissError,
    LLMRequest,
    LLMResponse,
    PriceTable,
    create_provider,
    request_key,
    total_usage,
)

from llm_fixtures import make_observation


def req(text: str, **kw) -> LLMRequest:
    return LLMRequest(provider="openai", model="m", messages=(ChatMessage("user", text),), **kw)


def test_request_key_covers_every_parameter():
    base = request_key(req("hi"))
    assert base == request_key(req("hi")) and len(base) == 64
    variants = [req("hi!"), req("hi", temperature=0.2), req("hi", max_tokens=9), req("hi", json_mode=False),
                LLMRequest(provider="ollama", model="m", messages=(ChatMessage("user", "hi"),)),
                LLMRequest(provider="openai", model="m2", messages=(ChatMessage("user", "hi"),)),
                LLMRequest(provider="openai", model="m", messages=(ChatMessage("system", "hi"),))]
    assert len({request_key(v) for v in variants} | {base}) == len(variants) + 1


def test_recorder_roundtrip_order_and_misses(tmp_path):
    path = tmp_path / "run" / "llm_recording.jsonl"
    rec = LLMRecorder(path, mode="record")
    r1 = LLMResponse(text="first", input_tokens=3, output_tokens=1, model="m", provider="openai")
    r2 = LLMResponse(text="second", input_tokens=3, output_tokens=2, model="m", provider="openai")
    rec.record(req("same"), r1)
    rec.record(req("same"), r2)
    rec.close()
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert [(x["n"], x["response"]["text"]) for x in lines] == [(0, "first"), (1, "second")]
    assert lines[0]["request"]["messages"] == [{"role": "user", "content": "same"}]

    rep = LLMRecorder(path, mode="replay")
    got = [rep.replay(req("same")), rep.replay(req("same"))]
    assert [g.text for g in got] == ["first", "second"] and all(g.cached for g in got)
    with pytest.raises(LLMReplayMissError, match="already served"):
        rep.replay(req("same"))
    with pytest.raises(LLMReplayMissError, match="not in the recording") as err:
        rep.replay(req("other"))
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_replay_without_file_and_bad_mode(tmp_path):
    with pytest.raises(LLMError, match="no LLM recording"):
        LLMRecorder(tmp_path / "missing.jsonl", mode="replay")
    with pytest.raises(ValueError):
        LLMRecorder(tmp_path / "x.jsonl", mode="rewind")


def test_truncated_last_line_is_tolerated_but_corruption_is_not(tmp_path):
    path = tmp_path / "rec.jsonl"
    rec = LLMRecorder(path)
    rec.record(req("a"), LLMResponse(text="A", input_tokens=1, output_tokens=1, model="m", provider="openai"))
    rec.close()
    with path.open("a") as fh:
        fh.write('{"key": "abc", "resp')  # crash mid-write
    assert LLMRecorder(path, mode="replay").replay(req("a")).text == "A"
    path.write_text("garbage\n" + path.read_text())
    with pytest.raises(LLMError, match="line 1 is corrupt"):
        LLMRecorder(path, mode="replay")


async def test_wrapped_client_records_and_replays(tmp_path):
    path = tmp_path / "rec.jsonl"
    rec = LLMRecorder(path)
    client = rec.wrap(create_provider("dry_run"))
    live = await client.complete(req("hello"))
    rec.close()
    replay = LLMRecorder(path, mode="replay").wrap(None)  # no provider at all in replay
    again = await replay.complete(req("hello"))
    assert (again.text, again.input_tokens, again.cached) == (live.text, live.input_tokens, True)


async def run_agents(agents, steps=6):
    actions = []
    for step in range(steps):
        for a in agents:
            actions.append(await a.act_async(make_observation(a.agent_id, step=step)))
    return actions


async def test_agent_run_replays_exactly_without_provider(tmp_path, monkeypatch):
    path = tmp_path / "llm_recording.jsonl"
    cfgs = [LLMConfig(provider="dry_run", persona=p, provider_options={"garbage_rate": 0.3})
            for p in ("honest", "adversarial", "open")]
    agents = [LLMAgent(f"llm_{i}", c) for i, c in enumerate(cfgs)]
    rec = LLMRecorder(path, mode="record")
    for a in agents:
        a.set_recorder(rec)
    live = await run_agents(agents)
    rec.close()
    live_stats = {a.agent_id: a.usage_stats() for a in agents}
    assert sum(s["repairs"] for s in live_stats.values()) > 0  # the garbage exercised repairs

    # Replay: the provider is anthropic with no key; nothing is built, nothing is called.
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    replay_agents = [LLMAgent(f"llm_{i}", c) for i, c in enumerate(cfgs)]
    rep = LLMRecorder(path, mode="replay")
    for a in replay_agents:
        a.set_recorder(rep)
    replayed = await run_agents(replay_agents)
    assert replayed == live
    for a in replay_agents:
        s = a.usage_stats()
        for k in ("total_requests", "input_tokens", "output_tokens", "parse_failures", "repairs", "noops",
                  "actions_by_type"):
            assert s[k] == live_stats[a.agent_id][k], k
        assert a.usage.replayed_requests == s["total_requests"]
        assert s == live_stats[a.agent_id]  # byte-identical usage in the run log
        assert a._client is None

    # A changed observation is a request the recording lacks: a clear error, not a silent call.
    with pytest.raises(LLMReplayMissError, match="replay miss"):
        await replay_agents[0].act_async(make_observation("llm_0", step=99))


def test_price_table_and_totals(tmp_path, monkeypatch):
    t = PriceTable()
    assert t.cost("anthropic", "claude-sonnet-4-20250514", 1_000_000, 1_000_000) == pytest.approx(18.0)
    assert t.cost("openai", "gpt-4o-2024-08-06", 1_000_000, 0) == pytest.approx(2.5)
    assert t.cost("openai", "gpt-4o-mini", 1_000_000, 0) == pytest.approx(0.15)  # longest prefix wins
    assert t.cost("ollama", "llama3", 10**6, 10**6) == 0.0
    assert t.cost("openai", "smollm2-135m", 10, 10) is None
    t.set("smollm2", 1.0, 2.0, provider="openai")
    assert t.cost("openai", "smollm2-135m", 10**6, 10**6) == pytest.approx(3.0)
    f = tmp_path / "prices.yaml"
    f.write_text("gpt-4o: {input: 5, output: 20}\nopenai/my-model: [1, 1]\n")
    monkeypatch.setenv("DISTSAFE_LLM_PRICES", str(f))
    from distsafe.llm import default_price_table
    t2 = default_price_table()
    assert t2.cost("openai", "gpt-4o", 10**6, 0) == pytest.approx(5.0)
    assert t2.cost("openai", "my-model-q4", 10**6, 10**6) == pytest.approx(2.0)
    assert t2.cost("anthropic", "claude-3-haiku-20240307", 10**6, 0) == pytest.approx(0.25)
    with pytest.raises(ValueError):
        PriceTable({"x": {"input": -1, "output": 1}})

    tot = total_usage({"a": {"provider": "openai", "total_requests": 2, "input_tokens": 10, "output_tokens": 5,
                             "estimated_cost_usd": 0.5, "noops": 1},
                       "b": {"provider": "dry_run", "total_requests": 3, "input_tokens": 1, "output_tokens": 1,
                             "estimated_cost_usd": 0.0, "repairs": 2}})
    assert (tot["total_requests"], tot["input_tokens"], tot["noops"], tot["repairs"], tot["agents"]) == (5, 11, 1, 2, 2)
    assert tot["estimated_cost_usd"] == pytest.approx(0.5)
    assert tot["by_provider"]["openai"]["total_requests"] == 2


async def test_replay_init_rebuilds_the_same_agent(tmp_path):
    cfg = LLMConfig(provider="dry_run", persona="strategic", temperature=0.2, max_tokens=300,
                    api_key="secret", compact_prompt=True)
    agent = LLMAgent("llm_7", cfg, roles=["worker"])
    init = agent.replay_init()
    assert "secret" not in json.dumps(init)  # JSON-safe, no key in the run log
    clone = LLMAgent.from_replay_init("llm_7", json.loads(json.dumps(init)))
    obs = make_observation("llm_7", step=3)
    assert clone.build_request(obs) == agent.build_request(obs)
    assert clone.roles == ["worker"] and clone.llm_config.persona.value == "strategic"
