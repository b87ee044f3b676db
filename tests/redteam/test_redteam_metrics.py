"""Red-team measurement: the watcher and the per-run measures on a hand-made run; intervals; evaluator."""

import numpy as np

from distsafe.models.agent import AgentType
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import Event, EventType
from distsafe.redteam import AttackLibrary, RedTeamEvaluator
from distsafe.redteam.metrics import ANY, RunWatcher, mean_ci, measure_run, summarize


def test_measures_against_ground_truth():
    ids = ["h1", "h2", "h3", "b1", "b2"]
    codes = np.array([AgentType.HONEST.code] * 3 + [AgentType.ATTACKER.code] * 2)
    w = RunWatcher(5, 4, h=2.0)
    # b1 harms in epochs 0 and 1, b2 in epoch 2; h1 does one bad interaction in epoch 0
    w.append_interactions(
        InteractionBatch.from_columns(
            epoch=[0, 1, 2, 0, 3],
            initiator=[3, 3, 4, 0, 4],
            counterparty=[0, 1, 2, 1, 0],
            accepted=[True, True, True, True, False],
            v=[-1, -1, -1, -1, 1],
        ),
        ids,
        0.0,
    )
    # the security lever names b1 at epoch 1 and h2 at epoch 3
    w.append(
        Event(
            event_type=EventType.SECURITY_THREAT,
            epoch=1,
            agent_id="b1",
            payload={"threat_type": "prompt_injection"},
        )
    )
    w.append(Event(event_type=EventType.AGENT_QUARANTINED, epoch=3, agent_id="h2"))
    m = measure_run(7, ids, codes, w)
    sec = m.detectors["security"]
    assert sec["precision"] == 0.5 and sec["recall"] == 0.5 and sec["f1"] == 0.5
    assert sec["honest_fpr"] == 1 / 3
    assert sec["latency"] == 1.0  # b1's first harm at 0, named at 1
    assert sec["damage_before"] == 2.0 + 2.0  # b1's epoch-0 harm, all of b2's
    assert m.detectors["security:prompt_injection"]["recall"] == 0.5
    assert m.detectors["security:exfiltration"]["recall"] == 0.0
    # harmful bad-actor epochs: (b1, 0) caught at 1, (b1, 1) caught at 1, (b2, 2) evaded
    assert m.evasion_rate == 1 / 3
    assert m.prevention_rate == 1 / 4 and m.bad_actor_damage == 6.0
    rep = summarize("x", [m, m])
    assert rep.detectors["security"]["precision"] == (0.5, 0.5, 0.5) and ANY in rep.detectors


def test_mean_ci_brackets_the_mean_and_skips_nan():
    m, lo, hi = mean_ci([0.1, 0.5, float("nan"), 0.9])
    assert lo <= m <= hi and abs(m - 0.5) < 1e-12
    assert np.isnan(mean_ci([float("nan")])[0])


def test_quick_evaluate_on_two_attacks():
    ev = RedTeamEvaluator(
        governance_config={"security_enabled": True},
        n_epochs=4,
        steps_per_epoch=8,
        attack_scenarios=[AttackLibrary.threat_attacks()[0], AttackLibrary.adaptive_attack()],
    )
    r = ev.quick_evaluate()
    assert r["attacks_tested"] == 2 and 0 <= r["attacks_successful"] <= 2
    assert 0.0 <= r["avg_evasion_rate"] <= 1.0
    assert [x["attack"] for x in r["results"]] == ["threat_prompt_injection", "adaptive"]
    assert len(AttackLibrary.get_all_attacks()) == 13


def test_collusion_flagged_events_score_the_collusion_detector():
    ids = ["h1", "h2", "b1", "b2"]
    codes = np.array([AgentType.HONEST.code] * 2 + [AgentType.ADAPTIVE_ADVERSARY.code] * 2)
    w = RunWatcher(4, 3, h=1.0)
    for agent in ("b1", "b2", "h1"):
        w.append(
            Event(event_type=EventType.COLLUSION_FLAGGED, epoch=2, agent_id=agent, payload={"risk": 0.5})
        )
    m = measure_run(1, ids, codes, w)
    col = m.detectors["collusion"]
    assert col["recall"] == 1.0 and abs(col["precision"] - 2 / 3) < 1e-12 and col["honest_fpr"] == 0.5
    assert m.detectors[ANY]["recall"] == 1.0


def test_scenario_with_the_collusion_lever_reports_its_detector():
    from distsafe.redteam.evaluator import run_measured
    from distsafe.scenarios import load_scenario

    spec = load_scenario("adversarial_redteam", ["simulation.n_epochs=3"])
    assert spec.governance.collusion_detection_enabled
    m = run_measured(spec)
    assert {"collusion", "circuit_breaker", "random_audit", ANY} <= set(m.detectors)
    assert "security" not in m.detectors
