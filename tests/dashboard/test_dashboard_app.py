"""The Streamlit app without a browser (streamlit's AppTest): the panels a run's data calls for, a sweep's
figures, and starting a run with bad input."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
pytest.importorskip("plotly")
from streamlit.testing.v1 import AppTest  # noqa: E402
from synthetic_runs import write_run, write_sweep  # noqa: E402

APP = Path(__file__).resolve().parents[2] / "src" / "distsafe" / "dashboard" / "app.py"


def app_for(monkeypatch: pytest.MonkeyPatch, target: Path | str, runs_dir: Path) -> AppTest:
    monkeypatch.setattr(sys, "argv", ["app.py", "--target", str(target), "--runs-dir", str(runs_dir)])
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def tab_labels(at: AppTest) -> list[str]:
    return [t.label for t in at.tabs]


def test_run_with_security_and_network_data_shows_their_panels(tmp_path: Path, monkeypatch) -> None:
    run = write_run(tmp_path / "run")
    at = app_for(monkeypatch, run, tmp_path / "runs")
    assert tab_labels(at) == [
        "Time series",
        "Agents",
        "Security & collusion",
        "Network",
        "Epoch table",
        "Summary",
    ]
    values = {m.label: m.value for m in at.metric}
    assert values["toxicity_rate"] == "0.2" and values["n_interactions"] == "3"
    md = " ".join(m.value for m in at.markdown)
    assert "status: **complete**" in md and "epoch 3 of 3" in md
    assert "Frozen / quarantined agents:** adversarial_1" in md  # the freeze event reached the agent table
    expanders = [e.label for e in at.expander]
    assert any(x.startswith("Network (2)") for x in expanders)
    assert any(x.startswith("Collusion (1)") for x in expanders)
    assert [s.value for s in at.success] == ["PASS min_epochs: 3 >= 1"]


def test_plain_run_has_no_security_panel(tmp_path: Path, monkeypatch) -> None:
    from distsafe.scenarios import load_scenario
    from distsafe.scenarios.runner import run_scenario

    run_scenario(load_scenario("baseline", ["simulation.n_epochs=2"]), tmp_path / "run")
    at = app_for(monkeypatch, tmp_path / "run", tmp_path / "runs")
    assert "Security & collusion" not in tab_labels(at)
    assert "Network" in tab_labels(at)  # the interaction graph: every run has one


def test_sweep_folder_shows_bands_and_heatmap(tmp_path: Path, monkeypatch) -> None:
    sweep = write_sweep(tmp_path / "sweep")
    at = app_for(monkeypatch, sweep, tmp_path / "runs")
    md = " ".join(m.value for m in at.markdown)
    assert "12 runs" in md
    assert [w.value for w in at.warning] == ["1 runs failed: c99-s0"]
    assert at.selectbox(key="sweep-metric").value == "toxicity_rate"
    charts = at.get("plotly_chart")
    assert len(charts) == 3  # one band figure per parameter, one heatmap


def test_bad_lever_value_shows_the_cli_error(tmp_path: Path, monkeypatch) -> None:
    at = app_for(monkeypatch, "", tmp_path / "runs")
    at.text_input(key="lever-audit_probability").set_value("2").run()
    at.button(key="start").click().run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("error: ")
    assert errors[0].endswith("governance.audit_probability: Input should be less than or equal to 1")
    assert not (tmp_path / "runs").exists() or not any(p.is_dir() for p in (tmp_path / "runs").iterdir())
    at.text_input(key="epochs").set_value("two").run()
    at.button(key="start").click().run()
    assert [e.value for e in at.error] == ["error: epochs: not a whole number: 'two'"]
