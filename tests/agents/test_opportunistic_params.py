"""Opportunistic agents choose effort and gaming from their grids; the fixed knobs are refused."""

import pytest

from distsafe.agents.opportunistic import OpportunisticPolicy


@pytest.mark.parametrize(("knob", "grid"), [("signal_boost", "boost_levels"), ("effort", "effort_levels")])
def test_fixed_effort_or_gaming_is_an_error_naming_the_grid(knob, grid):
    with pytest.raises(ValueError, match=f"set {grid} instead of {knob}"):
        OpportunisticPolicy({knob: 0.3})
    assert OpportunisticPolicy({grid: (0.3,)}).params.model_dump()[grid] == (0.3,)


def test_the_bad_yaml_exits_2_with_file_and_line(tmp_path):
    from distsafe.cli import main

    f = tmp_path / "s.yaml"
    f.write_text(
        "scenario_id: s\nagents:\n  - type: opportunistic\n    count: 2\n"
        "    params:\n      signal_boost: 0.3\n"
    )
    assert main(["run", str(f), "-q"]) == 2
