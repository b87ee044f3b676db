"""Role-based access control: which interactions violate, what a violation costs, its events and epoch
field, its settings' validation, and a run from the reference-format fixture (swarm_format/rbac.yaml)."""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from distsafe.core.resolve import row_actions
from distsafe.governance import GovernanceConfig
from distsafe.governance.rbac import RBACLever, prefix_lookup
from distsafe.governance.rbac_actions import ACTIONS, CODE, DEFAULT_ROLE_ACTIONS
from distsafe.governance.registry import enabled_levers, lever_warnings
from distsafe.scenarios.loader import ScenarioError, load_scenario
from distsafe.scenarios.runner import run_scenario, verify_log

FIXTURE = Path(__file__).parents[1] / "scenarios" / "swarm_format" / "rbac.yaml"


def _config(**kw: object) -> GovernanceConfig:
    return GovernanceConfig(rbac_enabled=True, **kw)  # type: ignore[arg-type]


def test_violations_cost_the_initiator_times_the_multiplier_when_high_stakes(
    make_table, make_ctx, make_batch
):
    cfg = _config(
        rbac_violation_penalty=0.5,
        rbac_violation_reputation_penalty=-0.2,
        rbac_high_stakes_actions=["propose_interaction"],
        rbac_high_stakes_penalty_multiplier=3.0,
        rbac_security_clearance_required=2,
        rbac_agent_roles={"a_1": ["worker"], "a_2": ["poster"], "a_4": ["worker"]},
        rbac_security_clearances={"a_1": 2},
    )
    lever = RBACLever(cfg)
    ctx = make_ctx(make_table(4))
    acts = ["propose_interaction", "propose_interaction", "reply", "submit_output", "propose_interaction"]
    ctx.row_actions = np.array([CODE[a] for a in acts])
    b = make_batch(
        initiator=[0, 1, 1, 2, 3], counterparty=[1, 2, 0, 0, 0], accepted=[True, False, True, True, True]
    )
    lever.on_interactions(ctx, b)
    # a_1: worker, cleared -> fine; a_2: poster may not propose (high-stakes: x3), may reply; a_3: no role;
    # a_4: worker may propose but is not cleared for the high-stakes action (x3)
    assert np.allclose(b.c_a, [0.0, 1.5, 0.0, 0.5, 1.5])
    assert np.allclose(b.r_a, [0.0, -0.6, 0.0, -0.2, -0.6])
    assert lever.stats() == pytest.approx(
        {"rbac_violations": 3.0, "rbac_high_stakes_violations": 2.0, "rbac_penalty_total": 3.5}
    )
    assert lever.epoch_metrics() == {"rbac_violations": 3.0}
    assert [(e[0], e[1], e[2]["violations"], e[2]["penalty"]) for e in ctx.events] == [
        ("rbac_violation", 1, 1, 1.5),
        ("rbac_violation", 2, 1, 0.5),
        ("rbac_violation", 3, 1, 1.5),
    ]
    lever.on_epoch_start(ctx)
    assert lever.epoch_metrics() == {"rbac_violations": 0.0}


def test_no_roles_means_every_checked_interaction_violates_as_in_the_reference_runner(
    make_table, make_ctx, make_batch
):
    lever = RBACLever(_config())
    ctx = make_ctx(make_table(3))
    ctx.row_actions = row_actions(3, 2, 3, 3)
    b = make_batch(initiator=[0, 1, 2], counterparty=[1, 2, 0], accepted=[True, False, True])
    lever.on_interactions(ctx, b)
    assert np.allclose(b.c_a, 0.5) and np.allclose(b.r_a, -0.2)  # the reference's defaults
    assert [e[2]["violations"] for e in ctx.events] == [1, 1, 1]


def test_without_the_engine_s_row_actions_nothing_is_checked(make_table, make_ctx, make_batch):
    lever = RBACLever(_config())
    b = make_batch(initiator=[0], counterparty=[1], accepted=[True])
    lever.on_interactions(make_ctx(make_table(2)), b)
    assert b.c_a[0] == 0.0 and lever.stats()["rbac_violations"] == 0.0


def test_row_actions_label_proposals_replies_then_submitted_work():
    got = [ACTIONS[c] for c in row_actions(7, 2, 4, 6)]
    assert got == ["propose_interaction"] * 2 + ["reply"] * 2 + ["submit_output"] * 2 + [
        "propose_interaction"
    ]


def test_prefix_lookup_takes_the_longest_matching_key_at_an_underscore():
    table = {"worker": 1, "worker_special": 2, "w": 3}
    assert prefix_lookup(["worker_3", "worker_special_1", "workers_1", "w_2", "x"], table) == [
        1,
        2,
        None,
        3,
        None,
    ]


def test_role_action_map_replaces_the_default(make_table, make_ctx, make_batch):
    cfg = _config(
        rbac_role_action_map={"poster": ["propose_interaction"]}, rbac_agent_roles={"a": ["poster"]}
    )
    lever = RBACLever(cfg)
    ctx = make_ctx(make_table(2))
    ctx.row_actions = np.array([CODE["propose_interaction"], CODE["reply"]])
    b = make_batch(initiator=[0, 1], counterparty=[1, 0], accepted=[True, True])
    lever.on_interactions(ctx, b)
    assert np.allclose(b.c_a, [0.0, 0.5])  # reply is no longer the poster's (the map replaced the default)


def test_defaults_are_the_reference_s_and_off():
    g = GovernanceConfig()
    assert not g.rbac_enabled and "rbac" not in enabled_levers(g)
    assert (g.rbac_violation_penalty, g.rbac_violation_reputation_penalty) == (0.5, -0.2)
    assert (g.rbac_security_clearance_required, g.rbac_high_stakes_penalty_multiplier) == (2, 2.0)
    assert g.rbac_high_stakes_actions == () and g.rbac_role_action_map == {}
    assert "rbac" not in g.model_dump_json()  # off: the log header is what it was before the lever existed
    assert "rbac" in enabled_levers(_config())
    assert set(DEFAULT_ROLE_ACTIONS) == {"worker", "verifier", "planner", "poster", "moderator"}


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"rbac_violation_penalty": -1}, "rbac_violation_penalty"),
        ({"rbac_violation_penalty": float("nan")}, "rbac_violation_penalty"),
        ({"rbac_security_clearance_required": -1}, "rbac_security_clearance_required"),
        ({"rbac_high_stakes_penalty_multiplier": -0.5}, "rbac_high_stakes_penalty_multiplier"),
        ({"rbac_high_stakes_actions": ["launch_missiles"]}, "unknown action 'launch_missiles'"),
        ({"rbac_role_action_map": {"worker": ["fly"]}}, "rbac_role_action_map.worker: unknown action 'fly'"),
        ({"rbac_security_clearances": {"a": -2}}, "rbac_security_clearances.a"),
    ],
)
def test_bad_settings_are_rejected(kw, needle):
    with pytest.raises(ValidationError, match=needle):
        _config(**kw)


def test_bad_yaml_value_is_one_line_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(FIXTURE.read_text().replace("    - accept_bid", "    - accept_bride"))
    with pytest.raises(ScenarioError) as e:
        load_scenario(bad)
    msg = str(e.value)
    assert "\n" not in msg and "bad.yaml:" in msg and "accept_bride" in msg


def test_no_penalty_warns_that_it_cannot_bind():
    from distsafe.governance.binding import BindingContext

    ctx = BindingContext(
        n_epochs=2, steps_per_epoch=5, initial_resources=100.0, p_min=0.1, p_max=0.9, max_votes_per_epoch=10
    )
    warn = lever_warnings(_config(rbac_violation_penalty=0, rbac_violation_reputation_penalty=0), ctx)
    assert any("rbac costs a violation nothing" in w for w in warn)


_ACTION = st.sampled_from(["propose_interaction", "reply", "submit_output", "post_bounty"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # factories
@given(
    roles=st.lists(
        st.sets(st.sampled_from(sorted(DEFAULT_ROLE_ACTIONS)), max_size=2), min_size=3, max_size=3
    ),
    clear=st.lists(st.integers(0, 3), min_size=3, max_size=3),
    high=st.sets(_ACTION),
    rows=st.lists(st.tuples(st.integers(0, 2), _ACTION), min_size=1, max_size=12),
    penalty=st.floats(0, 5),
    rep=st.floats(-2, 2),
    mult=st.floats(0, 4),
    required=st.integers(0, 3),
)
def test_cost_matches_the_reference_s_rule_per_interaction(
    make_table, make_ctx, make_batch, roles, clear, high, rows, penalty, rep, mult, required
):
    cfg = _config(
        rbac_violation_penalty=penalty, rbac_violation_reputation_penalty=rep,
        rbac_high_stakes_penalty_multiplier=mult, rbac_high_stakes_actions=sorted(high),
        rbac_security_clearance_required=required,
        rbac_agent_roles={f"a_{i + 1}": sorted(r) for i, r in enumerate(roles)},
        rbac_security_clearances={f"a_{i + 1}": c for i, c in enumerate(clear)},
    )  # fmt: skip
    lever = RBACLever(cfg)
    ctx = make_ctx(make_table(3))
    ctx.row_actions = np.array([CODE[a] for _, a in rows])
    b = make_batch(initiator=[i for i, _ in rows], counterparty=[(i + 1) % 3 for i, _ in rows])
    lever.on_interactions(ctx, b)
    for k, (i, action) in enumerate(rows):  # the reference's on_interaction, one interaction at a time
        permitted = any(action in DEFAULT_ROLE_ACTIONS[r] for r in roles[i])
        is_high = action in high
        violation = (not permitted) or (is_high and clear[i] < required)
        scale = mult if is_high else 1.0
        assert b.c_a[k] == pytest.approx(penalty * scale if violation else 0.0)
        assert b.r_a[k] == pytest.approx(rep * scale if violation else 0.0)


def test_reference_format_file_runs_strict_with_violations_events_and_replay(tmp_path):
    spec = load_scenario(FIXTURE)
    assert spec.ignored_fields == []
    assert any(f.startswith("agents.0.params.role (ignored by the reference") for f in spec.no_op_fields)
    result = run_scenario(spec, tmp_path / "run")
    counts = [m.to_dict()["rbac_violations"] for m in result.metrics]
    assert len(counts) == 2 and all(c > 0 for c in counts)
    events = [json.loads(ln) for ln in (tmp_path / "run" / "events.jsonl").read_text().splitlines()]
    rbac = [e for e in events if e.get("type") == "rbac_violation"]
    assert sum(e["data"]["violations"] for e in rbac) == sum(counts)
    # no roles (config.role is not read, as in the reference): every proposal is a high-stakes violation
    assert all(e["data"]["penalty"] >= 0.4 for e in rbac)
    for e in rbac:  # high-stakes violations cost 0.4 x 3, the others 0.4
        d = e["data"]
        assert d["penalty"] == pytest.approx(
            1.2 * d["high_stakes"] + 0.4 * (d["violations"] - d["high_stakes"])
        )
    assert any(e["data"]["high_stakes"] > 0 for e in rbac)
    assert verify_log(tmp_path / "run" / "events.jsonl").ok


def test_agents_that_enter_later_get_their_roles(make_ctx, make_batch):
    from distsafe.models.agent import AgentType
    from distsafe.models.agent_table import AgentTable

    table = AgentTable()
    table.add(AgentType.HONEST, 0, prefix="worker", count=1)
    lever = RBACLever(_config(rbac_agent_roles={"worker": ["worker"], "poster": ["poster"]}))
    ctx = make_ctx(table)
    ctx.row_actions = np.array([CODE["propose_interaction"]])
    lever.on_interactions(ctx, make_batch(initiator=[0], counterparty=[0]))
    table.add(AgentType.HONEST, 0, prefix="poster", count=1)  # entered after the first check
    ctx.row_actions = np.array([CODE["propose_interaction"], CODE["reply"]])
    b = make_batch(initiator=[1, 1], counterparty=[0, 0])
    lever.on_interactions(ctx, b)
    assert np.allclose(b.c_a, [0.5, 0.0])  # a poster may reply, not propose
    lever.reset_agents(ctx, np.array([0, 1]))
    assert lever.permitted.shape == (2,) and lever.clearance.tolist() == [0, 0]
