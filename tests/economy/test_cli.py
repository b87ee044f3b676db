"""`distsafe economy run` (embedded and remote engine) and its one-line errors."""

from __future__ import annotations

import json

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
