"""p is a calibrated probability at the shipped defaults when nobody games the signals, and signal gaming
shows up as miscalibration (issue 10). Populations are held out from the fit (the defaults were fitted on the
baseline scenario, seeds 0-9; these are other populations at seeds 100-103). The opportunistic agents choose
their gaming over `boost_levels`; a single level fixes it: (0.0,) does not game, (1.0,) games at full
strength (the seeds' signal_boost 1.0)."""

import numpy as np
import pytest

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.core.proxy import ProxyConfig
from distsafe.metrics.soft_metrics import SoftMetrics
from distsafe.models.columns import InteractionBatch

SEEDS = (100, 101, 102, 103)


def _interactions(boost: float, **cfg) -> InteractionBatch:
    parts: list[InteractionBatch] = []
    for seed in SEEDS:
        o = Orchestrator(OrchestratorConfig(n_epochs=20, steps_per_epoch=15, seed=seed, **cfg))
        o.add_population("honest", 20)
        o.add_population("opportunistic", 20, params={"boost_levels": (boost,)})
        o.interaction_sink = parts.append
        o.run()
    return InteractionBatch.concat(parts)


@pytest.fixture(scope="module")
def honest_signals() -> InteractionBatch:
    return _interactions(0.0)


@pytest.fixture(scope="module")
def gamed_signals() -> InteractionBatch:
    return _interactions(1.0)


def test_ece_at_the_defaults_without_gaming(honest_signals):
    b = honest_signals
    assert len(b) > 20_000  # 4 runs of 40 agents x 300 steps: about 24,000 interactions
    assert np.all(b.v != 0)
    sm = SoftMetrics()
    ece = sm.ece(b)
    assert ece <= 0.03, ece
    # and soft toxicity then matches the realized harm among accepted interactions
    assert abs(sm.toxicity_rate(b) - sm.realized_harm(b)) < 0.02


def test_the_seed_sigmoid_was_not_calibrated(honest_signals):
    b = honest_signals.take(np.arange(len(honest_signals)))
    k = ProxyConfig(sigmoid_k=2).sigmoid_k  # the seeds  sigmoid, bias 0
    b.p = np.exp(-np.logaddexp(0.0, -k * b.v_hat))
    assert SoftMetrics().ece(b) > 0.15  # about 0.24: p squashed into [0.12, 0.88]


def test_signal_gaming_shows_as_miscalibration(honest_signals, gamed_signals):
    sm = SoftMetrics()
    honest, gamed = sm.ece(honest_signals), sm.ece(gamed_signals)
    assert gamed > 0.03 and gamed > 3 * honest, (honest, gamed)
    # gaming inflates p of bad work: soft toxicity under-states the realized harm
    assert sm.toxicity_rate(gamed_signals) < sm.realized_harm(gamed_signals) - 0.02
