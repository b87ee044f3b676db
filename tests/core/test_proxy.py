"""The proxy: observables to v_hat and p (hand check, bounds, monotonicity, weights); ProxyComputer takes its
ProxyConfig directly and the seeds' keywords still work."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from distsafe.core.proxy import (
    FITTED_BIAS,
    FITTED_K,
    ProxyComputer,
    ProxyConfig,
    ProxyObservables,
    ProxyWeights,
)

signed = st.floats(-1.0, 1.0, allow_nan=False)


def test_proxy_hand_computed():
    # progress 0.7 -> 0.7; rework 1 -> 2*0.3-1 = -0.4; rejections 0 -> 1; misuse 0 -> 1; engagement 0.4
    obs = ProxyObservables(
        task_progress_delta=0.7, rework_count=1, verifier_rejections=0, counterparty_engagement_delta=0.4
    )
    v_hat, p = ProxyComputer(sigmoid_k=2).compute_labels(obs)  # the seeds' API: bias 0
    expected = 0.4 * 0.7 + 0.2 * (-0.4) + 0.2 * 1.0 + 0.2 * 0.4
    assert v_hat == pytest.approx(expected)
    assert p == pytest.approx(1 / (1 + math.exp(-2 * expected)))


@given(signed, st.integers(0, 20), st.integers(0, 20), st.integers(0, 20), signed)
def test_proxy_bounded_and_monotone_in_penalties(prog, rework, rej, misuse, eng):
    pc = ProxyComputer()
    v, p = pc.compute_labels(
        ProxyObservables(
            task_progress_delta=prog,
            rework_count=rework,
            verifier_rejections=rej,
            tool_misuse_flags=misuse,
            counterparty_engagement_delta=eng,
        )
    )
    assert -1.0 <= v <= 1.0 and 0.0 < p < 1.0
    v2, _ = pc.compute_labels(
        ProxyObservables(
            task_progress_delta=prog,
            rework_count=rework + 1,
            verifier_rejections=rej,
            tool_misuse_flags=misuse,
            counterparty_engagement_delta=eng,
        )
    )
    assert v2 <= v


def test_proxy_weights_normalized_and_validated():
    pc = ProxyComputer(
        weights=ProxyWeights(task_progress=2, rework_penalty=1, verifier_penalty=1, engagement_signal=0)
    )
    w = pc.weights
    assert w.task_progress == pytest.approx(0.5) and w.engagement_signal == 0
    with pytest.raises(ValueError):
        ProxyComputer(sigmoid_k=-1)
    with pytest.raises(ValueError):
        ProxyWeights(task_progress=-0.1)


OBS = ProxyObservables(
    task_progress_delta=0.7,
    rework_count=1,
    verifier_rejections=0,
    tool_misuse_flags=0,
    counterparty_engagement_delta=0.4,
)


def test_config_is_taken_as_given():
    cfg = ProxyConfig(sigmoid_k=3.0, rework_decay=0.5)
    pc = ProxyComputer(cfg)
    assert pc.config is cfg
    assert (pc.sigmoid_k, pc.rework_decay, pc.rejection_decay, pc.misuse_decay) == (3.0, 0.5, 0.4, 0.5)
    assert ProxyComputer.from_config(cfg).config is cfg


def test_seed_keywords_equal_the_config():
    by_kw = ProxyComputer(sigmoid_k=4.0, weights=ProxyWeights(task_progress=1.0))
    by_cfg = ProxyComputer(ProxyConfig(sigmoid_k=4.0, weights=ProxyWeights(task_progress=1.0)))
    assert by_kw.config == by_cfg.config
    assert by_kw.compute_labels(OBS) == by_cfg.compute_labels(OBS)
    assert ProxyComputer().config == ProxyConfig()


def test_keywords_override_the_config_and_are_validated():
    pc = ProxyComputer(ProxyConfig(sigmoid_k=3.0, misuse_decay=0.2), sigmoid_k=5.0)
    assert (pc.sigmoid_k, pc.misuse_decay) == (5.0, 0.2)
    with pytest.raises(ValueError):
        ProxyComputer(ProxyConfig(), rework_decay=1.5)


def test_hand_computed_labels_from_the_config():
    # v_hat = 0.4*0.7 + 0.2*(2*0.3 - 1) + 0.2*1 + 0.2*0.4 = 0.48; p = 1/(1+exp(-(k*0.48 + b))) with the
    # fitted defaults
    v_hat, p = ProxyComputer(ProxyConfig()).compute_labels(OBS)
    assert v_hat == pytest.approx(0.48)
    assert p == pytest.approx(1 / (1 + math.exp(-(FITTED_K * 0.48 + FITTED_BIAS))))
    v_hat, p = ProxyComputer(ProxyConfig(sigmoid_k=2.0)).compute_labels(OBS)  # k alone: the seeds' form
    assert p == pytest.approx(1 / (1 + math.exp(-0.96)))


def test_seed_sigmoid_bias_rules():
    assert ProxyConfig().sigmoid_bias == FITTED_BIAS and ProxyConfig().sigmoid_k == FITTED_K
    assert ProxyConfig(sigmoid_k=2).sigmoid_bias == 0.0
    assert ProxyConfig(sigmoid_k=2, sigmoid_bias=-1.0).sigmoid_bias == -1.0
    assert ProxyComputer(sigmoid_k=2).sigmoid_bias == 0.0
    assert ProxyComputer(ProxyConfig(sigmoid_k=3.0, sigmoid_bias=0.5), sigmoid_k=2.0).sigmoid_bias == 0.0
    assert ProxyComputer(sigmoid_k=2, sigmoid_bias=0.25).sigmoid_bias == 0.25
    lo, hi = ProxyComputer(sigmoid_k=2).p_bounds()
    assert lo == pytest.approx(1 / (1 + math.e**2)) and hi == pytest.approx(1 - lo)
    # round trip through a dump (the event-log header) keeps both fields
    cfg = ProxyConfig()
    assert ProxyConfig.model_validate(cfg.model_dump()) == cfg
