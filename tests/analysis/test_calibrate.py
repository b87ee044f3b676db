"""`distsafe calibrate`: fits on honest-signal runs, writes a loadable scenario with the fitted proxy block,
and fails in one line on bad input."""

import pytest

from distsafe.analysis.calibrate import fit_calibration, honest_signals
from distsafe.cli import main
from distsafe.scenarios import load_scenario

SMALL = ["simulation.n_epochs=4"]


def test_fit_on_a_small_scenario():
    spec = load_scenario("baseline", SMALL)
    res = fit_calibration(spec, seeds=2, rounds=1)
    assert res.n > 100 and 0 < res.base_rate < 1
    assert res.k > 2.0  # the signals separate outcomes better than the seeds' sigmoid says
    assert res.ece_fitted < res.ece_seed
    assert [c[0] for c in res.curves][0].startswith("seeds' sigmoid")
    h = honest_signals(spec)
    assert h.observables.progress_boost == 0.0 and h.observables.engagement_boost == 0.0
    assert spec.observables.progress_boost > 0  # the scenario itself is unchanged


def test_cli_writes_a_loadable_scenario(tmp_path, capsys):
    out = tmp_path / "cal.yaml"
    rc = main(
        [
            "calibrate",
            "baseline",
            "--seeds",
            "1",
            "--rounds",
            "1",
            "-o",
            "simulation.n_epochs=3",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out
    assert "fitted sigmoid_k" in text and "proxy: {sigmoid_k:" in text
    spec = load_scenario(out)
    assert spec.proxy.sigmoid_k > 2.0 and spec.proxy.sigmoid_bias != 0.0
    assert spec.simulation.n_epochs == 3


@pytest.mark.parametrize(
    "args",
    [["calibrate", "no_such_scenario"], ["calibrate", "baseline", "--seeds", "0"]],
)
def test_bad_input_is_one_line(args, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
