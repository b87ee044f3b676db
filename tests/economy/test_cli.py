"""`distsafe economy run` (embedded and remote engine) and its one-line errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from distsafe.economy.cli import app


def test_cli_run_and_errors(tmp_path) -> None:
    runner = CliRunner()
    db = tmp_path / "cli.db"
    rep = tmp_path / "rep.json"
    res = runner.invoke(
        app, ["run", "--agents", "5", "--turns", "4", "--db", str(db), "--report-json", str(rep)]
    )
    assert res.exit_code == 0, res.output
    assert "invariant ok" in res.output and "blocks by kind" in res.output
    data = json.loads(rep.read_text())
    assert data["turns"] == 4 and data["blocks_by_kind"]["mine"] == 4
    res = runner.invoke(app, ["run", "--agents", "5", "--turns", "1", "--db", str(db)])
    assert res.exit_code == 1 and "already holds a world" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["run", "--turns", "1", "--db", str(tmp_path / "m.db"), "--mix", "miner,wizard"])
    assert res.exit_code == 1 and "unknown strategy 'wizard'" in res.output
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    res = runner.invoke(app, ["run", "--turns", "1", "--db", str(tmp_path / "b.db"), "--config", str(bad)])
    assert res.exit_code == 1 and "cannot read world config" in res.output
    neg = tmp_path / "neg.json"
    neg.write_text('{"mine_block_reward": -5}')
    res = runner.invoke(app, ["run", "--turns", "1", "--db", str(tmp_path / "n.db"), "--config", str(neg)])
    assert res.exit_code == 1 and "mine_block_reward" in res.output and "Traceback" not in res.output
    inf = tmp_path / "inf.json"
    inf.write_text('{"stake_weight": Infinity}')
    res = runner.invoke(app, ["run", "--turns", "1", "--db", str(tmp_path / "i.db"), "--config", str(inf)])
    assert res.exit_code == 1 and "stake_weight: Input should be a finite number" in res.output
    assert not (tmp_path / "i.db").exists()  # refused before any ledger was made
    res = runner.invoke(app, ["run", "--agents", "1"])
    assert res.exit_code == 2
    res = runner.invoke(
        app,
        [
            "run",
            "--turns",
            "1",
            "--db",
            str(tmp_path / "r.db"),
            "--engine-url",
            "http://127.0.0.1:9",
            "--admin-token",
            "x",
        ],
    )
    assert res.exit_code == 1 and "error" in res.output and "Traceback" not in res.output


def test_cli_run_against_remote_engine(live_server) -> None:
    runner = CliRunner()
    args = [
        "run",
        "--agents",
        "4",
        "--turns",
        "3",
        "--engine-url",
        live_server.url,
        "--admin-token",
        live_server.token,
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "invariant ok" in res.output
    res = runner.invoke(app, args)
    assert res.exit_code == 1 and "--force" in res.output
    res = runner.invoke(app, args[:-1] + ["wrong"])
    assert res.exit_code == 1 and "admin token" in res.output
    res = runner.invoke(app, args + ["--force"])
    assert res.exit_code == 0 and "Economy after 3 turns" in res.output


@pytest.mark.parametrize("token", ["NaN", "-Infinity"])
def test_cli_config_with_a_non_finite_number_is_one_line(tmp_path, token) -> None:
    cfg = tmp_path / "w.json"
    cfg.write_text(f'{{"study_bonus": {token}}}')
    db = tmp_path / "w.db"
    res = CliRunner().invoke(app, ["run", "--turns", "1", "--db", str(db), "--config", str(cfg)])
    assert res.exit_code == 1 and "study_bonus: Input should be a finite number" in res.output
    assert "Traceback" not in res.output and not db.exists()


def test_an_unreachable_model_server_fails_the_run(tmp_path) -> None:
    runner = CliRunner()
    base = ["run", "--agents", "3", "--turns", "1", "--llm-provider", "ollama", "--llm-agents", "1",
            "--llm-base-url", "http://127.0.0.1:9"]  # fmt: skip
    res = runner.invoke(app, [*base, "--db", str(tmp_path / "a.db")])
    assert res.exit_code == 1, res.output
    lines = [x for x in res.output.splitlines() if x.startswith("error:")]
    assert len(lines) == 1 and "LLM" in lines[0] and "agent_0" in lines[0], res.output
    assert "--continue-on-llm-error" in res.output and "Traceback" not in res.output
    rep = tmp_path / "rep.json"
    res = runner.invoke(app, [*base, "--db", str(tmp_path / "b.db"), "--continue-on-llm-error",
                              "--report-json", str(rep)])  # fmt: skip
    assert res.exit_code == 0, res.output
    llm = json.loads(rep.read_text())["llm"]
    assert llm["agents"] == 1 and llm["calls"] == 1 and llm["failures"] == 1 and llm["accepted"] == 0
    assert "LLM calls 1, failed 1" in res.output


def test_dry_run_llm_agents_take_valid_actions(tmp_path) -> None:
    rep = tmp_path / "rep.json"
    res = CliRunner().invoke(app, ["run", "--agents", "4", "--turns", "6", "--db", str(tmp_path / "d.db"),
                                   "--llm-provider", "dry_run", "--llm-agents", "2", "--report-json",
                                   str(rep)])  # fmt: skip
    assert res.exit_code == 0, res.output
    llm = json.loads(rep.read_text())["llm"]
    assert llm["agents"] == 2 and llm["calls"] == 12 and llm["failures"] == 0
    assert llm["accepted"] > 0 and llm["accepted"] >= 2 * llm["rejected"], llm
    assert "invariant ok" in res.output
