"""SimulationHistory from a run folder (JSONL and Parquet logs), export, the text report, and the live view
of a run (the log is flushed at each epoch end, RunWatch follows it)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from distsafe.analysis import (
    MetricsAggregator,
    SimulationHistory,
    export_to_csv,
    export_to_json,
    generate_summary_report,
    load_from_json,
)
from distsafe.eventlog.tail import LogFollower
from distsafe.models.events import EventType
from distsafe.scenarios import load_scenario
from distsafe.scenarios.runner import run_scenario


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hist") / "run"
    run_scenario(load_scenario("baseline", ["simulation.n_epochs=3"]), out)
    return out


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def test_history_has_the_engines_epoch_metrics(baseline_run: Path) -> None:
    h = SimulationHistory.from_run_dir(baseline_run)
    rows = json.loads((baseline_run / "metrics.json").read_text())
    assert h.status == "complete" and h.epochs_done == 3 and h.n_agents == 5 and h.seed == 42
    for snap, row in zip(h.epoch_snapshots, rows):
        assert snap.epoch == row["epoch"]
        for k, v in row.items():
            assert _same(snap.metrics[k], v), k
    assert [p.value for p in h.get_time_series("toxicity_rate")] == [r["toxicity_rate"] for r in rows]


def test_per_agent_payoffs_add_up_to_the_runs_summary(baseline_run: Path) -> None:
    h = SimulationHistory.from_run_dir(baseline_run)
    manifest = json.loads((baseline_run / "manifest.json").read_text())
    final = h.get_final_agent_states()
    assert len(final) == 5
    by_type: dict[str, list[float]] = {}
    for a in final.values():
        by_type.setdefault(a.agent_type, []).append(a.total_payoff)
    for t, pays in by_type.items():
        assert sum(pays) / len(pays) == pytest.approx(manifest["summary"][f"payoff_{t}"], rel=1e-9, abs=1e-9)
    n_int = sum(a.n_interactions for a in h.agent_snapshots)
    assert n_int == 2 * manifest["summary"]["n_interactions"]  # each interaction has two sides
    assert sum(w[0] for w in h.edges.values()) == manifest["summary"]["n_interactions"]
    assert h.success_criteria == manifest["success_criteria"]


def test_parquet_log_gives_the_same_history(tmp_path: Path, baseline_run: Path) -> None:
    pytest.importorskip("pyarrow")
    run_scenario(load_scenario("baseline", ["simulation.n_epochs=3"]), tmp_path / "pq", log_format="parquet")
    a, b = SimulationHistory.from_run_dir(baseline_run), SimulationHistory.from_run_dir(tmp_path / "pq")
    assert [s.metrics for s in a.epoch_snapshots] == [s.metrics for s in b.epoch_snapshots]
    # a Parquet log holds interactions and markers, not feed events: post and vote counts are JSONL-only
    feed = ("n_posts", "n_votes")

    def rows(h: SimulationHistory) -> list[dict[str, object]]:
        snaps = sorted(h.agent_snapshots, key=lambda x: (x.epoch, x.agent_id))
        return [{k: v for k, v in x.to_dict().items() if k not in feed} for x in snaps]

    assert rows(a) == rows(b)


def test_export_round_trip_and_csv(tmp_path: Path, baseline_run: Path) -> None:
    h = SimulationHistory.from_run_dir(baseline_run)
    back = load_from_json(export_to_json(h, tmp_path / "h.json"))
    assert [s.metrics for s in back.epoch_snapshots] == [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in s.metrics.items()}
        for s in h.epoch_snapshots
    ]
    assert all(
        _same(x.total_payoff, y.total_payoff) and x.agent_id == y.agent_id
        for x, y in zip(back.agent_snapshots, h.agent_snapshots)
    )
    assert back.edges == h.edges and back.summary == h.summary
    paths = export_to_csv(h, tmp_path / "csv", "sim")
    assert len(paths["epochs"].read_text().splitlines()) == 1 + 3
    assert len(paths["agents"].read_text().splitlines()) == 1 + len(h.agent_snapshots)


def test_summary_report_names_the_numbers(baseline_run: Path) -> None:
    h = SimulationHistory.from_run_dir(baseline_run)
    text = generate_summary_report(h)
    last = h.epoch_snapshots[-1].get("toxicity_rate")
    assert f"{last:.4g}" in text and "min_epochs" in text and "FAIL" in text
    assert text.splitlines()[0].startswith("Simulation run: 3 of 3 epochs, 5 agents, seed 42")


def test_aggregator_needs_start() -> None:
    with pytest.raises(RuntimeError, match="start_simulation"):
        MetricsAggregator().end_simulation()


def test_the_log_reaches_the_disk_at_each_epoch_end(tmp_path: Path) -> None:
    """A run with a folder flushes its JSONL log when an epoch ends: a watcher sees that epoch at once."""
    seen: list[int] = []
    out = tmp_path / "run"

    def on_epoch(m: object) -> None:
        f = LogFollower(out / "events.jsonl")
        done = [e.epoch for e in f.poll() if e.event_type == EventType.EPOCH_COMPLETED]
        f.close()
        seen.append(done[-1] if done else -1)

    run_scenario(load_scenario("baseline", ["simulation.n_epochs=3"]), out, on_epoch=on_epoch)
    assert seen == [0, 1, 2]


def test_run_watch_follows_a_run_as_it_goes(tmp_path: Path, baseline_run: Path) -> None:
    pytest.importorskip("streamlit")
    from distsafe.dashboard.watch import RunWatch

    folder = tmp_path / "live"
    folder.mkdir()
    full = (baseline_run / "events.jsonl").read_bytes()
    watch = RunWatch(folder)
    assert watch.refresh() is None and "no event log" in (watch.waiting or "")
    (folder / "events.jsonl").write_bytes(full[: len(full) // 2])
    h = watch.refresh()
    assert h is not None and 0 < h.epochs_done < 3 and h.status == "running" and not watch.ended
    (folder / "events.jsonl").write_bytes(full)
    assert not watch.ended  # the log is done, but the manifest is not there yet
    watch.refresh()
    (folder / "manifest.json").write_bytes((baseline_run / "manifest.json").read_bytes())
    h = watch.refresh()
    assert watch.ended and h is not None and h.status == "complete" and h.epochs_done == 3


def test_big_populations_follow_the_first_agents_only(tmp_path: Path, monkeypatch) -> None:
    import sys

    import distsafe.analysis.aggregation as agg

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dashboard"))
    from synthetic_runs import write_run

    monkeypatch.setattr(agg, "MAX_TRACKED_AGENTS", 2)
    h = SimulationHistory.from_run_dir(write_run(tmp_path / "run"))
    assert sorted(h.get_final_agent_states()) == ["honest_1", "honest_2"] and h.untracked_agents == 1
    assert list(h.edges) == [("honest_1", "honest_2")]
    assert h.epochs_done == 3  # the epoch metrics are complete whatever the cap
