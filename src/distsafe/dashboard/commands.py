"""The `distsafe dashboard` and `distsafe report` commands (registered on the CLI's app by `register`).

    distsafe dashboard [RUN_DIR | SWEEP_DIR] [--port 8501] [--host 127.0.0.1] [--runs-dir DIR]
    distsafe report RUN_DIR [--out FILE.html]

Streamlit and plotly are the [dashboard] extra; a missing one is reported by the CLI in one line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer

APP = Path(__file__).with_name("app.py")


def streamlit_command(target: str, port: int, host: str, runs_dir: Path) -> list[str]:
    """The command line that serves the dashboard (headless, no usage statistics, no file watcher)."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port), "--server.address", host, "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        "--global.developmentMode", "false", "--client.toolbarMode", "minimal",
        "--", "--target", target, "--runs-dir", str(runs_dir),
    ]  # fmt: skip


def dashboard(
    target: Path | None = typer.Argument(None, help="a run folder (distsafe run --out) or a sweep folder"),
    port: int = typer.Option(8501, "--port", help="port to serve on"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to bind (127.0.0.1: this machine only)"),
    runs_dir: Path = typer.Option(
        Path("dashboard_runs"), "--runs-dir", help="where runs started from the dashboard are written"
    ),
) -> None:
    """Serve the Streamlit dashboard: start runs, watch them live, compare the runs of a sweep."""
    import plotly  # noqa: F401  (fail here, in one line, if the [dashboard] extra is missing)
    import streamlit  # noqa: F401

    from distsafe.scenarios.loader import ScenarioError

    if target is not None and not target.is_dir():
        raise ScenarioError(f"{target}: not a folder (give a run folder or a sweep folder)")
    if not 1 <= port <= 65535:
        raise ScenarioError(f"--port {port}: must be between 1 and 65535")
    cmd = streamlit_command(str(target.resolve()) if target else "", port, host, runs_dir.resolve())
    typer.echo(f"distsafe dashboard on http://{host}:{port} (Ctrl-C stops it)", err=True)
    env = dict(os.environ)
    try:
        code = subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        code = 0
    if code:
        raise typer.Exit(code)


def report(
    run_dir: Path = typer.Argument(..., help="a run folder (distsafe run --out)"),
    out: Path | None = typer.Option(None, "--out", help="the HTML file (default: RUN_DIR/report.html)"),
) -> None:
    """Write one self-contained HTML report of a run: summary, success criteria and every figure."""
    from distsafe.analysis.html_report import write_report
    from distsafe.scenarios.loader import ScenarioError

    if not run_dir.is_dir():
        raise ScenarioError(f"{run_dir}: not a folder (give a run folder written by distsafe run --out)")
    path = write_report(run_dir, out)
    typer.echo(f"report: {path} ({path.stat().st_size / 1e6:.1f} MB)")


def register(app: typer.Typer) -> None:
    app.command()(dashboard)
    app.command()(report)
