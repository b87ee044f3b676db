"""governance.collusion: the detector on constructed histories, the lever in the engine, the registry
row, planted rings, the seed's Collusion Detection snippets (as written, `src.` -> `distsafe.`) and bad
thresholds."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.governance import GovernanceConfig
from distsafe.governance.collusion import CollusionDetector, CollusionLever, frequency_z
from distsafe.governance.registry import lookup
from distsafe.models.agent import AgentType
from distsafe.models.agent_table import AgentTable
from distsafe.models.columns import InteractionBatch
from distsafe.scenarios.loader import ScenarioError, scenario_from_text


def table(n: int) -> AgentTable:
    t = AgentTable()
    t.add(AgentType.HONEST, 0, prefix="a", count=n, resources=100.0, reputation=0.0)
    return t


def batch(init: np.ndarray, cp: np.ndarray, p: np.ndarray | None = None) -> InteractionBatch:
    m = init.shape[0]
    b = InteractionBatch.from_columns(
        epoch=np.zeros(m, dtype=np.int64), step=np.zeros(m, dtype=np.int64), initiator=init.astype(np.int32),
        counterparty=cp.astype(np.int32), itype=np.zeros(m, dtype=np.int8), tau=np.zeros(m),
    )  # fmt: skip
    b.accepted = np.ones(m, dtype=bool)
    b.p = np.full(m, 0.7) if p is None else p
    b.payoff_a = b.p * 1.0
    b.payoff_b = b.p * 0.8
    return b


def history(n: int, ring: list[int], rounds: int, pref: float, seed: int) -> CollusionDetector:
    """Every agent starts `rounds` interactions with uniform partners; ring members send `pref` of theirs
    to other ring members."""
    rng = np.random.default_rng(seed)
    det = CollusionDetector(GovernanceConfig(collusion_detection_enabled=True))
    ring_arr = np.array(ring)
    for _ in range(rounds):
        init = np.arange(n)
        cp = (init + rng.integers(1, n, n)) % n
        to_ring = np.isin(init, ring_arr) & (rng.random(n) < pref)
        for i in np.flatnonzero(to_ring):
            others = ring_arr[ring_arr != i]
            cp[i] = others[rng.integers(0, others.size)]
        det.record(batch(init, cp, rng.uniform(0.4, 0.9, n)))
    return det


def test_ring_is_flagged_and_honest_are_not() -> None:
    det = history(60, [3, 17, 41, 55], rounds=60, pref=0.7, seed=1)
    report = det.detect(table(60))
    flagged = {int(a.split("_")[1]) - 1 for a in report.flagged_agents}
    assert flagged == {3, 17, 41, 55}
    assert report.n_flagged_pairs == 6
    assert len(report.suspicious_groups) == 1 and len(report.suspicious_groups[0].members) == 4
    assert report.suspicious_groups[0].internal_rate > 0.5
    assert 0 < report.ecosystem_collusion_risk < 1


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(20, 80))
def test_no_ring_few_false_flags(seed: int, n: int) -> None:
    det = history(n, [], rounds=40, pref=0.0, seed=seed)
    report = det.detect(table(n))
    assert report.n_flagged_agents <= max(1, int(0.05 * n))


@settings(max_examples=30, deadline=None)
@given(k=st.integers(0, 50), e=st.floats(0.01, 30), tests=st.integers(1, 10_000))
def test_frequency_z_is_monotone_and_bounded(k: int, e: float, tests: int) -> None:
    z1 = frequency_z(np.array([k]), np.array([k]), np.array([e]), np.array([e]), tests)[0]
    z2 = frequency_z(np.array([k + 1]), np.array([k + 1]), np.array([e]), np.array([e]), tests)[0]
    z3 = frequency_z(np.array([k]), np.array([k]), np.array([e]), np.array([e]), tests * 2)[0]
    assert -40 <= z1 <= z2 <= 40
    assert z3 <= z1


def test_scores_are_in_unit_interval_and_risk_only_for_flagged() -> None:
    det = history(30, [1, 2, 3], rounds=30, pref=0.8, seed=4)
    report = det.detect(table(30))
    assert all(0 <= p.collusion_score <= 1 for p in report.suspicious_pairs)
    risk = det.pair_risk(np.array([1, 1, 5]), np.array([2, 7, 6]))
    assert risk[0] > 0 and risk[1] == 0 and risk[2] == 0


def test_registered_like_the_other_levers() -> None:
    entry = lookup("collusion_penalty")
    assert entry.switch == "collusion_detection_enabled" and entry.lever is CollusionLever
    assert entry.enabled(GovernanceConfig(collusion_detection_enabled=True))
    assert not entry.enabled(GovernanceConfig())


def ring_run(realtime: bool, seed: int = 2, epochs: int = 8) -> Orchestrator:
    gov = GovernanceConfig(collusion_detection_enabled=True, collusion_realtime_penalty=realtime)
    orch = Orchestrator(
        config=OrchestratorConfig(n_epochs=epochs, steps_per_epoch=10, seed=seed, governance_config=gov)
    )
    orch.add_population("honest", 30)
    orch.add_population("adversarial", 4, params={"collusion_group": "r", "collusion_preference": 0.8})
    return orch


def test_lever_penalizes_the_planted_ring_in_the_engine() -> None:
    orch = ring_run(realtime=True)
    ms = orch.run()
    report = orch.get_collusion_report()
    assert report is not None
    ring = {f"adversarial_{i}" for i in range(1, 5)}
    assert set(report.ever_flagged_agents) >= ring
    assert not any(a.startswith("honest") for a in report.ever_flagged_agents)
    assert sum(m.values["collusion_penalties"] for m in ms) == pytest.approx(report.penalty_total)
    assert report.penalty_total > 0
    assert "ecosystem_collusion_risk" in ms[-1].values
    assert orch.collusion_rings["r"].tolist() == list(range(30, 34))


def test_ring_members_accept_each_other() -> None:
    orch = ring_run(realtime=False, epochs=2)
    batches: list = []
    orch.interaction_sink = batches.append
    orch.run()
    ring = np.arange(30, 34)
    inside = np.concatenate([np.isin(b.initiator, ring) & np.isin(b.counterparty, ring) for b in batches])
    acc = np.concatenate([b.accepted for b in batches])
    frozen = np.concatenate([b.reject_reason == 2 for b in batches])
    assert inside.sum() > 20 and acc[inside & ~frozen].all()


def test_detection_off_gives_no_report_and_no_metrics() -> None:
    orch = Orchestrator(config=OrchestratorConfig(n_epochs=1, steps_per_epoch=2))
    orch.add_population("honest", 5)
    ms = orch.run()
    assert orch.get_collusion_report() is None and "n_flagged_pairs" not in ms[-1].values


QUICK_START = """
from distsafe.governance import GovernanceConfig, GovernanceEngine

# Enable collusion detection
config = GovernanceConfig(
    collusion_detection_enabled=True,
    collusion_frequency_threshold=2.0,      # Z-score threshold
    collusion_score_threshold=0.5,          # Flag pairs above this
    collusion_penalty_multiplier=1.5,       # Scale penalties
    collusion_realtime_penalty=True,        # Per-interaction penalty
)
"""

AFTER = """
# After simulation
report = orchestrator.get_collusion_report()
print(f"Ecosystem risk: {report.ecosystem_collusion_risk:.2f}")
print(f"Flagged pairs: {report.n_flagged_pairs}")
for pair in report.suspicious_pairs:
    print(f"  {pair.agent_a} <-> {pair.agent_b}: score={pair.collusion_score:.2f}")
"""

YAML_BLOCK = """
governance:
  collusion_detection_enabled: true
  collusion_frequency_threshold: 2.0      # Z-score for unusual frequency
  collusion_correlation_threshold: 0.7    # Benefit correlation threshold
  collusion_min_interactions: 3           # Min interactions to analyze pair
  collusion_score_threshold: 0.5          # Threshold for flagging
  collusion_penalty_multiplier: 1.5       # Penalty scaling factor
  collusion_realtime_penalty: true        # Apply per-interaction penalty
  collusion_realtime_rate: 0.1            # Rate for realtime penalty
"""


def test_seed_quick_start_runs_as_written() -> None:
    ns: dict = {}
    exec(QUICK_START, ns)  # noqa: S102 - the seed's snippet
    config = ns["config"]
    assert ns["GovernanceEngine"](config).get_lever("collusion_penalty") is not None
    orch = Orchestrator(
        config=OrchestratorConfig(n_epochs=8, steps_per_epoch=10, seed=5, governance_config=config)
    )
    orch.add_population("honest", 30)
    orch.add_population("adversarial", 4, params={"collusion_group": "r", "collusion_preference": 0.8})
    orch.run()
    ns["orchestrator"] = orch
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(AFTER, ns)  # noqa: S102
    text = out.getvalue()
    assert "Ecosystem risk: " in text and "Flagged pairs: " in text and "adversarial_" in text


def test_seed_yaml_block_loads() -> None:
    spec = scenario_from_text("scenario_id: c\nagents:\n  - type: honest\n    count: 4\n" + YAML_BLOCK)
    g = spec.governance
    assert (
        g.collusion_detection_enabled
        and g.collusion_realtime_rate == 0.1
        and g.collusion_penalty_multiplier == 1.5
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("collusion_score_threshold", 1.5), ("collusion_correlation_threshold", -0.1),
     ("collusion_realtime_rate", 2), ("collusion_acceptance_threshold", 1.01)],
)  # fmt: skip
def test_thresholds_outside_unit_interval_are_refused_with_line(field: str, value: float) -> None:
    text = f"scenario_id: c\nagents:\n  - type: honest\n    count: 4\ngovernance:\n  {field}: {value}\n"
    with pytest.raises(ScenarioError) as e:
        scenario_from_text(text, source="c.yaml")
    assert str(e.value).startswith(f"c.yaml:6: governance.{field}:")


def test_planted_ring_param_is_validated() -> None:
    text = ("scenario_id: c\nagents:\n  - type: adversarial\n    count: 3\n    params:\n"
            "      collusion_preference: 1.5\n")  # fmt: skip
    with pytest.raises(ScenarioError) as e:
        scenario_from_text(text, source="c.yaml")
    assert "c.yaml:" in str(e.value) and "collusion_preference" in str(e.value)


def test_lever_passes_the_conformance_check() -> None:
    from distsafe.testing.conformance import check_lever

    cfg = GovernanceConfig(collusion_detection_enabled=True, collusion_realtime_penalty=True)
    check_lever(lambda: CollusionLever(cfg))
