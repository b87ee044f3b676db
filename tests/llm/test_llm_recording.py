"""Exact record/replay: the recording file (`LLMRecorder`) and the one wrapper that uses it
(`RecordingClient`)."""

from __future__ import annotations

import json

import pytest

from distsafe.llm import (
    ChatMessage,
    LLMError,
    LLMRecorder,
    LLMReplayMissError,
    LLMRequest,
    LLMResponse,
    RecordingClient,
    create_provider,
)
from distsafe.testing import ScriptedModel


def req(text: str, **kw) -> LLMRequest:
    return LLMRequest(provider="openai", model="m", messages=(ChatMessage("user", text),), **kw)


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


async def test_recording_client_builds_its_client_only_to_record(tmp_path):
    path = tmp_path / "rec.jsonl"
    built: list[ScriptedModel] = []

    def factory() -> ScriptedModel:
        built.append(ScriptedModel("live answer"))
        return built[-1]

    with LLMRecorder(path) as rec:
        recording = RecordingClient(rec, factory)
        assert built == []  # nothing is built before a request must really be sent
        assert (await recording.complete(req("q"))).text == "live answer"
        assert len(built) == 1 and rec.recorded == 1
    replay = RecordingClient(LLMRecorder(path, mode="replay"), factory)
    assert (await replay.complete(req("q"))).cached is True
    assert len(built) == 1  # replay never called the factory
    with pytest.raises(LLMReplayMissError):
        await replay.complete(req("another"))


async def test_record_mode_without_a_client_is_an_error(tmp_path):
    with pytest.raises(LLMError, match="needs a client"):
        await RecordingClient(LLMRecorder(tmp_path / "r.jsonl"), None).complete(req("q"))


async def test_errors_are_recorded_and_raised_again_in_replay(tmp_path):
    from distsafe.llm import LLMRateLimitError, LLMRequestError

    path = tmp_path / "rec.jsonl"
    rec = LLMRecorder(path, mode="record")
    assert path.exists()  # created at once: a run without a successful call still has a recording
    model = ScriptedModel(
        LLMRateLimitError(
            "slow down (gave up after 4 attempts)", provider="openai", status=429, retry_after=2.0
        ),
        "fine",
        LLMRequestError("openai at x: response is not JSON", provider="openai"),
    )
    client = rec.wrap(model)
    outcomes: list[object] = []
    for text in ("a", "b", "a"):
        try:
            outcomes.append((await client.complete(req(text))).text)
        except LLMError as exc:
            outcomes.append((type(exc), str(exc), exc.status))
    rec.close()
    entries = [json.loads(x) for x in path.read_text().splitlines()]
    assert [sorted(set(e) - {"key", "n", "request"}) for e in entries] == [["error"], ["response"], ["error"]]
    assert entries[0]["error"] == {
        "class": "LLMRateLimitError",
        "message": "slow down (gave up after 4 attempts)",
        "provider": "openai",
        "status": 429,
        "retry_after": 2.0,
    }

    replay = LLMRecorder(path, mode="replay").wrap(None)
    again: list[object] = []
    for text in ("a", "b", "a"):
        try:
            again.append((await replay.complete(req(text))).text)
        except LLMError as exc:
            again.append((type(exc), str(exc), exc.status))
    assert again == outcomes
    assert again[0][0] is LLMRateLimitError and again[2][0] is LLMRequestError  # type: ignore[index]


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ({"error": {"class": "SystemExit", "message": "x", "provider": "p"}}, "unknown error class"),
        ({"error": {"class": "os:system", "message": "x", "provider": "p"}}, "unknown error class"),
        ({"error": {"class": "LLMError", "message": 5, "provider": "p"}}, "must be strings"),
        (
            {"error": {"class": "LLMTransientError", "message": "m", "provider": "p", "retry_after": -1}},
            "retry",
        ),
        (
            {
                "response": {
                    "text": "t",
                    "input_tokens": -4,
                    "output_tokens": 1,
                    "model": "m",
                    "provider": "p",
                }
            },
            "tokens",
        ),
        (
            {
                "response": {
                    "text": ["t"],
                    "input_tokens": 1,
                    "output_tokens": 1,
                    "model": "m",
                    "provider": "p",
                }
            },
            "str",
        ),
        ({"response": "text"}, "not an object"),
        ({}, "neither a response nor an error"),
    ],
)
def test_a_hostile_recording_is_refused_with_one_line(tmp_path, entry, why):
    path = tmp_path / "rec.jsonl"
    line = json.dumps({"key": "k", "n": 0, "request": {}, **entry})
    path.write_text(line + "\n" + line + "\n")
    with pytest.raises(LLMError, match=f"line 1 is corrupt: .*{why}") as info:
        LLMRecorder(path, mode="replay")
    assert "\n" not in str(info.value)


async def test_recorded_answers_are_capped_as_served(tmp_path):
    path = tmp_path / "rec.jsonl"
    rec = LLMRecorder(path, mode="record", max_text_chars=10)
    got = await rec.wrap(ScriptedModel("z" * 1000)).complete(req("a"))
    rec.close()
    assert got.text == "z" * 10
    assert json.loads(path.read_text())["response"]["text"] == "z" * 10
    assert (await LLMRecorder(path, mode="replay").wrap(None).complete(req("a"))).text == "z" * 10
