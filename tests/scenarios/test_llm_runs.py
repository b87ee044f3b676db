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


LLM_SCENARIO = """scenario_id: llm_errors
agents:
  - type: llm
    count: 1
    llm:
      provider: dry_run
{bad}
  - type: honest
    count: 1
"""


@pytest.mark.parametrize(
    "bad, where",
    [
        ("      temprature: 0.5", "llm_errors.yaml:7: agents.0.llm.temprature: unknown field"),
        (
            "      temperature: 3.0",
            "llm_errors.yaml:7: agents.0.llm.temperature: Input should be less than or equal to 2",
        ),
        ("      persona: sneaky", "llm_errors.yaml:7: agents.0.llm.persona: unknown persona 'sneaky'"),
        (
            "      max_tokens: lots",
            "llm_errors.yaml:7: agents.0.llm.max_tokens: Input should be a valid integer",
        ),
        ("      price_input_per_mtok: 1.0", "llm_errors.yaml:5: agents.0.llm: set both price_input_per_mtok"),
    ],
)
def test_a_bad_llm_field_is_reported_with_its_yaml_line(bad, where, tmp_path):
    from distsafe.scenarios import ScenarioError

    path = tmp_path / "llm_errors.yaml"
    path.write_text(LLM_SCENARIO.format(bad=bad))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert message.startswith(f"{tmp_path}/{where}"), message
    assert "\n" not in message


def test_the_llm_block_is_validated_into_an_llm_config(tmp_path):
    from distsafe.agents.llm import LLMConfig, LLMProvider

    path = tmp_path / "ok.yaml"
    path.write_text(LLM_SCENARIO.format(bad="      price: {input: 1.0, output: 2.0}"))
    spec = load_scenario(path)
    cfg = spec.agents[0].llm
    assert isinstance(cfg, LLMConfig) and cfg.provider == LLMProvider.DRY_RUN and cfg.model == "dry-run"
    assert (cfg.price_input_per_mtok, cfg.price_output_per_mtok) == (1.0, 2.0)
    assert spec.agents[1].llm is None
