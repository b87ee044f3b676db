"""Whole runs against a misbehaving server (issue 9, findings 6 to 8): failures never crash the run, they
are recorded, the run replays offline to the identical event log, and the API key reaches no file of the
run folder."""

from __future__ import annotations

import json
from pathlib import Path

from distsafe.eventlog import compare_logs, read_log
from distsafe.scenarios.loader import scenario_from_text
from distsafe.scenarios.runner import RECORDING_NAME, log_name, run_scenario, verify_log

SECRET = "sk-test-SECRET-0123456789abcdef"


def scenario(base_url: str, api_key: str | None = None) -> str:
    key = f"      api_key: {api_key}\n" if api_key else ""
    return f"""
scenario_id: hostile_server
agents:
  - type: llm
    count: 2
    id_prefix: llm
    llm:
      provider: openai
      model: local-model
      base_url: {base_url}
      max_retries: 0
      timeout: 10
      compact_prompt: true
{key}  - type: honest
    count: 2
simulation:
  n_epochs: 2
  steps_per_epoch: 2
  seed: 3
"""


def answer(text: str) -> dict:
    return {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
        "model": "local-model",
        "usage": {"prompt_tokens": 50, "completion_tokens": 5},
    }


def misbehaving(server):
    """A server whose answers cycle through a success first, then 500s, garbage, bad usage and good ones."""

    def reply(n: int):
        auth = server.requests[-1]["headers"].get("authorization", "")
        kind = (n - 1) % 6
        if n == 1 or kind == 2:
            return 200, answer('{"action_type": "post", "content": "hello"}'), {}
        if kind == 0:
            return 500, {"error": {"message": f"overloaded; your credentials were {auth}"}}, {}
        if kind == 1:
            return 200, b"<html>not json</html>", {}
        if kind == 3:
            return 200, answer("I would rather chat."), {}  # unparseable: the repair turn
        if kind == 4:
            return 200, {**answer('{"action_type": "noop"}'), "usage": {"prompt_tokens": -7}}, {}
        return 200, answer('{"action_type": "noop"}'), {}

    return reply


def run_folder(tmp_path: Path, name: str, text: str, replay_from: Path | None = None):
    spec = scenario_from_text(text, f"{name}.yaml")
    out = tmp_path / name
    return run_scenario(spec, out_dir=out, llm_replay_from=replay_from), out


def test_failures_are_recorded_and_replay_gives_the_identical_log(scripted_server, tmp_path):
    scripted_server.default = misbehaving(scripted_server)
    text = scenario(scripted_server.url + "/v1")
    first, out = run_folder(tmp_path, "run", text)
    stats = first.orchestrator.get_llm_usage_stats()
    assert sum(s["errors"] for s in stats.values()) >= 3  # 500s, garbage bodies, bad usage: no-ops
    assert sum(s["repairs"] for s in stats.values()) >= 1
    entries = [json.loads(x) for x in (out / RECORDING_NAME).read_text().splitlines()]
    errors = [e["error"] for e in entries if "error" in e]
    assert {e["class"] for e in errors} == {"LLMTransientError", "LLMRequestError"}
    assert len(entries) == len(scripted_server.requests)

    n_requests = len(scripted_server.requests)
    again, out2 = run_folder(tmp_path, "replay", text, replay_from=out / RECORDING_NAME)
    assert len(scripted_server.requests) == n_requests  # offline: nothing was sent
    assert compare_logs(out / log_name("jsonl"), out2 / log_name("jsonl")) is None
    assert again.orchestrator.get_llm_usage_stats() == stats
    result = verify_log(out / log_name("jsonl"))
    assert result.ok, result.message


def test_a_run_whose_calls_all_failed_has_a_recording_and_replays(scripted_server, tmp_path):
    # A first success (else an unreachable-looking server stops the run), then only failures.
    scripted_server.add(200, answer('{"action_type": "noop"}'))
    scripted_server.add(200, answer('{"action_type": "noop"}'))
    scripted_server.default = (503, {"error": {"message": "down"}}, {})
    text = scenario(scripted_server.url + "/v1")
    first, out = run_folder(tmp_path, "run", text)
    entries = [json.loads(x) for x in (out / RECORDING_NAME).read_text().splitlines()]
    assert sum("error" in e for e in entries) == len(entries) - 2 > 0
    _, out2 = run_folder(tmp_path, "replay", text, replay_from=out / RECORDING_NAME)
    assert compare_logs(out / log_name("jsonl"), out2 / log_name("jsonl")) is None
    assert verify_log(out / log_name("jsonl")).ok


def test_the_api_key_reaches_no_file_of_the_run_folder(scripted_server, tmp_path):
    scripted_server.default = misbehaving(scripted_server)  # its 500s echo the Authorization header
    result, out = run_folder(tmp_path, "run", scenario(scripted_server.url + "/v1", api_key=SECRET))
    assert any(r["headers"].get("authorization") == f"Bearer {SECRET}" for r in scripted_server.requests)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"events.jsonl", "scenario.yaml", "manifest.json", RECORDING_NAME}
    for p in files:
        assert SECRET.encode() not in p.read_bytes(), p.name
    # ... and where a key was given, a note says so.
    assert "api_key: <redacted>" in (out / "scenario.yaml").read_text()
    header = read_log(out / "events.jsonl").header
    llm_rows = [row for row in header["population"] if "llm_config" in row.get("init", {})]
    assert llm_rows and all(row["init"]["llm_config"]["api_key"] == "<redacted>" for row in llm_rows)
    assert any(
        "<redacted>" in json.dumps(e.get("error", "")) for e in map(json.loads, open(out / RECORDING_NAME))
    )
