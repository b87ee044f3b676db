"""Fixtures of the dashboard tests: Debian's chromium for Playwright (never a downloaded browser), a served
dashboard on 127.0.0.1 and a free port (stopped by the fixture, even when a test fails)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_helpers import chromium_path, cli_env, free_port


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:  # pytest-playwright's hook fixture
    path = chromium_path()
    if path is None:
        pytest.skip("no chromium on this machine: apt-get install -y chromium (.ci/run does)")
    return {**browser_type_launch_args, "executable_path": path, "args": ["--no-sandbox"]}


@pytest.fixture()
def page(browser_type_launch_args: dict) -> Iterator[Any]:
    """A page in a chromium that lives for this test only. pytest-playwright's own `page` keeps one
    Playwright (whose asyncio loop runs in the main thread) until the session ends, and every later test
    that calls asyncio.run() then fails with "cannot be called from a running event loop"."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(**browser_type_launch_args)
        try:
            yield browser.new_context().new_page()
        finally:
            browser.close()


@pytest.fixture()
def dashboard_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`distsafe dashboard --port P --runs-dir TMP` on 127.0.0.1: (url, runs_dir); stopped afterwards."""
    pytest.importorskip("streamlit")
    pytest.importorskip("plotly")
    port = free_port()
    runs = tmp_path / "runs"
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "distsafe.cli", "dashboard", "--port", str(port), "--runs-dir", str(runs)],
        stdout=log, stderr=subprocess.STDOUT, env=cli_env(), start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the dashboard did not start: {(tmp_path / 'server.log').read_text()[-2000:]}"
                )
            time.sleep(0.3)
        yield url, runs
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the group this fixture started: the CLI and streamlit
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()
