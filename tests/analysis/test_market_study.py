"""analysis.market_study: the population per share, a point's totals, the table and the figure."""

from __future__ import annotations

from pathlib import Path

from distsafe.analysis.market_study import KEYS, N_AGENTS, markdown, plot, population, run_point


def test_population_per_share() -> None:
    assert [(a.type, a.count) for a in population(0.0)] == [("honest", N_AGENTS)]
    assert [(a.type, a.count) for a in population(1 / 2)] == [
        ("honest", 6),
        ("deceptive", 3),
        ("adversarial", 3),
    ]
    assert [(a.type, a.count) for a in population(1 / 6)] == [
        ("honest", 10),
        ("deceptive", 1),
        ("adversarial", 1),
    ]


def test_point_table_and_figure(tmp_path: Path) -> None:
    honest = run_point(0.0, seeds=2, epochs=2)
    bad = run_point(2 / 3, seeds=2, epochs=2)
    for p in (honest, bad):
        assert set(p.runs) == set(KEYS) and all(len(v) == 2 for v in p.runs.values())
    # with no bad actor nobody refuses to pay (and at these seeds no honest agent is frozen): no dispute
    assert honest.mean("withheld_from_workers") == 0.0
    assert honest.mean("bounties_filled") > 0
    table = markdown([honest, bad])
    assert table.count("\n") == 3 and "0 of 12" in table and "8 of 12" in table
    plot([honest, bad], tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 1000
