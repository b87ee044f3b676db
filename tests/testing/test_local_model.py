"""End to end with a real model: `scenarios/llm_local.yaml` through `run_scenario`, its SmolLM2-135M agents
served by llama-cpp-python's OpenAI-compatible server that the run starts on 127.0.0.1 and stops, the
action schema sent with every request (llama.cpp compiles it to a grammar); then the run replayed from its
recording with no server (`verify_log`).

Needs the [llm-local] extra (scripts/install_llm_local.sh); skipped with the reason otherwise.
"""

from __future__ import annotations

import json

import pytest

from distsafe.llm.local_server import local_model_missing
from distsafe.scenarios import load_scenario
from distsafe.scenarios.runner import run_scenario, verify_log

pytestmark = [pytest.mark.llm_local, pytest.mark.timeout(1800)]

_missing = local_model_missing()

#: 3 model agents x 1 epoch x 7 steps = 21 decisions (the issue asks for at least 20).
OVERRIDES = ["simulation.n_epochs=1", "simulation.steps_per_epoch=7", "success_criteria.min_epochs=1"]


@pytest.mark.skipif(bool(_missing), reason=_missing or "")
def test_local_model_answers_in_the_schema_and_replays_exactly(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    spec = load_scenario("llm_local", OVERRIDES)
    out = tmp_path / "run"
    result = run_scenario(spec, out_dir=out)
    usage = result.orchestrator.get_llm_usage_stats()
    assert len(usage) == 3
    for s in usage.values():
        assert s["structured_output"] is True and s["errors"] == 0
        assert s["decision_paths"]["parsed_first_time"] == 0  # every request carried the schema
        assert s["input_tokens"] > 100 * s["total_requests"]  # real token counts from the server
        assert s["total_requests"] == s["decisions"] + s["repairs"]

    manifest = json.loads((out / "manifest.json").read_text())
    summary = manifest["llm_valid_actions"]
    assert summary["asked"] >= 20
    # The bar: at least 95% of the decisions parsed first time, in the schema.
    assert summary["schema_first_time"] / summary["asked"] >= 0.95, summary
    assert summary["first_time_rate"] >= 0.95
    epoch_asked = [m.to_dict()["llm_decisions"] for m in result.metrics]
    assert sum(epoch_asked) == summary["asked"]
    assert all(0.95 <= m.to_dict()["llm_valid_action_rate"] <= 1.0 for m in result.metrics)
    recording = (out / "llm_recording.jsonl").read_text().splitlines()
    assert len(recording) == sum(s["total_requests"] for s in usage.values())
    assert all("response_schema" in json.loads(line)["request"] for line in recording)

    # Replay: re-run from the log header and the recording; no server is running any more.
    verified = verify_log(out / "events.jsonl")
    assert verified.ok and verified.complete, verified.message
