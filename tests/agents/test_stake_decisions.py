"""The stake in agents' decisions and in a run: the expected suspension a failed audit brings is priced
(`risk_costs`), and the slashes a run logs are what the formula gives."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_incentives import view_of  # noqa: I001 - the shared view builder of tests/agents

from distsafe.agents.adversarial import AdversarialPolicy
from distsafe.agents.incentives import MarketModel, initiator_value, risk_costs
from distsafe.governance.incentives import IncentiveView


def staked(step: int = 3, audit: float = 0.25) -> IncentiveView:
    return IncentiveView(
        audit_probability=audit, audit_multiplier=2.0, audit_threshold=0.5, slash=2.5, min_stake=25.0,
        steps_per_epoch=15, epochs_left=10, step=step,
    )  # fmt: skip


def test_suspension_term_is_audit_odds_x_fail_x_the_activity_a_slash_costs():
    inc = staked(step=3)
    m = MarketModel()
    e, b = np.array([0.2, 1.0]), np.zeros(2)
    val = initiator_value(m, inc, e, b, np.zeros(2), np.zeros(2), 1.0, 5)
    rows = np.arange(2)
    risk = risk_costs(inc, rows, np.array([100.0, 1.0]), val, step_value=0.7)
    # free resources cover the top-up: suspended for the rest of the epoch (15 - 3 steps); they do not
    # (1 < slash 2.5): for the rest of the run (10 epochs x 15 steps)
    assert np.allclose(risk[0], 0.25 * val.fail * 12 * 0.7)
    assert np.allclose(risk[1], 0.25 * val.fail * 150 * 0.7)
    assert val.fail[0] > val.fail[1] > 0
    # no stake, or no slash: no suspension
    for off in (
        IncentiveView(audit_probability=0.25, audit_multiplier=2.0),
        staked().at_audit_probability(0),
    ):
        assert np.all(risk_costs(off, rows, np.array([100.0, 1.0]), val, 0.7) == 0.0)


def test_a_stake_deters_attacks_beyond_the_audit_alone():
    pol = AdversarialPolicy()
    pol.bind(IncentiveView(audit_probability=0.25, audit_multiplier=2.0, steps_per_epoch=15), MarketModel())
    _, rate_audit = pol.attack_plan(view_of())
    pol.bind(staked(step=0), MarketModel())
    _, rate_staked = pol.attack_plan(view_of())
    assert np.all(rate_staked < rate_audit)


@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_slashes_in_a_run_follow_the_formula(tmp_path, rate):
    """Every stake_slashed event takes stake_slash_rate x the bond it found; the first in an epoch finds
    the whole bond (min_stake); the run's total is the lever's counter."""
    from distsafe.scenarios import load_scenario
    from distsafe.scenarios.runner import run_scenario

    spec = load_scenario(
        "strict_governance", ["simulation.n_epochs=8", f"governance.stake_slash_rate={rate}",
                              "governance.audit_probability=0.6"],
    )  # fmt: skip
    res = run_scenario(spec, out_dir=tmp_path / "run")
    events = [json.loads(x) for x in (tmp_path / "run" / "events.jsonl").read_text().splitlines()[1:]]
    slashes = [e for e in events if e.get("type") == "stake_slashed"]
    assert slashes, "no slash at audit probability 0.6"
    seen: set[tuple[int, str]] = set()
    for e in slashes:
        d = e["data"]
        before = d["slashed"] + d["bond_left"]
        assert d["slashed"] == pytest.approx(rate * before)
        if (e["epoch"], e["agent"]) not in seen:
            assert before == pytest.approx(25.0)
            seen.add((e["epoch"], e["agent"]))
    assert res.summary["stake_slashed"] == pytest.approx(sum(e["data"]["slashed"] for e in slashes))
    assert res.summary["stake_slashes"] == len(slashes) and res.summary["stake_blocked_actions"] > 0
