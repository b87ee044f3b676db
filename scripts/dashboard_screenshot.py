"""Take the README's screenshot of the dashboard: serve `distsafe dashboard RUN_DIR` on 127.0.0.1 (a free
port), open it in Debian's chromium through Playwright, wait for the charts, save a PNG, stop the server.

    python scripts/dashboard_screenshot.py runs/baseline docs/dashboard.png
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request


def main(run_dir: str, out: str) -> None:
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "distsafe.cli", "dashboard", run_dir, "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
            page = browser.new_page(viewport={"width": 1400, "height": 1250})
            page.goto(f"http://127.0.0.1:{port}")
            page.get_by_text("status: complete").wait_for(timeout=60_000)
            page.wait_for_function(
                "document.querySelectorAll('.js-plotly-plot .scatterlayer .trace path').length > 0",
                timeout=60_000,
            )
            page.wait_for_timeout(2000)
            page.screenshot(path=out)
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
