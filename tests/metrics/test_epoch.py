"""`measure_epoch`, `run_summary` and `EpochMetrics`: the one place that measures an epoch."""

import math

import numpy as np
import pytest

from distsafe.metrics import EPOCH_FIELDS, EPOCH_KEYS, EpochCounts, EpochMetrics, SoftMetrics
from distsafe.metrics.epoch import bad_actor_payoff, measure_epoch, run_summary, type_payoffs, type_toxicity
from distsafe.models.agent import AgentType
from distsafe.models.agent_table import AgentTable
from distsafe.models.columns import InteractionBatch


@pytest.fixture
def agents() -> AgentTable:
    """Rows 0-1 honest, 2 deceptive, 3 adversarial; cumulative payoffs 1, 3, -2, 4."""
    t = AgentTable()
    t.add(AgentType.HONEST, 0, prefix="h", count=2)
    t.add(AgentType.DECEPTIVE, 1, prefix="d", count=1)
    t.add(AgentType.ADVERSARIAL, 2, prefix="a", count=1)
    t.total_payoff[:] = [1.0, 3.0, -2.0, 4.0]
    t.reputation[:] = [0.5, 0.5, -1.0, 0.0]
    t.frozen_until[:] = [-1, -1, 3, 1]
    return t


@pytest.fixture
def batch() -> InteractionBatch:
    """Honest rows initiate two accepted (p .9, .7) and one rejected; the deceptive one accepted (p .2)."""
    return InteractionBatch.from_columns(
        initiator=[0, 1, 0, 2],
        counterparty=[1, 0, 3, 0],
        accepted=[True, True, False, True],
        p=[0.9, 0.7, 0.4, 0.2],
        payoff_a=[1.0, 0.5, 0.0, -1.0],
        payoff_b=[0.5, 0.5, 0.0, 2.0],
    )


def test_type_payoffs_and_bad_actors_by_hand(agents):
    assert type_payoffs(agents) == {"honest": 2.0, "deceptive": -2.0, "adversarial": 4.0}
    assert bad_actor_payoff(agents) == pytest.approx(1.0)  # mean of -2 and 4


def test_type_toxicity_by_hand(agents, batch):
    tox = type_toxicity(batch, agents)
    assert tox["honest"] == pytest.approx(0.2)  # 1 - mean(.9, .7); the rejected one does not count
    assert tox["deceptive"] == pytest.approx(0.8)
    assert math.isnan(tox["adversarial"])  # initiated nothing
    assert list(tox) == ["honest", "deceptive", "adversarial"]


def test_measure_epoch_values_and_key_order(agents, batch):
    counts = EpochCounts(n_posts=3, n_votes=1, tasks_completed=2, n_blocked=5)
    m = measure_epoch(2, batch, agents, counts, SoftMetrics())
    keys = list(m.values)
    assert tuple(keys[: len(EPOCH_FIELDS)]) == EPOCH_FIELDS
    assert tuple(keys[1 : 1 + len(EPOCH_KEYS)]) == EPOCH_KEYS
    assert keys[len(EPOCH_FIELDS) :] == [
        "payoff_honest", "toxicity_honest", "harm_honest", "frozen_honest",
        "payoff_deceptive", "toxicity_deceptive", "harm_deceptive", "frozen_deceptive",
        "payoff_adversarial", "toxicity_adversarial", "harm_adversarial", "frozen_adversarial",
        "share_honest", "share_deceptive", "share_adversarial",
    ]  # fmt: skip
    shares = [m.values[f"share_{t}"] for t in ("honest", "deceptive", "adversarial")]
    counts = [
        int(np.count_nonzero(agents.type_code == AgentType(t).code))
        for t in ("honest", "deceptive", "adversarial")
    ]
    assert shares == pytest.approx([c / len(agents) for c in counts]) and sum(shares) == pytest.approx(1.0)
    assert m.epoch == 2
    assert m.n_interactions == 4.0 and m.n_accepted == 3.0
    assert m.toxicity_rate == pytest.approx(1 - (0.9 + 0.7 + 0.2) / 3)
    assert m.total_welfare == pytest.approx(1.0 + 0.5 + 0.5 + 0.5 - 1.0 + 2.0)
    assert m.avg_reputation == pytest.approx(0.0)
    assert m.n_frozen == 1  # frozen_until > 2: only row 2
    assert m.bad_actor_payoff == pytest.approx(1.0)
    assert (m.n_posts, m.n_votes, m.tasks_completed, m.n_blocked) == (3.0, 1.0, 2.0, 5.0)
    assert m.payoff_honest == 2.0 and m.toxicity_deceptive == pytest.approx(0.8)


def test_measure_epoch_of_an_empty_epoch(agents):
    m = measure_epoch(0, InteractionBatch.empty(0), agents, EpochCounts(), SoftMetrics())
    assert m.n_interactions == 0.0 and math.isnan(m.toxicity_rate)
    assert all(math.isnan(m.values[f"toxicity_{t}"]) for t in ("honest", "deceptive", "adversarial"))
    assert m.to_json_dict()["toxicity_rate"] is None


def test_epoch_metrics_record():
    a = EpochMetrics({"epoch": 1, "toxicity_rate": float("nan"), "total_welfare": 2.0})
    b = EpochMetrics({"epoch": 1, "toxicity_rate": float("nan"), "total_welfare": 2.0})
    assert a == b  # nan compares equal through the JSON form
    assert a != EpochMetrics({"epoch": 1, "toxicity_rate": 0.1, "total_welfare": 2.0})
    assert a.to_dict() is not a.values and a.to_dict() == a.values
    with pytest.raises(AttributeError):
        _ = a.no_such_metric
    assert "epoch=1" in repr(a)


def test_run_summary_by_hand(agents):
    epochs = [
        EpochMetrics({"epoch": 0, "n_interactions": 4.0, "toxicity_rate": 0.2, "quality_gap": float("nan"),
                      "total_welfare": 3.0}),
        EpochMetrics({"epoch": 1, "n_interactions": 6.0, "toxicity_rate": 0.4, "quality_gap": 0.1,
                      "total_welfare": 5.0}),
    ]  # fmt: skip
    out = run_summary(epochs, agents, {"freezes": 2.0, "audits": 1.0})
    assert out["epochs"] == 2 and out["n_agents"] == 4 and out["n_interactions"] == 10
    assert out["avg_toxicity"] == pytest.approx(0.3)
    assert out["avg_quality_gap"] == pytest.approx(0.1)  # nan epochs left out
    assert out["welfare_per_epoch"] == 4.0 and out["total_welfare"] == 8.0
    assert out["frozen_ever"] == 2 and out["freezes"] == 2.0 and out["audits"] == 1.0
    assert out["payoff_honest"] == 2.0 and out["bad_actor_payoff"] == pytest.approx(1.0)


def test_run_summary_of_no_epochs(agents):
    out = run_summary([], agents, {})
    assert out["epochs"] == 0 and out["n_interactions"] == 0 and out["frozen_ever"] == 0
    assert math.isnan(out["avg_toxicity"]) and math.isnan(out["welfare_per_epoch"])
    assert np.isclose(out["payoff_deceptive"], -2.0)
