"""Adversaries (and exploiting deceptive agents) go where detection is least likely: with per-target audit
odds (`audit_probability_watched` for counterparties of reputation >= `audit_watch_min_reputation`), the
share of their attacks on a class of targets falls as that class's detection rises, and their attack rate
falls as detection rises. Values from the engine's path (`decide` / `act_batch`)."""

from __future__ import annotations

import numpy as np

from distsafe.agents.adversarial import AdversarialPolicy
from distsafe.agents.deceptive import DeceptivePolicy
from distsafe.agents.incentives import MarketModel
from distsafe.agents.policies import PROPOSE, GroupView
from distsafe.governance.incentives import IncentiveView
from distsafe.models.agent import AgentType
from distsafe.models.agent_table import AgentTable

N_ATTACKERS, N_WATCHED, N_PLAIN = 200, 300, 300


def world(seed: int = 0, epoch: int = 5) -> GroupView:
    """N_ATTACKERS members (rows 0..), N_WATCHED outsiders of reputation 2, N_PLAIN of reputation 0."""
    t = AgentTable()
    n = N_ATTACKERS + N_WATCHED + N_PLAIN
    t.add(AgentType.CUSTOM, 0, prefix="a", count=n, resources=100.0)
    t.reputation[N_ATTACKERS : N_ATTACKERS + N_WATCHED] = 2.0
    members = np.arange(N_ATTACKERS)
    return GroupView(
        members=members, agents=t, epoch=epoch, step=0, time=0, group_rows=members,
        top_posts=np.zeros(0, np.int64), top_authors=np.zeros(0, np.int64),
        top_quality=np.zeros(0, np.float32),
        open_tasks=np.zeros(0, np.int64), open_bounties=np.zeros(0), rng=np.random.default_rng(seed),
    )  # fmt: skip


def targeted(base: float, watched: float) -> IncentiveView:
    return IncentiveView(
        audit_probability=base, audit_multiplier=4.0, audit_threshold=0.5, slash=2.5, steps_per_epoch=15,
        targeted_audits=True, audit_probability_unwatched=base, audit_probability_watched=watched,
        watch_min_reputation=1.0,
    )  # fmt: skip


def attacks(pol: AdversarialPolicy, inc: IncentiveView, seed: int = 0) -> tuple[float, float]:
    """(share of attack proposals aimed at watched targets, attack proposals per proposal)."""
    pol.bind(inc, MarketModel())
    view = world(seed)
    out = pol.act_batch(view)
    prop = out.action == PROPOSE
    attack = prop & (out.effort == pol.params.effort)
    on_watched = view.agents.reputation[out.target[attack]] >= 1.0
    return float(on_watched.mean()), float(attack.sum() / prop.sum())


def test_adversaries_shift_attacks_away_from_a_class_as_its_detection_rises():
    pol = AdversarialPolicy(params={"p_interact": 1.0, "p_post": 0, "p_reply": 0, "p_vote": 0, "p_claim": 0})
    shares, rates = [], []
    for watched in (0.1, 0.12, 0.15, 0.2, 0.3, 0.5, 0.9):
        share, rate = attacks(pol, targeted(0.1, watched))
        shares.append(share)
        rates.append(rate)
    # equal odds: no class is safer, the logit splits evenly (members draw their class independently)
    assert abs(shares[0] - 0.5) < 0.1, shares
    assert all(a >= b for a, b in zip(shares, shares[1:])), shares
    assert shares[-1] == 0.0 and shares[2] < shares[0] - 0.2, shares
    # the attack rate never rises with detection (the safer class stays at 0.1)
    assert all(a >= b - 0.05 for a, b in zip(rates, rates[1:])), rates


def test_share_on_a_class_follows_the_logit_of_the_expected_losses():
    """The class choice is P(watched) = 1 / (1 + exp((L_watched - L_unwatched) / temperature)), L the
    cheapest expected loss per attack at each class's odds (AdversarialPolicy.attack_losses)."""
    pol = AdversarialPolicy()
    inc = targeted(0.1, 0.14)
    pol.bind(inc, MarketModel())
    view = world(seed=3)
    loss_u = pol.attack_losses(view, inc.at_audit_probability(0.1))[0].min(axis=1)[0]
    loss_w = pol.attack_losses(view, inc.at_audit_probability(0.14))[0].min(axis=1)[0]
    assert loss_w > loss_u
    want = 1.0 / (1.0 + np.exp((loss_w - loss_u) / pol.params.temperature))
    _, _, cls = pol.targeted_plan(view)
    assert abs(cls.mean() - want) < 3 * np.sqrt(want * (1 - want) / N_ATTACKERS) + 1e-9, (cls.mean(), want)


def test_attack_rate_falls_as_detection_rises_everywhere():
    pol = AdversarialPolicy(params={"p_interact": 1.0, "p_post": 0, "p_reply": 0, "p_vote": 0, "p_claim": 0})
    rates = [attacks(pol, targeted(q, q + 0.1))[1] for q in (0.0, 0.1, 0.25, 0.5, 0.9)]
    assert all(a >= b for a, b in zip(rates, rates[1:])) and rates[0] > 2 * rates[-1], rates


def test_exploiting_deceptive_members_seek_the_less_watched_class():
    pol = DeceptivePolicy(params={"p_interact": 1.0, "p_post": 0, "p_reply": 0, "p_vote": 0, "p_claim": 0})
    shares = []
    for watched in (0.02, 0.025, 0.03, 0.05, 0.12):
        pol.bind(targeted(0.02, watched), MarketModel())
        view = world(seed=1)
        out = pol.act_batch(view)
        exploit = (out.action == PROPOSE) & (out.effort == pol.params.exploit_effort)
        assert exploit.sum() > 50
        shares.append(float((view.agents.reputation[out.target[exploit]] >= 1.0).mean()))
    assert abs(shares[0] - 0.5) < 0.1 and shares[-1] == 0.0, shares
    assert all(a >= b for a, b in zip(shares, shares[1:])), shares
    # during trust-building it never exploits, whatever the odds
    out = pol.act_batch(world(seed=1, epoch=0))
    assert not np.any((out.action == PROPOSE) & (out.effort == pol.params.exploit_effort))


def test_equal_odds_per_target_give_the_uniform_attack_rates():
    """Per-target odds equal for both classes: each member's attack rate is the uniform-odds one."""
    uniform = targeted(0.2, 0.2).at_audit_probability(0.2)
    a, b = AdversarialPolicy(), AdversarialPolicy()
    a.bind(uniform, MarketModel())
    b.bind(targeted(0.2, 0.2), MarketModel())
    _, rate_a = a.attack_plan(world(seed=7))
    _, rate_b, _ = b.targeted_plan(world(seed=7))
    assert np.allclose(rate_a, rate_b)


def test_per_target_audits_and_stakes_from_yaml_replay_exactly(tmp_path):
    """Reachable from a scenario's YAML (here as overrides), logged (stake_slashed events), and the
    run's log verifies by re-running (`distsafe replay --verify`)."""
    from distsafe.cli import main

    out = tmp_path / "run"
    over = [
        "governance.audit_enabled=true", "governance.audit_probability=0.1",
        "governance.audit_probability_watched=0.6", "governance.audit_watch_min_reputation=0.5",
        "governance.staking_enabled=true", "governance.min_stake_to_participate=25",
        "agents.2.count=2",
    ]  # fmt: skip
    args = ["run", "baseline", "-q", "--epochs", "6", "--out", str(out)]
    for o in over:
        args += ["-o", o]
    assert main(args) == 0
    text = (out / "events.jsonl").read_text()
    assert '"audit_probability_watched":0.6' in text and '"stake_slashed"' in text
    assert main(["replay", str(out / "events.jsonl"), "--verify"]) == 0
