"""`distsafe report` and `distsafe dashboard` on the command line: one-line errors, a self-contained report,
and the base install's word on metrics.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from synthetic_runs import write_run

from distsafe.cli import main


def test_report_writes_one_html_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("plotly")
    run = write_run(tmp_path / "run")
    assert main(["report", str(run), "--out", str(tmp_path / "r.html")]) == 0
    page = (tmp_path / "r.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "Plotly.newPlot" in page
    assert "report: " in capsys.readouterr().out
    assert main(["report", str(run)]) == 0 and (run / "report.html").is_file()


@pytest.mark.parametrize(
    "args, line",
    [
        (["report", "NOPE"], "error: NOPE: not a folder (give a run folder written by distsafe run --out)"),
        (["dashboard", "NOPE"], "error: NOPE: not a folder (give a run folder or a sweep folder)"),
    ],
)
def test_bad_folder_is_one_line(tmp_path: Path, capsys, monkeypatch, args: list[str], line: str) -> None:
    pytest.importorskip("streamlit")
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err == line


def test_report_of_a_folder_without_log(tmp_path: Path, capsys) -> None:
    pytest.importorskip("plotly")
    assert main(["report", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip().startswith(f"error: {tmp_path}: no event log")


def test_dashboard_serves_on_localhost_by_default(monkeypatch, tmp_path: Path) -> None:
    pytest.importorskip("streamlit")
    from distsafe.dashboard import commands

    seen: list[list[str]] = []
    monkeypatch.setattr(commands.subprocess, "call", lambda cmd, env: seen.append(cmd) or 0)
    assert main(["dashboard", str(tmp_path), "--port", "8999"]) == 0
    cmd = seen[0]
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--server.port") + 1] == "8999"
    assert cmd[cmd.index("--target") + 1] == str(tmp_path.resolve())


def test_run_without_matplotlib_says_which_extra_draws_the_plot(tmp_path: Path, capsys, monkeypatch) -> None:
    import distsafe.metrics.plots as plots

    monkeypatch.setattr(plots, "plot_epoch_metrics", lambda *a, **k: None)  # as without matplotlib
    assert main(["run", "baseline", "--epochs", "1", "-q", "--out", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    notes = [ln for ln in err.splitlines() if "metrics.png" in ln]
    assert notes == ["note: no metrics.png: the plot needs matplotlib, pip install 'distsafe[analysis]' "
                     "(or `distsafe report DIR` with the [dashboard] extra)"]  # fmt: skip
    assert not (tmp_path / "run" / "metrics.png").exists()
