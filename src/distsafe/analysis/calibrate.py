"""Fit the proxy's calibration map p = sigmoid(k * v_hat + b) to a scenario (`distsafe calibrate`).

The calibration runs are the scenario itself, over several seeds, with *honest signals*: the signal model's
gaming terms (`observables.progress_boost`, `observables.engagement_boost`) set to 0, so that the agents do
what they always do but nothing inflates the observables. (k, b) is the maximum-likelihood fit of the hidden
outcomes v on v_hat over every interaction of those runs (Platt scaling, `core.sigmoid.fit_sigmoid`). Since
p feeds back into the run (acceptance by reputation, audits, the circuit breaker), the fit is repeated
`rounds` times, each round running with the previous round's map.

Reported beside the fit: the ECE of the seeds' sigmoid (k = 2, b = 0) and of the scenario's own proxy on
the same interactions, and the ECE of the fitted map on the scenario as written (signal gaming on): what
gaming does to the labels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from distsafe.core.sigmoid import calibrated_sigmoid, fit_sigmoid
from distsafe.metrics.soft_metrics import SoftMetrics
from distsafe.models.columns import InteractionBatch
from distsafe.scenarios.builder import build_orchestrator
from distsafe.scenarios.spec import ScenarioSpec

SEED_K = 2.0


@dataclass
class CalibrationResult:
    """A fitted calibration and how well each map does on the calibration runs."""

    scenario: str
    seeds: list[int]
    k: float
    bias: float
    #: interactions of the last round (honest signals) the fit used
    n: int
    base_rate: float
    ece_seed: float  # the seeds' sigmoid (k = 2, b = 0) on those interactions
    ece_scenario: float  # the scenario's own proxy on those interactions
    ece_fitted: float  # the fitted map on those interactions (in sample)
    n_gaming: int  # interactions of the scenario as written (signal gaming on), fitted map
    ece_gaming: float
    #: (label, calibration curve) for the plot: seed sigmoid, fitted, fitted under gaming
    curves: list[tuple[str, dict[str, np.ndarray]]] = field(default_factory=list)

    def proxy_block(self) -> dict[str, float]:
        return {"sigmoid_k": round(self.k, 4), "sigmoid_bias": round(self.bias, 4)}


def honest_signals(spec: ScenarioSpec) -> ScenarioSpec:
    """`spec` with the signal model's gaming terms off (the agents' own choices unchanged)."""
    obs = spec.observables.model_copy(update={"progress_boost": 0.0, "engagement_boost": 0.0})
    return spec.model_copy(update={"observables": obs})


def with_proxy(spec: ScenarioSpec, k: float, bias: float) -> ScenarioSpec:
    return spec.model_copy(
        update={"proxy": spec.proxy.model_copy(update={"sigmoid_k": k, "sigmoid_bias": bias})}
    )


def run_interactions(
    spec: ScenarioSpec, seeds: list[int], on_run: Callable[[], None] | None = None
) -> InteractionBatch:
    """Every interaction of `spec` run at each seed, in one batch."""
    parts: list[InteractionBatch] = []
    for s in seeds:
        sim = spec.simulation.model_copy(update={"seed": s})
        orch = build_orchestrator(spec.model_copy(update={"simulation": sim}))
        orch.interaction_sink = parts.append
        orch.run()
        if on_run:
            on_run()
    return InteractionBatch.concat(parts)


def ece_of(p: np.ndarray, v: np.ndarray, bins: int = 10) -> float:
    return SoftMetrics(ece_bins=bins).ece(InteractionBatch.from_columns(p=p, v=v))


def curve_of(p: np.ndarray, v: np.ndarray, bins: int = 10) -> dict[str, np.ndarray]:
    return SoftMetrics(ece_bins=bins).calibration_curve(InteractionBatch.from_columns(p=p, v=v))


def fit_calibration(
    spec: ScenarioSpec,
    seeds: int = 10,
    seed_base: int = 0,
    rounds: int = 2,
    on_run: Callable[[], None] | None = None,
) -> CalibrationResult:
    """Fit (k, b) on `seeds` honest-signal runs of `spec` (seeds seed_base ..), `rounds` times."""
    if seeds < 1 or rounds < 1:
        raise ValueError("seeds and rounds must be at least 1")
    seed_list = list(range(seed_base, seed_base + seeds))
    honest = honest_signals(spec)
    own_k, own_b = spec.proxy.sigmoid_k, spec.proxy.sigmoid_bias
    k, b = own_k, own_b
    batch = InteractionBatch.empty(0)
    for _ in range(rounds):
        batch = run_interactions(with_proxy(honest, k, b), seed_list, on_run)
        known = batch.v != 0
        k, b = fit_sigmoid(batch.v_hat[known], (batch.v[known] > 0).astype(np.float64))
    known = batch.v != 0
    vh, v = batch.v_hat[known], batch.v[known]
    p_seed = calibrated_sigmoid(vh, SEED_K)
    p_fit = calibrated_sigmoid(vh, k, b)
    gaming = run_interactions(with_proxy(spec, k, b), seed_list, on_run)
    g_known = gaming.v != 0
    p_gaming = gaming.p[g_known]
    return CalibrationResult(
        scenario=spec.scenario_id,
        seeds=seed_list,
        k=float(k),
        bias=float(b),
        n=int(vh.shape[0]),
        base_rate=float(np.mean(v > 0)) if vh.size else float("nan"),
        ece_seed=ece_of(p_seed, v),
        ece_scenario=ece_of(calibrated_sigmoid(vh, own_k, own_b), v),
        ece_fitted=ece_of(p_fit, v),
        n_gaming=int(np.count_nonzero(g_known)),
        ece_gaming=ece_of(p_gaming, gaming.v[g_known]),
        curves=[
            ("seeds' sigmoid k=2, honest signals", curve_of(p_seed, v)),
            (f"fitted k={k:.2f} b={b:+.2f}, honest signals", curve_of(p_fit, v)),
            ("fitted, scenario as written (signal gaming on)", curve_of(p_gaming, gaming.v[g_known])),
        ],
    )


def calibrated_scenario_data(spec: ScenarioSpec, result: CalibrationResult) -> dict[str, Any]:
    """The scenario as YAML-ready data, with the fitted map in its `proxy:` block."""
    block = result.proxy_block()
    data = with_proxy(spec, block["sigmoid_k"], block["sigmoid_bias"]).model_dump(mode="json", by_alias=True)
    return dict(data)
