"""SoftMetrics: hand-computed values, hard counterparts, empty input, and property tests."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.core.payoff import PayoffConfig, SoftPayoffEngine
from distsafe.metrics import ALL_KEYS, EPOCH_KEYS, SoftMetrics, gini
from distsafe.models.agent import AgentType
from distsafe.models.columns import InteractionBatch
from distsafe.models.interaction import SoftInteraction

# Four interactions: p, accepted, ground truth v. Default payoff config: s_plus 2, s_minus 1, h 2,
# theta 0.5, no rho, so S_soft = 3p - 1 and pi_a = pi_b = S_soft / 2 for the accepted rows.
P = [0.9, 0.2, 0.6, 0.4]
ACC = [True, True, False, False]
V = [1, -1, 1, -1]
INIT = [0, 1, 0, 1]
CP = [1, 0, 1, 0]


def hand_batch() -> InteractionBatch:
    b = InteractionBatch.from_columns(p=P, accepted=ACC, v=V, initiator=INIT, counterparty=CP)
    SoftPayoffEngine().apply_to_batch(b)
    return b


def hand_list() -> list[SoftInteraction]:
    return [
        SoftInteraction(initiator=f"a{i}", counterparty=f"a{c}", p=p, accepted=a, ground_truth=v)
        for p, a, v, i, c in zip(P, ACC, V, INIT, CP)
    ]


@pytest.fixture
def m() -> SoftMetrics:
    return SoftMetrics()


@pytest.mark.parametrize("make", [hand_batch, hand_list])
def test_hand_computed_selection_metrics(m, make):
    data = make()
    assert m.n_interactions(data) == 4
    assert m.n_accepted(data) == 2
    assert m.acceptance_rate(data) == pytest.approx(0.5)
    assert m.avg_p(data) == pytest.approx(0.525)
    assert m.avg_p_accepted(data) == pytest.approx(0.55)
    assert m.avg_p_rejected(data) == pytest.approx(0.5)
    # E[1-p | accepted] = (0.1 + 0.8) / 2
    assert m.toxicity_rate(data) == pytest.approx(0.45)
    # E[p | acc] - E[p | rej] = 0.55 - 0.5
    assert m.quality_gap(data) == pytest.approx(0.05)
    # hard labels 1, 0, 1, 0: one of the two accepted is below threshold; 1/2 - 1/2
    assert m.hard_toxicity_rate(data) == pytest.approx(0.5)
    assert m.hard_quality_gap(data) == pytest.approx(0.0)
    # h * sum_acc (1 - p) = 2 * 0.9
    assert m.expected_harm(data) == pytest.approx(1.8)
    assert m.hard_expected_harm(data) == pytest.approx(2.0)
    # var p: E[p^2] - E[p]^2 = 0.3425 - 0.275625
    assert m.variance_p(data) == pytest.approx(0.066875)
    assert m.variance_p_accepted(data) == pytest.approx(0.1225)
    assert m.uncertain_fraction(data) == pytest.approx(0.5)


@pytest.mark.parametrize("make", [hand_batch, hand_list])
def test_hand_computed_calibration(m, make):
    data = make()
    # (0.1^2 + 0.2^2 + 0.4^2 + 0.4^2) / 4
    assert m.brier(data) == pytest.approx(0.0925)
    # one row per bin: (0.1 + 0.2 + 0.4 + 0.4) / 4
    assert m.ece(data) == pytest.approx(0.275)
    assert SoftMetrics(ece_bins=1).ece(data) == pytest.approx(abs(0.525 - 0.5))
    assert m.log_loss(data) == pytest.approx(-(math.log(0.9) + math.log(0.8) + 2 * math.log(0.6)) / 4)
    assert m.hard_brier(data) == pytest.approx(0.0)
    assert m.hard_ece(data) == pytest.approx(0.0)
    # (s_plus + s_minus) * E[p - y | accepted] = 3 * ((0.9 - 1) + (0.2 - 0)) / 2
    assert m.spread(data) == pytest.approx(0.15)
    assert m.hard_spread(data) == pytest.approx(0.0)
    curve = m.calibration_curve(data)
    assert curve["count"].tolist() == [0, 0, 1, 0, 1, 0, 1, 0, 0, 1]
    assert curve["mean_p"][9] == pytest.approx(0.9)
    assert curve["frac_positive"][2] == 0.0 and curve["frac_positive"][6] == 1.0
    assert np.isnan(curve["mean_p"][0])


@pytest.mark.parametrize("make", [hand_batch, hand_list])
def test_hand_computed_payoffs(m, make):
    data = make()
    # accepted payoffs: p=0.9 -> 0.85 each side, p=0.2 -> -0.2 each side
    assert m.total_welfare(data) == pytest.approx(1.3)
    assert m.avg_payoff_initiator(data) == pytest.approx(0.325)
    assert m.avg_payoff_counterparty(data) == pytest.approx(0.325)
    # E[pi | acc] - E[pi] = 0.325 - 0.65 / 4
    assert m.conditional_loss_initiator(data) == pytest.approx(0.1625)
    assert m.conditional_loss_counterparty(data) == pytest.approx(0.1625)
    # payoffs at hard labels: p=1 -> S=2, p=0 -> S=-1
    assert m.hard_total_welfare(data) == pytest.approx(1.0)
    assert m.hard_conditional_loss_initiator(data) == pytest.approx(0.25 - 0.125)
    np.testing.assert_allclose(m.agent_payoffs(data), [0.65, 0.65])
    assert m.payoff_gini(data) == pytest.approx(0.0)


def test_per_type_aggregates(m):
    b = hand_batch()
    types = np.array([AgentType.HONEST.code, AgentType.ADVERSARIAL.code])
    pay = m.per_type_payoff(b, types)
    assert pay["honest"] == pytest.approx(0.65) and pay["adversarial"] == pytest.approx(0.65)
    assert math.isnan(pay["deceptive"])
    tox = m.per_type_toxicity(b, types)
    assert tox["honest"] == pytest.approx(0.1) and tox["adversarial"] == pytest.approx(0.8)
    assert math.isnan(tox["llm"])
    out = m.compute_all(b, agent_types=types, reputations=[1.0, 3.0])
    assert out["payoff_mean_honest"] == pytest.approx(0.65)
    assert out["toxicity_initiated_adversarial"] == pytest.approx(0.8)
    assert out["n_agents_honest"] == 1.0 and out["n_agents_custom"] == 0.0
    assert out["gini_reputation"] == pytest.approx(0.25)
    # n_agents larger than the observed indices pads with zero-payoff agents
    assert m.agent_payoffs(b, n_agents=4).tolist() == pytest.approx([0.65, 0.65, 0.0, 0.0])


def test_payoff_engine_config_is_used():
    eng = SoftPayoffEngine(PayoffConfig(h=4.0, s_plus=1.0, s_minus=1.0))
    m = SoftMetrics(payoff_engine=eng)
    data = hand_list()
    assert m.expected_harm(data) == pytest.approx(3.6)
    assert m.spread(data) == pytest.approx(0.1)
    # S = 2p - 1: accepted 0.8 and -0.6
    assert m.total_welfare(data) == pytest.approx(0.2)


def test_list_with_stored_payoffs_is_not_recomputed(m):
    items = hand_list()
    for it in items:
        it.metadata = {"payoff_a": 1.0, "payoff_b": 2.0}
    assert m.total_welfare(items) == pytest.approx(6.0)


def test_compute_epoch_keys_and_values(m):
    out = m.compute_epoch(hand_batch())
    assert tuple(out) == EPOCH_KEYS
    assert set(EPOCH_KEYS) == {
        "n_interactions",
        "n_accepted",
        "acceptance_rate",
        "toxicity_rate",
        "quality_gap",
        "avg_p",
        "total_welfare",
        "avg_payoff_initiator",
        "avg_payoff_counterparty",
        "conditional_loss_initiator",
        "conditional_loss_counterparty",
        "brier",
        "ece",
        "expected_harm",
        "hard_toxicity_rate",
        "hard_quality_gap",
        "realized_harm",
        "quality_gap_by_choice",
        "n_rejected_frozen",
        "welfare_money",
        "welfare_reputation",
    }
    assert out["toxicity_rate"] == pytest.approx(0.45)
    assert out["brier"] == pytest.approx(0.0925)
    assert all(isinstance(v, float) for v in out.values())


def test_compute_all_keys(m):
    out = m.compute_all(hand_batch())
    assert tuple(out) == ALL_KEYS
    assert all(isinstance(v, float) for v in out.values())
    assert out["log_loss"] > 0 and out["spread"] == pytest.approx(0.15)


@pytest.mark.parametrize("empty", [[], InteractionBatch.empty(0)])
def test_empty_input(m, empty):
    epoch = m.compute_epoch(empty)
    assert epoch["n_interactions"] == 0.0 and epoch["n_accepted"] == 0.0
    assert epoch["total_welfare"] == 0.0 and epoch["expected_harm"] == 0.0
    for key in (
        "acceptance_rate",
        "toxicity_rate",
        "quality_gap",
        "avg_p",
        "brier",
        "ece",
        "conditional_loss_initiator",
        "hard_toxicity_rate",
        "hard_quality_gap",
    ):
        assert math.isnan(epoch[key]), key
    everything = m.compute_all(empty, agent_types=np.array([0, 1]), reputations=[])
    assert math.isnan(everything["gini_reputation"])
    assert math.isnan(everything["log_loss"]) and math.isnan(everything["spread"])
    assert m.agent_payoffs(empty).shape == (0,)
    assert m.calibration_curve(empty)["count"].sum() == 0


def test_undefined_sides_and_unknown_truth(m):
    all_acc = InteractionBatch.from_columns(p=[0.3, 0.8], accepted=[True, True])
    assert math.isnan(m.quality_gap(all_acc)) and math.isnan(m.hard_quality_gap(all_acc))
    assert m.toxicity_rate(all_acc) == pytest.approx(0.45)
    # no ground truth: calibration undefined, selection metrics fine
    assert math.isnan(m.brier(all_acc)) and math.isnan(m.ece(all_acc))
    none_acc = InteractionBatch.from_columns(p=[0.3, 0.8], accepted=[False, False], v=[1, -1])
    assert math.isnan(m.toxicity_rate(none_acc)) and math.isnan(m.spread(none_acc))
    assert m.brier(none_acc) == pytest.approx((0.49 + 0.64) / 2)
    # partially known truth: only known rows enter calibration
    part = InteractionBatch.from_columns(p=[0.9, 0.2, 0.6], accepted=[True, True, True], v=[1, 0, -1])
    assert m.brier(part) == pytest.approx((0.01 + 0.36) / 2)
    assert m.ece(part) == pytest.approx((0.1 + 0.6) / 2)
    assert m.spread(part) == pytest.approx(3 * ((0.9 - 1) + 0.6) / 2)
    assert m.hard_brier(part) == pytest.approx(0.5)


def test_gini():
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25)
    assert gini([5, 5, 5]) == 0.0
    assert gini([0, 0, 10]) == pytest.approx(2 / 3)
    assert gini([-1, 1]) == pytest.approx(0.5)  # shifted to [0, 2]
    assert math.isnan(gini([]))
    assert gini([3.0, np.nan]) == 0.0


def test_invalid_configuration():
    with pytest.raises(ValueError):
        SoftMetrics(threshold=1.5)
    with pytest.raises(ValueError):
        SoftMetrics(ece_bins=0)
    with pytest.raises(ValueError):
        SoftMetrics(uncertain_band=(0.7, 0.3))


# ---- properties --------------------------------------------------------------------------------------
rows = st.lists(
    st.tuples(
        st.floats(0.0, 1.0), st.booleans(), st.sampled_from([-1, 0, 1]), st.integers(0, 5), st.integers(0, 5)
    ),
    min_size=0,
    max_size=40,
)


def batch_of(rs) -> InteractionBatch:
    cols = list(zip(*rs)) if rs else [[], [], [], [], []]
    b = InteractionBatch.from_columns(
        p=cols[0], accepted=cols[1], v=cols[2], initiator=cols[3], counterparty=cols[4]
    )
    SoftPayoffEngine().apply_to_batch(b)
    return b


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=150, deadline=None)
@given(rows)
def test_bounds(rs):
    m = SoftMetrics()
    out = m.compute_all(batch_of(rs))
    for key in (
        "toxicity_rate",
        "hard_toxicity_rate",
        "brier",
        "hard_brier",
        "ece",
        "hard_ece",
        "acceptance_rate",
        "uncertain_fraction",
        "gini_payoff",
    ):
        v = out[key]
        assert math.isnan(v) or -1e-12 <= v <= 1 + 1e-12, (key, v)
    for key in ("quality_gap", "hard_quality_gap"):
        v = out[key]
        assert math.isnan(v) or -1 - 1e-12 <= v <= 1 + 1e-12, (key, v)
    if out["n_accepted"]:
        assert out["toxicity_rate"] == pytest.approx(1 - out["avg_p_accepted"])
    else:
        assert math.isnan(out["toxicity_rate"])
    assert out["var_p"] >= 0 or math.isnan(out["var_p"])


@settings(max_examples=80, deadline=None)
@given(rows, st.randoms(use_true_random=False))
def test_permutation_invariance(rs, rnd):
    m = SoftMetrics()
    shuffled = list(rs)
    rnd.shuffle(shuffled)
    a, b = m.compute_all(batch_of(rs)), m.compute_all(batch_of(shuffled))
    assert a.keys() == b.keys()
    for key in a:
        assert same(a[key], b[key]), (key, a[key], b[key])


@settings(max_examples=60, deadline=None)
@given(rows)
def test_list_input_equals_batch_input(rs):
    m = SoftMetrics()
    items = [
        SoftInteraction(initiator=f"a{i}", counterparty=f"a{c}", p=p, accepted=acc, ground_truth=(v or None))
        for p, acc, v, i, c in rs
    ]
    batch, names = InteractionBatch.from_interactions(items)
    SoftPayoffEngine().apply_to_batch(batch)
    a, b = m.compute_all(items), m.compute_all(batch)
    for key in a:
        assert same(a[key], b[key]), (key, a[key], b[key])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), max_size=30))
def test_gini_bounds(xs):
    g = gini(xs)
    assert (math.isnan(g) and not xs) or 0.0 <= g <= 1.0


@settings(max_examples=60, deadline=None)
@given(rows)
def test_vectorized_equals_naive(rs):
    """The bincount/dot formulas agree with direct per-row definitions."""
    m = SoftMetrics()
    b = batch_of(rs)
    known = [(p, 1.0 if v > 0 else 0.0) for p, _, v, _, _ in rs if v != 0]
    if known:
        assert m.brier(b) == pytest.approx(sum((p - y) ** 2 for p, y in known) / len(known))
        bins: dict[int, list] = {}
        for p, y in known:
            bins.setdefault(min(int(p * 10), 9), []).append((p, y))
        ece = sum(abs(sum(p for p, _ in g) - sum(y for _, y in g)) for g in bins.values())
        assert m.ece(b) == pytest.approx(ece / len(known), abs=1e-12)
    acc = [p for p, a, *_ in rs if a]
    if acc:
        assert m.hard_toxicity_rate(b) == pytest.approx(sum(p < 0.5 for p in acc) / len(acc))


def test_chunked_pass_matches_direct_numpy():
    """Several chunks (and a ragged last one) agree with whole-array numpy expressions."""
    from distsafe.metrics.soft_metrics import CHUNK
    from distsafe.testing import generate_batch_columns

    b = generate_batch_columns(3 * CHUNK + 17, seed=4)
    m = SoftMetrics()
    p, acc, y = b.p, b.accepted, (b.v > 0).astype(float)
    out = m.compute_all(b)
    assert out["toxicity_rate"] == pytest.approx(np.mean(1 - p[acc]))
    assert out["quality_gap"] == pytest.approx(p[acc].mean() - p[~acc].mean())
    assert out["hard_toxicity_rate"] == pytest.approx(np.mean(p[acc] < 0.5))
    assert out["brier"] == pytest.approx(np.mean((p - y) ** 2))
    idx = np.minimum((p * 10).astype(int), 9)
    ece = sum(abs(p[idx == i].sum() - y[idx == i].sum()) for i in range(10)) / len(p)
    assert out["ece"] == pytest.approx(ece)
    assert out["total_welfare"] == pytest.approx((b.payoff_a + b.payoff_b)[acc].sum())
    assert out["spread"] == pytest.approx(3 * np.mean(p[acc] - y[acc]))
    assert out["hard_brier"] == pytest.approx(np.mean((p >= 0.5) != (y > 0)))
    # the same rows with a few unknown truths take the masked path
    b.v[::1000] = 0
    known = b.v != 0
    assert m.brier(b) == pytest.approx(np.mean((p[known] - y[known]) ** 2))
    assert m.toxicity_rate(b) == pytest.approx(out["toxicity_rate"])


def test_functional_interface():
    import distsafe.metrics as dm

    data = hand_list()
    assert dm.toxicity_rate(data) == pytest.approx(0.45)
    assert dm.hard_toxicity_rate(data, threshold=0.1) == pytest.approx(0.0)
    assert dm.ece(data, ece_bins=1) == pytest.approx(0.025)
    assert dm.compute_epoch(data)["brier"] == pytest.approx(0.0925)
    assert dm.toxicity_rate.__doc__ == SoftMetrics.toxicity_rate.__doc__
    for name in dm.FUNCTIONS:
        assert callable(getattr(dm, name)) and name in dm.__all__


def test_stats_reused_only_under_same_configuration():
    b = hand_batch()
    s = SoftMetrics().stats(b)
    assert SoftMetrics().stats(s) is not s  # another engine instance
    m = SoftMetrics()
    s = m.stats(b)
    assert m.stats(s) is s
    assert SoftMetrics(payoff_engine=m.payoff_engine, threshold=0.1).hard_toxicity_rate(s) == 0.0
