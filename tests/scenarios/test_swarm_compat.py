"""The reference implementation's scenario format (scenarios/swarm_compat.py) on files written for these tests
in that format (tests/scenarios/swarm_format/), covering every field path the reference's 55 seed-type
scenario files use (FIELDS.txt)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from distsafe.cli import app, main
from distsafe.scenarios.loader import ScenarioError, load_scenario, scenario_from_text
from distsafe.scenarios.runner import run_scenario
from distsafe.scenarios.swarm_compat import FEATURES, feature_of, translate

HERE = Path(__file__).parent / "swarm_format"


def field_paths(d: Any, pre: str = "") -> set[str]:
    """Field paths as FIELDS.txt writes them (lists of mappings as `name[]`)."""
    out: set[str] = set()
    if isinstance(d, dict):
        for k, v in d.items():
            path = f"{pre}.{k}" if pre else str(k)
            if isinstance(v, dict):
                out |= field_paths(v, path)
            elif isinstance(v, list) and v and isinstance(v[0], dict):
                for item in v:
                    out |= field_paths(item, path + "[]")
            else:
                out.add(path)
    return out


def test_files_cover_every_field_of_the_55_reference_files() -> None:
    needed = {ln.strip() for ln in (HERE / "FIELDS.txt").read_text().splitlines() if ln and ln[0] != "#"}
    assert len(needed) == 414
    have: set[str] = set()
    for f in HERE.glob("*.yaml"):
        have |= field_paths(yaml.safe_load(f.read_text()))
    assert needed - have == set()


def test_seed_concepts_map_onto_distsafe_fields(tmp_path: Path) -> None:
    spec = load_scenario(HERE / "seed_concepts.yaml")
    careful = spec.agents[0]
    assert careful.id_prefix == "careful"
    # sequential post-then-interact probabilities: p_post = 0.2, p_interact = (1 - 0.2) * 0.5
    assert careful.params["p_post"] == pytest.approx(0.2)
    assert careful.params["p_interact"] == pytest.approx(0.4)
    assert spec.rate_limits.max_posts_per_epoch == 7
    assert spec.rate_limits.max_votes_per_epoch == 30
    assert spec.rate_limits.max_tasks_per_epoch == 2
    assert spec.safety.max_interactions_per_step == 4
    assert spec.simulation.scheduling == "random"
    assert spec.environment.initial_resources == 120.0
    assert spec.governance.staking_enabled and spec.governance.stake_slash_rate == 0.2
    assert spec.success_criteria.min_agents == 9
    assert spec.no_op_fields == ["outputs.event_log", "outputs.metrics_csv"]
    assert spec.ignored_fields == []
    result = run_scenario(spec, tmp_path / "run")
    assert len(result.metrics) == 3
    assert ("min_agents", True, "9 >= 9") in result.criteria
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["no_op_fields"] == ["outputs.event_log", "outputs.metrics_csv"]
    assert "ignored_fields" not in manifest


def test_reference_spellings_of_the_same_settings() -> None:
    spec = load_scenario(HERE / "seed_concepts_aliases.yaml")
    g = spec.governance
    assert g.reputation_decay_rate == 0.9
    assert g.audit_enabled and g.audit_probability == 0.25 and g.audit_penalty_multiplier == 3.0
    assert g.circuit_breaker_enabled and g.freeze_threshold_toxicity == 0.6
    assert spec.simulation.n_epochs == 2
    assert spec.success_criteria.max_avg_toxicity == 0.9
    assert spec.success_criteria.min_avg_quality_gap == -1.0
    assert len(run_scenario(spec).metrics) == 2


def test_llm_agents_free_text_persona_becomes_the_system_prompt() -> None:
    spec = load_scenario(HERE / "llm_agents.yaml")
    steward = spec.agents[1]
    assert steward.id_prefix == "llm_steward"
    assert steward.llm is not None and steward.llm.persona.value == "open"
    assert steward.llm.system_prompt is not None and steward.llm.system_prompt.startswith("You look after")
    assert spec.agents[0].llm is not None and spec.agents[0].llm.max_tokens == 256
    assert spec.governance.circuit_breaker_enabled and spec.governance.freeze_threshold_toxicity == 0.8
    assert len(run_scenario(spec).metrics) == 1


def test_missing_features_strict_names_the_feature_with_its_line() -> None:
    with pytest.raises(ScenarioError) as e:
        load_scenario(HERE / "missing_features.yaml")
    msg = str(e.value)
    assert "\n" not in msg
    assert "missing_features.yaml:" in msg and "is not in distsafe" in msg and "--lenient" in msg


def test_missing_features_lenient_runs_and_lists_each_field(tmp_path: Path) -> None:
    spec = load_scenario(HERE / "missing_features.yaml", lenient=True)
    ignored = spec.ignored_fields
    for section in ("moltbook",):
        assert any(i.startswith(f"{section} (") for i in ignored), section
    # a parameter shock of a lever distsafe lacks is missing like the lever (core.perturbation)
    shock = (
        "perturbations.parameter_shocks.shocks.0.params.moltbook_post_cooldown_steps (Moltbook rate limits)"
    )
    assert shock in ignored
    assert any(i.startswith("agents.0.llm.memori (Memori memory") for i in ignored)
    # criteria the reference's CLI does not evaluate are no-ops (those it does all exist here: the contract
    # criteria are tested in tests/env/test_contract_market.py)
    assert "success_criteria.min_welfare (the reference does not evaluate it either)" in spec.no_op_fields
    result = run_scenario(spec, tmp_path / "run")
    assert len(result.metrics) == 1
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["ignored_fields"] == ignored


def test_fields_the_reference_never_reads_are_no_ops_with_the_reason(tmp_path: Path) -> None:
    """REFERENCE_IGNORED / REFERENCE_AGENT_KEYS: strict load, each field listed as a no-op with its reason."""
    spec = load_scenario(HERE / "reference_ignored.yaml")
    assert spec.ignored_fields == []
    no_ops = spec.no_op_fields
    why = "ignored by the reference's runner too: "
    for section in (
        "bridge_config",
        "docker",
        "prime_intellect",
        "boundaries",
        "dilemma",
        "horizon_eval",
        "domain",
    ):
        assert any(n.startswith(f"{section} ({why}") for n in no_ops), section
    for section in ("community", "seed_personas", "thread_generation", "multiverse", "whatif_injections"):
        assert f"{section} ({why}read only by its examples/social_simulacra_study.py)" in no_ops
    assert any(
        n.startswith(f"governance.adaptive_controller_enabled ({why}its loader's parse_gov") for n in no_ops
    )
    assert any(n.startswith(f"governance.refinery_p_threshold ({why}") for n in no_ops)
    assert any(n.startswith(f"governance.diversity_rho_max ({why}") for n in no_ops)
    assert any(n.startswith(f"metrics_to_track.1 ({why}") and "boundary_crossings" in n for n in no_ops)
    assert any(n.startswith(f"agents.1.id ({why}its create_agents never reads it") for n in no_ops)
    assert any(n.startswith(f"agents.1.strategy ({why}read only by its evo_game") for n in no_ops)
    for key in (
        "system_prompt",
        "allowed_tools",
        "model",
        "budget_tool_calls",
        "role",
        "clearance",
        "default_task",
    ):
        assert f"agents.0.params.{key} ({why}its honest agent class never reads config.{key})" in no_ops
    assert len(run_scenario(spec, tmp_path / "run").metrics) == 1
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["no_op_fields"] == no_ops and "ignored_fields" not in manifest


def test_a_knob_its_class_does_not_read_is_a_no_op_and_one_it_reads_is_not() -> None:
    """The same key is a no-op on a class of the reference that never reads it, and an error (until mapped)
    on the class that does: `aggression_level` is read by its AdversarialAgent only, `trust_building_phase`
    by its DeceptiveAgent only (mapped: the deceptive policy's param)."""
    cfg = "    config:\n      aggression_level: 0.5\n"
    spec = scenario_from_text(f"scenario_id: t\nagents:\n  - type: honest\n    count: 2\n{cfg}")
    assert any(n.startswith("agents.0.params.aggression_level (ignored") for n in spec.no_op_fields)
    with pytest.raises(ScenarioError, match="agents.0.params.aggression_level"):
        scenario_from_text(f"scenario_id: t\nagents:\n  - type: adversarial\n    count: 2\n{cfg}")
    cfg = "    config:\n      trust_building_phase: 3\n"
    spec = scenario_from_text(f"scenario_id: t\nagents:\n  - type: honest\n    count: 2\n{cfg}")
    assert any(n.startswith("agents.0.params.trust_building_phase (ignored") for n in spec.no_op_fields)
    spec = scenario_from_text(f"scenario_id: t\nagents:\n  - type: deceptive\n    count: 2\n{cfg}")
    assert spec.agents[0].params["trust_building_phase"] == 3


def test_cli_strict_exit_2_one_line_and_lenient_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = str(HERE / "missing_features.yaml")
    assert main(["run", f, "-q"]) == 2
    err = capsys.readouterr().err
    assert "is not in distsafe" in err and "Traceback" not in err
    assert main(["run", f, "-q", "--lenient", "--out", str(tmp_path / "run")]) in (0, None)
    assert "--lenient ignored" in capsys.readouterr().err
    assert (tmp_path / "run" / "manifest.json").exists()


def test_network_collusion_security_either_run_or_name_their_feature() -> None:
    """These are distsafe's own fields where this build has the features (seed 001's names); without one,
    the loader names it."""
    for name in ("social_security.yaml", "scale_free_network.yaml"):
        try:
            spec = load_scenario(HERE / name)
        except ScenarioError as e:
            assert any(
                feat in str(e)
                for feat in ("network topology", "collusion detection", "the security lever", "composite")
            ), str(e)
            spec = load_scenario(HERE / name, lenient=True)
        assert len(run_scenario(spec).metrics) == spec.simulation.n_epochs


def _text(extra: str) -> str:
    return f"scenario_id: t\nagents:\n  - type: honest\n    count: 2\n{extra}"


def test_a_setting_given_twice_is_an_error() -> None:
    with pytest.raises(
        ScenarioError, match="rate_limits.posts_per_epoch and rate_limits.max_posts_per_epoch"
    ):
        scenario_from_text(_text("rate_limits:\n  posts_per_epoch: 3\n  max_posts_per_epoch: 4\n"))
    with pytest.raises(ScenarioError, match="same setting"):
        scenario_from_text(
            _text("rate_limits:\n  interactions_per_step: 3\nsafety:\n  max_interactions_per_step: 2\n")
        )


def test_switched_off_features_are_no_ops() -> None:
    spec = scenario_from_text(
        _text(
            "moltbook:\n  enabled: false\n  initial_posts: 5\n"
            "governance:\n  moltbook_rate_limit_enabled: false\n  moltbook_post_cooldown_steps: 2\n"
        )
    )
    assert "moltbook (enabled: false)" in spec.no_op_fields
    assert "governance.moltbook_post_cooldown_steps (switched off)" in spec.no_op_fields


def test_unknown_non_reference_field_keeps_the_spec_error() -> None:
    with pytest.raises(ScenarioError, match="governance.no_such_lever: unknown field"):
        scenario_from_text(_text("governance:\n  no_such_lever: 1\n"))
    with pytest.raises(ScenarioError, match="nonsense: unknown field"):
        scenario_from_text(_text("nonsense: 1\n"))


def test_ignored_fields_cannot_come_from_a_file() -> None:
    with pytest.raises(ScenarioError, match="set by the loader"):
        scenario_from_text(_text("ignored_fields: [x]\n"))


def test_duplicate_types_get_one_prefix_per_entry() -> None:
    spec = scenario_from_text("scenario_id: t\nagents:\n  - type: honest\n  - type: honest\n    count: 2\n")
    assert [a.prefix() for a in spec.agents] == ["honest_0", "honest_1"]


def test_feature_of_longest_prefix() -> None:
    assert feature_of(("governance", "memory_provenance_enabled")) == FEATURES["governance.memory_"]
    assert feature_of(("agents", "params", "system_prompt")) == FEATURES["agents.params.system_prompt"]
    assert feature_of(("agents", "params", "whatever")) == FEATURES["agents.params."]
    assert feature_of(("moltbook",)) == FEATURES["moltbook"]


@settings(max_examples=60, deadline=None)
@given(
    post=st.floats(0, 1),
    interact=st.floats(0, 1),
    kind=st.sampled_from(["honest", "opportunistic", "deceptive", "adversarial"]),
)
def test_sequential_probabilities_make_a_valid_mix(post: float, interact: float, kind: str) -> None:
    data = {
        "scenario_id": "t",
        "agents": [{"type": kind, "config": {"post_probability": post, "interact_probability": interact}}],
    }
    params = translate(data).data["agents"][0]["params"]
    assert params["p_post"] == pytest.approx(post)
    from distsafe.agents.registry import policy_for

    if kind == "honest":  # the only one of these classes of the reference that reads interact_probability
        assert params["p_interact"] == pytest.approx((1 - post) * interact)
    else:  # a no-op there: the policy's own p_interact, within what post leaves
        default = policy_for(kind, {}, None).params.p_interact
        assert params["p_interact"] == pytest.approx(min(default, 1 - post))
    mix = sum(params.get(k, 0.0) for k in ("p_post", "p_interact", "p_reply", "p_vote", "p_claim"))
    assert mix <= 1 + 1e-9
    policy_for(kind, params, None)  # a valid policy


def test_task_claim_rate_limit_binds_and_replays(tmp_path: Path) -> None:
    """rate_limits.tasks_per_epoch (max_tasks_per_epoch): claims beyond the cap are blocked and logged;
    the run replays."""
    text = _text(
        "    params: {p_claim: 0.9, p_interact: 0.05, p_post: 0.0, p_reply: 0.0, p_vote: 0.0}\n"
        "rate_limits:\n  tasks_per_epoch: 1\ntasks:\n  tasks_per_agent_per_epoch: 3\n"
        "simulation:\n  n_epochs: 2\n  steps_per_epoch: 8\n  seed: 4\n"
    )
    spec = scenario_from_text(text)
    out = tmp_path / "run"
    run_scenario(spec, out)
    events = [json.loads(x) for x in (out / "events.jsonl").read_text().splitlines()]
    blocked = [e for e in events if (e.get("data") or {}).get("reason") == "rate_limit_tasks"]
    assert blocked, "the cap never bound"
    claims: dict[tuple[int, str], int] = {}
    for e in events:
        if e.get("type") == "task_claimed":
            key = (e["epoch"], e["agent"])
            claims[key] = claims.get(key, 0) + 1
    assert claims and max(claims.values()) <= 1
    r = CliRunner().invoke(app, ["replay", str(out / "events.jsonl"), "--verify"])
    assert r.exit_code == 0, r.output


def test_typos_in_distsafe_fields_stay_errors() -> None:
    with pytest.raises(ScenarioError, match="success_criteria.max_avg_toxicty: unknown field"):
        scenario_from_text(_text("success_criteria:\n  max_avg_toxicty: 0.3\n"))
    with pytest.raises(ScenarioError, match="p_interactt: unknown field"):
        scenario_from_text(_text("    params: {p_interactt: 0.3}\n"))


def test_unknown_metric_and_switched_off_non_reference_block_stay_errors() -> None:
    with pytest.raises(ScenarioError, match="unknown metric 'toxicty_rate'"):
        scenario_from_text(_text("metrics_to_track: [toxicty_rate]\n"))
    with pytest.raises(ScenarioError, match="gouvernance: unknown field"):
        scenario_from_text(_text("gouvernance:\n  enabled: false\n"))
    # the reference's own metric names that distsafe lacks: its loader never reads metrics_to_track (no-op)
    spec = scenario_from_text(_text("metrics_to_track: [influence_gini, leakage_events]\n"))
    assert spec.metrics_to_track == ["influence_gini"]
    assert spec.ignored_fields == []
    assert spec.no_op_fields == [
        "metrics_to_track.1 (ignored by the reference's runner too: its loader never reads metrics_to_track "
        "(leakage_events))"
    ]
