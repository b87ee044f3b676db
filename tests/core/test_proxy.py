"""ProxyComputer takes its ProxyConfig directly; the seeds' keywords still work."""

import pytest

from distsafe.core.proxy import ProxyComputer, ProxyConfig, ProxyObservables, ProxyWeights

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
    # v_hat = 0.4*0.7 + 0.2*(2*0.3 - 1) + 0.2*1 + 0.2*0.4 = 0.48; p = 1/(1+exp(-2*0.48))
    v_hat, p = ProxyComputer(ProxyConfig()).compute_labels(OBS)
    assert v_hat == pytest.approx(0.48)
    assert p == pytest.approx(1 / (1 + 2.718281828459045 ** (-0.96)))
