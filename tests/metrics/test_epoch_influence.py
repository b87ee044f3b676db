"""metrics_to_track (issue 9): influence_gini computed when named, unknown names refused."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.metrics.epoch import influence_gini, trackable_metrics
from distsafe.scenarios import ScenarioError, scenario_from_text


def test_influence_gini_values():
    assert influence_gini(np.array([1.0, 1.0, 1.0])) == 0.0
    assert influence_gini(np.array([0.0, 0.0, 0.0, 4.0])) == pytest.approx(0.75)
    assert math.isnan(influence_gini(np.zeros(3))) and math.isnan(influence_gini(None))


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=50))
def test_influence_gini_in_unit_interval_and_scale_free(w):
    x = np.array(w)
    g = influence_gini(x)
    if x.sum() > 0:
        assert 0.0 <= g <= 1.0
        assert influence_gini(x * 3.0) == pytest.approx(g, abs=1e-9)


def _orch(track: list[str], **gov) -> Orchestrator:
    from distsafe.governance.config import GovernanceConfig

    cfg = OrchestratorConfig(n_epochs=4, steps_per_epoch=6, seed=2, metrics_to_track=track,
                             governance_config=GovernanceConfig(**gov) if gov else None)  # fmt: skip
    o = Orchestrator(cfg)
    o.add_population("honest", 10, params={"p_vote": 0.3, "p_interact": 0.3})
    o.add_population(
        "adversarial",
        4,
        params={"p_vote": 0.4, "p_interact": 0.2, "p_post": 0.1, "p_reply": 0.1, "p_claim": 0.1},
    )
    return o


def test_influence_gini_reported_only_when_asked_and_matches_the_votes():
    plain = _orch([])
    plain.run()
    assert "influence_gini" not in plain.epoch_metrics[0].to_dict()
    o = _orch(["influence_gini"])
    o.run()
    vals = [m.influence_gini for m in o.epoch_metrics]
    assert all(0 <= v <= 1 for v in vals if v == v) and any(v == v for v in vals)
    # the other metrics are unchanged by asking for it
    assert [m.toxicity_rate for m in o.epoch_metrics] == [m.toxicity_rate for m in plain.epoch_metrics]


def test_unknown_metric_is_one_line_with_the_known_list():
    with pytest.raises(ScenarioError) as e:
        scenario_from_text(
            "scenario_id: x\nagents: [{type: honest}]\nmetrics_to_track: [toxicity_rate, foo]\n"
        )
    msg = str(e.value)
    assert msg.startswith("<scenario>:3: metrics_to_track: unknown metric 'foo'; known: epoch, ")
    assert "influence_gini" in msg and "\n" not in msg
    assert "toxicity_rate" in trackable_metrics() and "payoff_honest" in trackable_metrics()
