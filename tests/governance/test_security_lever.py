"""Security lever: each detector on hand-made interactions, containment, real-time charges, properties."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.governance import GovernanceConfig
from distsafe.governance.engine import GovernanceEngine
from distsafe.governance.security import SecurityLever
from distsafe.governance.security_report import ThreatType

ON = dict(security_enabled=True)


def _lever(**kw):
    return SecurityLever(GovernanceConfig(**ON, **kw))


def test_injection_and_exfiltration_scores_count_flagged_low_p_work(make_table, make_ctx, make_batch):
    lever = _lever(security_min_interactions=5)
    t = make_table(4)
    c = make_ctx(t)
    # agent 0: 10 accepted initiations, 8 low-p with a misuse flag, 4 of those with two flags
    b = make_batch(
        initiator=[0] * 10,
        counterparty=[1, 2] * 5,
        accepted=[True] * 10,
        p=[0.2] * 8 + [0.9] * 2,
        tool_misuse_flags=[1, 1, 1, 1, 2, 2, 2, 2, 0, 0],
    )
    lever.after_payoffs(c, b)
    s = lever.scores()
    assert s[ThreatType.PROMPT_INJECTION][0] == 8 / 15
    assert s[ThreatType.EXFILTRATION][0] == 4 / 15
    assert s[ThreatType.PROMPT_INJECTION][1] == 0.0  # never initiated


def test_scores_are_zero_below_min_interactions(make_table, make_ctx, make_batch):
    lever = _lever(security_min_interactions=5)
    t = make_table(3)
    lever.after_payoffs(
        make_ctx(t),
        make_batch(
            initiator=[0] * 4,
            counterparty=[1] * 4,
            accepted=[True] * 4,
            p=[0.1] * 4,
            verifier_rejections=[1] * 4,
        ),
    )
    assert lever.threat_score()[0] == 0.0


def test_manipulation_is_repeated_harm_to_one_victim(make_table, make_ctx, make_batch):
    lever = _lever(security_min_interactions=2)
    t = make_table(5)
    c = make_ctx(t)
    # agent 0 sends 6 low-p interactions to agent 1; agent 2 spreads 6 low-p ones over 3 partners
    lever.after_payoffs(
        c,
        make_batch(
            initiator=[0] * 6 + [2] * 6,
            counterparty=[1] * 6 + [1, 3, 4] * 2,
            accepted=[True] * 12,
            p=[0.3] * 12,
        ),
    )
    man = lever.scores()[ThreatType.CROSS_AGENT_MANIPULATION]
    assert man[0] == 6 / 8 and man[2] == 2 / 8


def test_laundering_needs_a_trust_gap(make_table, make_ctx, make_batch):
    lever = _lever(security_min_interactions=1, security_laundering_trust_gap=0.3)
    t = make_table(3)
    t.reputation[:] = [0.0, 0.5, 0.1]
    lever.after_payoffs(
        make_ctx(t),
        make_batch(
            initiator=[0, 0, 0, 0],
            counterparty=[1, 1, 2, 2],
            accepted=[True] * 4,
            p=[0.2, 0.2, 0.2, 0.8],
        ),
    )
    assert lever.scores()[ThreatType.INFORMATION_LAUNDERING][0] == 2 / 5


def test_contagion_chain_depth_velocity_and_containment(make_table, make_ctx, make_batch):
    lever = _lever(
        security_min_interactions=1,
        security_min_chain_length=3,
        security_contagion_velocity=1.0,
        security_quarantine_threshold=0.5,
    )
    t = make_table(6)
    # a worm 0 -> 1 -> 2 -> 3 -> 4, one hop per step, plus 0 -> 5 at each step (two links per step)
    for step, (a, b) in enumerate([(0, 1), (1, 2), (2, 3), (3, 4)]):
        c = make_ctx(t)
        c.step = step
        lever.after_payoffs(
            c, make_batch(initiator=[a, 0], counterparty=[b, 5], accepted=[True, True], p=[0.1, 0.1])
        )
    assert lever.records.depth[4] == 4 and lever.epoch_depth == 4
    con = lever.scores()[ThreatType.CONTAGION]
    assert con[0] == 5 / 6 and con[1] == 1 / 2  # members' low-p shares, shrunk by m = 1
    c = make_ctx(t, epoch=1)
    lever.on_epoch_start(c)
    assert len(lever.chains) == 1
    chain = lever.chains[0]
    assert chain.origin == "a_1" and chain.depth == 4 and chain.n_interactions == 8 and chain.velocity == 2.0
    assert chain.contained  # its source, agent 0, was quarantined in the same analysis
    assert lever.records.quarantined[0]


def test_an_honest_like_record_is_not_flagged(make_table, make_ctx, make_batch):
    lever = _lever()
    t = make_table(2)
    rng = np.random.default_rng(1)
    for _ in range(20):  # 90% good work: p high, few flags
        good = rng.random(5) < 0.9
        lever.after_payoffs(
            make_ctx(t),
            make_batch(
                initiator=[0] * 5,
                counterparty=[1] * 5,
                accepted=[True] * 5,
                p=np.where(good, 0.85, 0.3),
                tool_misuse_flags=np.where(good, 0, 1),
            ),
        )
    lever.on_epoch_start(make_ctx(t, epoch=1))
    assert not lever.records.flagged[0] and not lever.indicators


def test_quarantine_blocks_acting_and_release_clears_the_record(make_table, make_ctx, make_batch):
    eng = GovernanceEngine(GovernanceConfig(**ON, security_min_interactions=2))
    t = make_table(3)
    c = make_ctx(t)
    eng.after_payoffs(
        c,
        make_batch(
            initiator=[0] * 6,
            counterparty=[1] * 6,
            accepted=[True] * 6,
            p=[0.05] * 6,
            tool_misuse_flags=[2] * 6,
        ),
    )
    res0, rep0 = t.resources[0], t.reputation[0]
    c1 = make_ctx(t, epoch=1)
    eng.on_epoch_start(c1)
    types = {e[0] for e in c1.events}
    assert {"security_threat", "security_penalty", "agent_quarantined"} <= types
    assert t.resources[0] < res0 and t.reputation[0] < rep0
    assert list(eng.can_act(c1, np.array([0, 1]))) == [False, True]
    assert not eng.can_agent_act("a_1", t) and eng.can_agent_act("a_2", t)
    assert eng.quarantined_agents(t) == ["a_1"]
    assert eng.release_from_quarantine("a_1")
    assert eng.can_agent_act("a_1", t) and eng.quarantined_agents(t) == []
    assert [a.action for a in eng.get_security_containment_actions()] == ["penalty", "quarantine", "release"]
    assert eng.security_report(t, 1).threat_scores == {}  # record cleared on release


def test_realtime_penalty_charges_suspicious_interactions(make_table, make_ctx, make_batch):
    lever = _lever(
        security_realtime_penalty=True, security_realtime_threshold=0.5, security_realtime_rate=0.2
    )
    t = make_table(2)
    b = make_batch(
        initiator=[0, 0, 0],
        counterparty=[1, 1, 1],
        accepted=[True, True, False],
        p=[0.2, 0.2, 0.2],
        tool_misuse_flags=[1, 0, 1],
    )
    lever.on_interactions(make_ctx(t), b)
    # flagged: score 0.8 >= 0.5, charged 0.16; unflagged: 0.4 < 0.5; refused: not charged
    assert np.allclose(b.c_a, [0.16, 0.0, 0.0]) and lever.realtime_charges == 1


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 40),
    p=st.lists(st.floats(0, 1), min_size=40, max_size=40),
    flags=st.lists(st.integers(0, 4), min_size=40, max_size=40),
    m=st.integers(1, 10),
)
def test_scores_are_shares_in_0_1_and_fall_with_more_good_work(n, p, flags, m):
    from distsafe.governance.levers import GovernanceContext
    from distsafe.models.agent import AgentType
    from distsafe.models.agent_table import AgentTable
    from distsafe.models.columns import InteractionBatch

    t = AgentTable()
    t.add(AgentType.HONEST, 0, prefix="a", count=3, resources=10.0)
    lever = _lever(security_min_interactions=m)
    ctx = GovernanceContext(agents=t, epoch=0, step=0, rng=np.random.default_rng(0))
    lever.after_payoffs(
        ctx,
        InteractionBatch.from_columns(
            initiator=[0] * n, counterparty=[1] * n, accepted=[True] * n, p=p[:n], tool_misuse_flags=flags[:n]
        ),
    )
    before = lever.threat_score()[0]
    assert 0.0 <= before <= 1.0
    for s in lever.scores().values():
        assert np.all((s >= 0) & (s <= 1))
    lever.after_payoffs(
        ctx,
        InteractionBatch.from_columns(
            initiator=[0] * 10, counterparty=[2] * 10, accepted=[True] * 10, p=[0.95] * 10
        ),
    )
    assert lever.threat_score()[0] <= before + 1e-12 or before == 0.0
