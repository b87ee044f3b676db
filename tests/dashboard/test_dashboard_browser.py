"""The dashboard in a real browser (Playwright driving Debian's chromium): bad input gives the CLI's one-line
error and the app keeps going; a small scenario started from the UI runs, its charts render, and the numbers
shown are the run folder's metrics.json. Screenshots go to test-artifacts/dashboard/ (git-ignored)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from dashboard_helpers import ARTIFACTS, cli_env

pytest.importorskip("pytest_playwright", reason="the browser test needs the dev extra (pytest-playwright)")

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

BAD_YAML = "scenario_id: broken\nagents:\n  - type: honest\n    count: [2\n"


def cli_error(*args: str) -> str:
    """The one line `distsafe run` prints for this input."""
    r = subprocess.run(
        [sys.executable, "-m", "distsafe.cli", "run", *args, "-q"],
        capture_output=True,
        text=True,
        env=cli_env(),
    )
    assert r.returncode == 2, r.stdout + r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, r.stderr
    return lines[0]


def shown(v: object) -> str:
    if v is None:
        return "n/a"
    f = float(v)  # type: ignore[arg-type]
    return "n/a" if not math.isfinite(f) else f"{f:.6g}"


def alert_texts(page) -> list[str]:
    return [t.strip() for t in page.locator('[data-testid="stAlert"]').all_inner_texts()]


def start(page) -> None:
    page.get_by_role("button", name="Start run").click()


def set_text(page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Enter")
    page.wait_for_timeout(400)


def test_dashboard_in_browser(dashboard_server, page, tmp_path: Path) -> None:
    url, runs = dashboard_server
    t0 = time.monotonic()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(url)
    page.get_by_role("button", name="Start run").wait_for(timeout=30_000)
    set_text(page, "epochs (empty: the scenario's)", "2")

    # an out-of-range lever value: the CLI's line, nothing started
    page.get_by_text("Levers (governance)").click()
    set_text(page, "transaction_tax_rate", "1.5")
    start(page)
    want = cli_error("baseline", "--epochs", "2", "-o", "governance.transaction_tax_rate=1.5")
    page.get_by_text(want, exact=True).wait_for(timeout=15_000)
    page.screenshot(path=str(ARTIFACTS / "bad_lever.png"))
    print(f"bad lever: {time.monotonic() - t0:.1f} s")
    assert not runs.exists() or not [p for p in runs.iterdir() if p.name != "uploads"]

    # an invalid YAML upload: the CLI's line for that file, the app still answers
    page.get_by_text("Upload YAML").click()
    page.locator('input[type="file"]').set_input_files(
        files=[{"name": "bad.yaml", "mimeType": "application/x-yaml", "buffer": BAD_YAML.encode()}]
    )
    page.wait_for_timeout(800)
    start(page)
    saved = runs / "uploads" / "bad.yaml"
    want = cli_error(str(saved))
    assert saved.read_text() == BAD_YAML
    page.get_by_text(want, exact=True).wait_for(timeout=15_000)
    page.screenshot(path=str(ARTIFACTS / "bad_yaml.png"))
    print(f"bad yaml: {time.monotonic() - t0:.1f} s")
    with urllib.request.urlopen(url + "/_stcore/health", timeout=5) as r:
        assert r.status == 200

    # a valid run from the UI: the shipped baseline, 2 epochs, a lever set in range
    page.get_by_text("Shipped scenario").click()
    set_text(page, "transaction_tax_rate", "0.1")
    start(page)
    page.get_by_text("status: complete").wait_for(timeout=150_000)  # slow only on a loaded machine
    print(f"run complete: {time.monotonic() - t0:.1f} s")
    page.wait_for_function(  # the charts' marks are drawn (plotly's SVG paths of the line traces)
        "document.querySelectorAll('.js-plotly-plot .main-svg .scatterlayer .trace path').length > 0",
        timeout=30_000,
    )
    assert page.locator(".js-plotly-plot .main-svg").count() >= 2
    assert not page.locator('[data-testid="stException"]').count()
    (run_dir,) = [p for p in runs.iterdir() if p.is_dir() and p.name != "uploads"]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert len(metrics) == 2
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert "transaction_tax_rate: 0.1" in (run_dir / "scenario.yaml").read_text()  # the lever reached the run
    page.wait_for_timeout(1500)  # let the last charts draw before the picture
    page.screenshot(path=str(ARTIFACTS / "run.png"), full_page=False)

    # the live metrics are the last epoch's, as in metrics.json
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    assert len(labels) == len(values) >= 6
    for label, value in zip(labels, values):
        assert value.strip() == shown(metrics[-1][label.strip()]), label

    # the epoch table: every metric of every epoch equals metrics.json
    print(f"metrics checked: {time.monotonic() - t0:.1f} s")
    page.get_by_role("tab", name="Epoch table").click()
    table = page.locator('[role="tabpanel"]:visible [data-testid="stTable"] table').first
    table.wait_for(timeout=10_000)
    header = [c.strip() for c in table.locator("thead th").all_inner_texts()]
    assert header[-2:] == ["epoch 0", "epoch 1"]
    rows = table.evaluate(
        "t => [...t.querySelectorAll('tbody tr')]"
        ".map(r => [...r.querySelectorAll('th, td')].map(c => c.innerText.trim()))"
    )
    checked = 0
    for cells in rows:
        key, got = cells[-3], cells[-2:]
        assert got == [shown(metrics[0].get(key)), shown(metrics[1].get(key))], key
        checked += 1
    keys = {
        k
        for m in metrics
        for k, v in m.items()
        if k != "epoch" and (v is None or isinstance(v, (int, float)))
    }
    assert checked == len(keys)
    page.screenshot(path=str(ARTIFACTS / "epoch_table.png"))

    # the agents tab draws the per-agent trajectories
    page.get_by_role("tab", name="Agents").click()
    page.locator('[role="tabpanel"]:visible .js-plotly-plot .scatterlayer .trace').first.wait_for(
        timeout=10_000
    )
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "agents.png"))
    print(f"browser part: {time.monotonic() - t0:.1f} s")
