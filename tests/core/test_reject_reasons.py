"""Rejections by a frozen counterparty are counted apart from rejections by choice, and the quality gap is
reported without them."""

import numpy as np
import pytest

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.governance.config import GovernanceConfig
from distsafe.metrics.soft_metrics import SoftMetrics
from distsafe.models.columns import InteractionBatch
from distsafe.models.schema import RejectReason


def test_quality_gap_by_choice_by_hand():
    b = InteractionBatch.from_columns(
        p=[0.9, 0.7, 0.2, 0.8, 0.4],
        accepted=[True, True, False, False, False],
        reject_reason=[0, 0, RejectReason.CHOICE, RejectReason.FROZEN, RejectReason.FROZEN],
    )
    sm = SoftMetrics()
    assert sm.quality_gap(b) == pytest.approx(0.8 - (0.2 + 0.8 + 0.4) / 3)
    assert sm.quality_gap_by_choice(b) == pytest.approx(0.8 - 0.2)
    assert sm.n_rejected_frozen(b) == 2
    only_frozen = b.take(np.array([0, 3]))
    assert np.isnan(sm.quality_gap_by_choice(only_frozen))


def test_engine_marks_rejections_by_frozen_counterparties():
    gov = GovernanceConfig(circuit_breaker_enabled=True, freeze_threshold_toxicity=0.5)
    o = Orchestrator(OrchestratorConfig(n_epochs=8, steps_per_epoch=10, seed=1, governance_config=gov))
    o.add_population("honest", 4)
    o.add_population("adversarial", 3)
    parts: list[InteractionBatch] = []
    o.interaction_sink = parts.append
    o.run()
    b = InteractionBatch.concat(parts)
    r = b.reject_reason
    assert np.all((r == RejectReason.NONE) == b.accepted)
    assert np.count_nonzero(r == RejectReason.FROZEN) > 0  # the adversaries were frozen and refused offers
    # a FROZEN rejection's counterparty is an agent that was frozen at some point
    frozen_rows = np.flatnonzero(o.agents.frozen_until >= 0)
    assert np.all(np.isin(b.counterparty[r == RejectReason.FROZEN], frozen_rows))
    s = o.summary()
    assert s["rejected_frozen"] == np.count_nonzero(r == RejectReason.FROZEN)
    assert s["rejected_by_choice"] == np.count_nonzero(r == RejectReason.CHOICE)
