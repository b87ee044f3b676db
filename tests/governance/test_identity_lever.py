"""The Sybil detection lever: patterns from batches, clusters at the epoch start, penalties, the block of
large clusters, the realtime charge, its registry row, binding warning and incentive."""

import numpy as np
import pytest

from distsafe.governance import GovernanceConfig
from distsafe.governance.binding import BindingContext
from distsafe.governance.engine import GovernanceEngine
from distsafe.governance.identity_lever import SybilDetectionLever
from distsafe.governance.registry import enabled_levers, lever_warnings, lookup
from distsafe.models.events import EventType
from distsafe.testing.conformance import check_lever

ON = dict(sybil_detection_enabled=True)


def _concert(make_batch, members=(0, 1, 2, 3), victims=(6, 7), reps=3):
    """Each member interacts with each victim `reps` times; agent 4 and 5 with one victim each."""
    init, cp = [], []
    for m in members:
        for v in victims:
            init += [m] * reps
            cp += [v] * reps
    init += [4, 5]
    cp += [6, 7]
    n = len(init)
    return make_batch(initiator=init, counterparty=cp, accepted=[True] * n, p=[0.5] * n)


def test_cluster_found_penalized_and_blocked(make_table, make_ctx, make_batch):
    lever = SybilDetectionLever(
        GovernanceConfig(**ON, sybil_max_cluster_size=3, sybil_penalty_multiplier=2.0)
    )
    t = make_table(8)
    ctx = make_ctx(t)
    lever.after_payoffs(ctx, _concert(make_batch))
    rep0, res0 = t.reputation.copy(), t.resources.copy()
    lever.on_epoch_start(ctx)
    assert lever.labels[:4].tolist() == [0, 0, 0, 0]
    # victims 6 and 7 see the same four members (and 4 or 5 once): also alike
    assert lever.labels[4] == -1 and lever.labels[5] == -1
    flagged = np.flatnonzero(lever.labels >= 0)
    assert t.reputation[flagged] == pytest.approx(rep0[flagged] - 0.2)
    assert t.resources[flagged] == pytest.approx(res0[flagged] - 2.0)
    assert t.resources[4] == res0[4]
    ev = [e for e in ctx.events if e[0] == EventType.SYBIL_DETECTED.value]
    assert sorted(r for _, r, _ in ev) == flagged.tolist()
    assert ev[0][2]["size"] == 4 and ev[0][2]["blocked"] is True
    mask = lever.can_act(ctx, np.arange(8))
    assert mask[:4].tolist() == [False] * 4 and mask[4] and mask[5]
    assert lever.stats()["sybil_blocked_actions"] == 4
    assert lever.epoch_metrics()["sybil_penalties"] == pytest.approx(2.0 * flagged.size)


def test_small_clusters_act_and_realtime_charge(make_table, make_ctx, make_batch):
    cfg = GovernanceConfig(
        **ON, sybil_max_cluster_size=10, sybil_realtime_penalty=True, sybil_realtime_rate=0.3
    )
    lever = SybilDetectionLever(cfg)
    t = make_table(8)
    ctx = make_ctx(t)
    lever.after_payoffs(ctx, _concert(make_batch))
    lever.on_epoch_start(ctx)
    assert lever.can_act(ctx, np.arange(8)).all()
    b = make_batch(initiator=[0, 0, 4], counterparty=[1, 4, 5], accepted=[True, True, True], p=[0.5] * 3)
    lever.on_interactions(ctx, b)
    assert b.c_a.tolist() == pytest.approx([0.3, 0.0, 0.0]) and b.c_b.tolist() == pytest.approx(
        [0.3, 0.0, 0.0]
    )


def test_no_patterns_no_clusters(make_table, make_ctx):
    lever = SybilDetectionLever(GovernanceConfig(**ON))
    t = make_table(4)
    ctx = make_ctx(t)
    lever.on_epoch_start(ctx)
    assert lever.n_clusters == 0 and not ctx.events and lever.can_act(ctx, np.arange(4)).all()


def test_reset_agents_forgets_their_patterns(make_table, make_ctx, make_batch):
    lever = SybilDetectionLever(GovernanceConfig(**ON))
    t = make_table(8)
    ctx = make_ctx(t)
    lever.after_payoffs(ctx, _concert(make_batch))
    lever.reset_agents(ctx, np.array([0, 1]))
    lever.on_epoch_start(ctx)
    assert lever.labels[0] == -1 and lever.labels[1] == -1 and lever.labels[2] == lever.labels[3] >= 0


def test_registry_binding_and_incentive():
    entry = lookup("sybil_detection")
    assert entry.switch == "sybil_detection_enabled" and entry.lever is SybilDetectionLever
    assert enabled_levers(GovernanceConfig(**ON)) == ["sybil_detection"]
    ctx = BindingContext(n_epochs=1, steps_per_epoch=5, initial_resources=100, p_min=0.0, p_max=1.0,
                         max_votes_per_epoch=10)  # fmt: skip
    (line,) = lever_warnings(GovernanceConfig(**ON), ctx)
    assert line.startswith("sybil_detection cannot bind") and "\n" not in line
    many = BindingContext(n_epochs=5, steps_per_epoch=5, initial_resources=100, p_min=0.0, p_max=1.0,
                          max_votes_per_epoch=10)  # fmt: skip
    assert lever_warnings(GovernanceConfig(**ON), many) == []
    assert (
        "costs a flagged agent nothing"
        in lever_warnings(GovernanceConfig(**ON, sybil_penalty_multiplier=0.0), many)[0]
    )
    eng = GovernanceEngine(GovernanceConfig(**ON, sybil_realtime_penalty=True, sybil_realtime_rate=0.25))
    lever = eng.get_lever("sybil_detection")
    assert isinstance(lever, SybilDetectionLever)
    lever.labels = np.array([0, 0, -1])
    view = eng.incentive_view(epoch=1, step=0, steps_per_epoch=5, n_epochs=5)
    assert view.sybil_pair_cost(np.array([0, 0, 2]), np.array([1, 2, 5])).tolist() == [0.25, 0.0, 0.0]
    assert view.sybil_epoch_penalty == 1.0
    off = GovernanceEngine(GovernanceConfig()).incentive_view(epoch=1, step=0, steps_per_epoch=5, n_epochs=5)
    assert off.sybil_pair_cost(np.array([0]), np.array([1])).tolist() == [0.0]


@pytest.mark.parametrize(
    "field, value",
    [("sybil_similarity_threshold", 1.2), ("sybil_max_cluster_size", 0), ("sybil_realtime_rate", -1.0),
     ("sybil_penalty_multiplier", float("nan"))],
)  # fmt: skip
def test_bad_settings_rejected(field, value):
    with pytest.raises(ValueError, match=field):
        GovernanceConfig(**{field: value})


def test_conformance():
    check_lever(lambda: SybilDetectionLever(GovernanceConfig(**ON, sybil_similarity_threshold=0.3)))
