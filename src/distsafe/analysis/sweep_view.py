"""A sweep folder for figures: each metric against each parameter (mean with a 95% interval), heatmaps of
two-parameter grids.

The folder (written by `distsafe sweep`): `DIR/sweep.yaml`, `DIR/runs/<run_id>.parquet` (one row per epoch:
`run_id`, `config_id`, `seed`, `status`, one `param.<dotted.path>` per swept parameter, `epoch`, then every
epoch metric), `DIR/failed/*.json`. The shards are read here with pandas (the [parquet] extra).

A run's value of a metric is its mean over the run's epochs (`reduce="mean"`) or its last epoch's value
(`reduce="final"`); the band is the 95% t-interval of the runs' values at each parameter value, pooled over
the other parameters' values.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from distsafe.analysis.plot_data import PlotData, create_heatmap_data

ID_COLUMNS = ("run_id", "config_id", "seed", "status", "epoch")
PARAM_PREFIX = "param."


def is_sweep_dir(path: Path) -> bool:
    return (
        (path / "sweep.yaml").is_file() or (path / "runs").is_dir() and any((path / "runs").glob("*.parquet"))
    )


def load_sweep_frame(path: str | Path) -> Any:
    """All run shards of a sweep folder as one pandas DataFrame (rows = epochs of runs)."""
    import pandas as pd

    folder = Path(path)
    shards = sorted((folder / "runs").glob("*.parquet"))
    if not shards:
        raise FileNotFoundError(
            f"{folder}: no run shards (runs/*.parquet); not a sweep folder, or no run ended"
        )
    return pd.concat((pd.read_parquet(f) for f in shards), ignore_index=True)


def failed_runs(path: str | Path) -> list[str]:
    return sorted(p.stem for p in (Path(path) / "failed").glob("*.json"))


def sweep_params(frame: Any) -> list[str]:
    return [c for c in frame.columns if str(c).startswith(PARAM_PREFIX)]


def sweep_metrics(frame: Any) -> list[str]:
    import pandas as pd

    return [
        c
        for c in frame.columns
        if c not in ID_COLUMNS
        and not str(c).startswith(PARAM_PREFIX)
        and pd.api.types.is_numeric_dtype(frame[c])
    ]


def run_values(frame: Any, metric: str, reduce: str = "mean") -> Any:
    """One row per run: its parameters and its value of `metric` (mean over epochs, or the last epoch's)."""
    if reduce not in ("mean", "final"):
        raise ValueError(f"reduce must be 'mean' or 'final', not {reduce!r}")
    params = sweep_params(frame)
    ok = frame[frame["status"] == "complete"] if "status" in frame.columns else frame
    ok = ok.sort_values(["run_id", "epoch"])
    grouped = ok.groupby("run_id", sort=True)
    agg = grouped[metric].mean() if reduce == "mean" else grouped[metric].last()
    first = grouped[params].first()
    out = first.join(agg.rename("value"))
    return out.reset_index()


def t_interval(values: list[float]) -> tuple[float, float, float]:
    """Mean and the two ends of its 95% t-interval (the mean alone for one value; NaN for none)."""
    xs = [v for v in values if not math.isnan(v)]
    n = len(xs)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = sum(xs) / n
    if n == 1:
        return mean, mean, mean
    from scipy.stats import t

    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    half = float(t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def metric_vs_param(frame: Any, metric: str, param: str, reduce: str = "mean") -> PlotData:
    """x: the parameter's values; mean, lo, hi of the runs' values at each (one series, 'all runs')."""
    runs = run_values(frame, metric, reduce)
    xs = sorted(runs[param].dropna().unique().tolist())
    mean, lo, hi, n = [], [], [], []
    for x in xs:
        vals = [float(v) for v in runs.loc[runs[param] == x, "value"]]
        m, a, b = t_interval(vals)
        mean.append(m)
        lo.append(a)
        hi.append(b)
        n.append(len(vals))
    return {
        "series": {"all runs": {"x": xs, "mean": mean, "lo": lo, "hi": hi, "n": n}},
        "x_label": param[len(PARAM_PREFIX) :],
        "y_label": f"{metric} ({reduce} per run)",
    }


def heatmap_of(frame: Any, metric: str, x_param: str, y_param: str, reduce: str = "mean") -> PlotData:
    runs = run_values(frame, metric, reduce)
    data = create_heatmap_data(runs.to_dict("records"), x_param, y_param, "value")
    data["x_label"] = x_param[len(PARAM_PREFIX) :]
    data["y_label"] = y_param[len(PARAM_PREFIX) :]
    data["value_label"] = metric
    return data
