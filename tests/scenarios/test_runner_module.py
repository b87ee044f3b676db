"""The plan's entry points: `python -m distsafe.runner.runner SCENARIO --epochs N --output DIR`,
`python -m distsafe.runner.replay DIR --verify`, and `Orchestrator.run(n_epochs)`."""

from __future__ import annotations

import pytest

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.runner import replay as replay_mod
from distsafe.runner import runner as runner_mod


def test_runner_and_replay_modules(tmp_path, capsys):
    out = tmp_path / "run_001"
    assert runner_mod.main(["baseline", "--epochs", "2", "--output", str(out), "-q"]) == 0
    assert (out / "events.jsonl").exists()
    assert replay_mod.main([str(out), "--verify"]) == 0
    assert "VERIFIED" in capsys.readouterr().out


def test_runner_module_errors_are_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenario_id: x\nagents: [{type: honest}]\npayoff: {s_plus: .inf}\n")
    assert runner_mod.main([str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "payoff.s_plus" in err[0]


def test_limit_flag_raises_and_is_validated(tmp_path, capsys, monkeypatch):
    # --limit sets DISTSAFE_MAX_EPOCHS for the process; monkeypatch puts the environment back afterwards
    monkeypatch.setenv("DISTSAFE_MAX_EPOCHS", "1000000")
    assert runner_mod.main(["baseline", "--epochs", "2", "--limit", "max_epochs=nan", "-q"]) == 2
    assert "not a whole number" in capsys.readouterr().err
    assert runner_mod.main(["baseline", "--epochs", "3", "--limit", "max_epochs=2", "-q"]) == 2
    assert "n_epochs is 3, over the cap max_epochs=2" in capsys.readouterr().err


def test_run_n_epochs():
    o = Orchestrator(OrchestratorConfig(n_epochs=10, seed=1))
    o.add_population("honest", 4)
    assert len(o.run(3)) == 3 and o.header()["n_epochs"] == 3
    o2 = Orchestrator(OrchestratorConfig(n_epochs=10, seed=1))
    o2.add_population("honest", 4)
    with pytest.raises(ValueError, match="max_epochs"):
        o2.run(10**9)


def test_memory_error_in_a_run_is_one_line(monkeypatch, capsys):
    import numpy as np

    import distsafe.scenarios.runner as runner

    def boom(*a, **k):
        np.empty(2**62, dtype=np.int8)  # numpy's _ArrayMemoryError, a MemoryError

    monkeypatch.setattr(runner, "run_scenario", boom)
    assert runner_mod.main(["baseline", "--epochs", "1", "-q"]) == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and err[0].startswith("error: out of memory")
