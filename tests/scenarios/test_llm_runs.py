"""LLM agents inside the engine: YAML `type: llm`, the recording in the run folder, exact replay offline."""

import json

import pytest

from distsafe.scenarios import load_scenario
from distsafe.scenarios.runner import RECORDING_NAME, run_scenario, verify_log


@pytest.fixture(scope="module")
def llm_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("llm") / "run"
    spec = load_scenario("llm_agents", ["simulation.n_epochs=3"])
    return run_scenario(spec, out)


def test_llm_scenario_records_every_call(llm_run):
    out = llm_run.out_dir
    lines = (out / RECORDING_NAME).read_text().splitlines()
    usage = llm_run.orchestrator.get_llm_usage_stats()
    assert set(usage) == {"llm_open_1", "llm_open_2", "llm_adv_1"}
    assert len(lines) == sum(u["total_requests"] for u in usage.values()) > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["llm_usage"]["llm_adv_1"]["persona"] == "adversarial"
    assert RECORDING_NAME in manifest["files"]


def test_llm_run_replays_from_the_recording_without_any_model(llm_run, monkeypatch):
    from distsafe.llm import DryRunClient

    async def no_model(self, request):
        raise AssertionError("replay must not call a model")

    monkeypatch.setattr(DryRunClient, "complete", no_model)
    res = verify_log(llm_run.out_dir / "events.jsonl")
    assert res.ok, res.message


def test_llm_replay_needs_its_recording(llm_run, tmp_path):
    import shutil

    from distsafe.scenarios import ScenarioError

    shutil.copy(llm_run.out_dir / "events.jsonl", tmp_path / "events.jsonl")
    with pytest.raises(ScenarioError, match=RECORDING_NAME):
        verify_log(tmp_path / "events.jsonl")
