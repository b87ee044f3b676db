"""Levers that cannot bind get a one-line warning computed from the config, printed by `distsafe run` and
recorded in the manifest; the shipped thresholds are reachable."""

import json

import pytest

from distsafe.cli import main
from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.env.state import SafetyConfig
from distsafe.governance.binding import BindingContext, kill_switch_warning
from distsafe.governance.config import GovernanceConfig
from distsafe.governance.registry import lever_warnings
from distsafe.scenarios import load_scenario
from distsafe.scenarios.runner import run_scenario

CTX = BindingContext(
    n_epochs=10, steps_per_epoch=10, initial_resources=100.0, p_min=0.12, p_max=0.88, max_votes_per_epoch=20
)


@pytest.mark.parametrize(
    ("gov", "needle"),
    [
        (GovernanceConfig(bandwidth_cap=10), "bandwidth_cap cannot bind"),
        (GovernanceConfig(staking_enabled=True, min_stake_to_participate=0.0), "staking cannot bind"),
        (GovernanceConfig(staking_enabled=True, min_stake_to_participate=10.0), "no finding can slash it"),
        (
            GovernanceConfig(
                staking_enabled=True, min_stake_to_participate=10.0, audit_enabled=True, stake_slash_rate=0.0
            ),
            "stake_slash_rate is 0",
        ),
        (
            GovernanceConfig(vote_normalization_enabled=True, max_vote_weight_per_agent=10.0),
            "cap cannot bind",
        ),
        (GovernanceConfig(circuit_breaker_enabled=True, freeze_threshold_toxicity=0.95), "cannot trip"),
        (GovernanceConfig(circuit_breaker_enabled=True, freeze_threshold_violations=101), "exceeds the run"),
        (GovernanceConfig(audit_enabled=True, audit_probability=0.0), "audit_probability is 0"),
        (GovernanceConfig(audit_enabled=True, audit_threshold_p=0.1), "cannot catch anyone"),
        (
            GovernanceConfig(collusion_detection_enabled=True, collusion_min_interactions=201),
            "collusion_penalty cannot flag anyone",
        ),
        (
            GovernanceConfig(collusion_detection_enabled=True, collusion_penalty_multiplier=0.0),
            "collusion_penalty costs nothing",
        ),
    ],
)
def test_each_check_warns(gov, needle):
    out = lever_warnings(gov, CTX)
    assert len(out) == 1 and needle in out[0] and "\n" not in out[0]


def test_levers_that_can_bind_say_nothing():
    gov = GovernanceConfig(
        bandwidth_cap=9, staking_enabled=True, min_stake_to_participate=150.0,
        vote_normalization_enabled=True, max_vote_weight_per_agent=3.0,
        circuit_breaker_enabled=True, freeze_threshold_toxicity=0.6,
        audit_enabled=True, transaction_tax_rate=0.1,
        collusion_detection_enabled=True, collusion_min_interactions=200,
    )  # fmt: skip
    assert lever_warnings(gov, CTX) == []
    # 10 votes at 1/sqrt(k) weigh 5.02: a cap of 5 binds, 5.1 cannot
    assert (
        lever_warnings(GovernanceConfig(vote_normalization_enabled=True, max_vote_weight_per_agent=5.0), CTX)
        == []
    )


def test_kill_switch():
    assert "cannot fire" in kill_switch_warning(True, 0.95, CTX)  # 1 - p_min = 0.88
    assert kill_switch_warning(True, 0.8, CTX) is None
    assert kill_switch_warning(False, 0.95, CTX) is None


def test_orchestrator_uses_its_proxy_and_population():
    seed_sigmoid = {"proxy_config": {"sigmoid_k": 2.0}}
    o = Orchestrator(OrchestratorConfig(safety=SafetyConfig(kill_switch_toxicity=0.95), **seed_sigmoid))
    o.add_population("honest", 2)
    assert any("kill switch cannot fire" in w for w in o.lever_warnings())
    o = Orchestrator(OrchestratorConfig())  # the fitted proxy reaches p ~ 0: the default kill switch can fire
    o.add_population("honest", 2)
    assert o.lever_warnings() == []


def test_shipped_thresholds_are_reachable():
    for name in ("baseline", "status_game", "strict_governance", "large_population", "llm_agents"):
        spec = load_scenario(name)
        from distsafe.scenarios.builder import build_orchestrator

        warnings = build_orchestrator(spec).lever_warnings()
        assert not any("cannot" in w for w in warnings), (name, warnings)
    # and in a run: failed audits slash the bond and suspend the agent until the next epoch's top-up, in
    # both seed scenarios that post a stake; the breaker freezes no one but bad actors
    for name in ("status_game", "strict_governance"):
        s = run_scenario(load_scenario(name)).summary
        assert s["stake_slashes"] >= 1 and s["stake_blocked_actions"] >= 1, (name, s)
        assert s["agents_frozen_ever"] == s["bad_actors_frozen"]


def test_run_prints_and_records_warnings(tmp_path, capsys):
    rc = main(
        [
            "run",
            "baseline",
            "-q",
            "--epochs",
            "2",
            "-o",
            "governance.bandwidth_cap=50",
            "--out",
            str(tmp_path / "r"),
        ]
    )
    assert rc == 0
    err = capsys.readouterr().err
    assert "warning: bandwidth_cap cannot bind: the cap (50) is >= steps_per_epoch (15)" in err
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["lever_warnings"] == [
        "bandwidth_cap cannot bind: the cap (50) is >= steps_per_epoch (15), "
        "and an agent acts at most once per step"
    ]
