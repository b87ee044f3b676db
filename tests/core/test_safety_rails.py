"""The plan's safety rails (seed 002 section 1.4): per-step interaction limit, time between posts, tool
allowlists per role, token bucket. Each is a real limit, reachable from YAML, with its block reason."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.agents.policies import CLAIM, NOOP, POST, PROPOSE, REPLY, VOTE
from distsafe.core.orchestrator import Orchestrator
from distsafe.env.state import SafetyConfig
from distsafe.scenarios import ScenarioError, build_orchestrator, scenario_from_text


class _Recorder:
    """Captures every action_blocked event and every accepted action code, per step."""

    def __init__(self, orch: Orchestrator):
        self.blocked: dict[str, int] = {}
        self.actions: list[tuple[int, np.ndarray, np.ndarray]] = []
        orig = orch.engine_state.emit

        def emit(event_type, agent=None, payload=None):
            if event_type.value == "action_blocked":
                self.blocked[payload["reason"]] = self.blocked.get(payload["reason"], 0) + payload["count"]
            return orig(event_type, agent, payload)

        orch.engine_state.emit = emit  # type: ignore[method-assign]


def test_defaults_are_off_and_left_out_of_the_header():
    s = SafetyConfig()
    assert (
        s.max_interactions_per_step is None and s.tool_allowlist is None and s.token_bucket_capacity is None
    )
    dumped = s.model_dump(mode="json")
    assert set(dumped) == {
        "budget_per_epoch",
        "max_content_length",
        "kill_switch_enabled",
        "kill_switch_toxicity",
        "kill_switch_min_accepted",  # a setting of the kill switch, which is on by default
    }


def _blocked_by(safety: str, epochs: int = 3) -> tuple[Orchestrator, dict[str, int]]:
    text = (
        "scenario_id: rails\nagents:\n  - {type: honest, count: 6, role: worker}\n"
        "  - {type: opportunistic, count: 6, role: poster}\n"
        f"simulation: {{n_epochs: {epochs}, steps_per_epoch: 8, seed: 3}}\nsafety: {safety}\n"
    )
    orch = build_orchestrator(scenario_from_text(text))
    rec = _Recorder(orch)
    orch.run()
    return orch, rec.blocked


def test_tool_allowlist_blocks_unlisted_actions_by_role():
    orch, blocked = _blocked_by("{tool_allowlist: {worker: [propose, claim], poster: [post, reply]}}")
    assert blocked.get("tool_not_allowed", 0) > 0
    # nobody may vote: workers may only propose/claim, posters only post/reply
    assert sum(m.n_votes for m in orch.epoch_metrics) == 0
    posters = np.array([orch.agents.ids.index_of(f"opportunistic_{k}") for k in range(1, 7)])
    workers = np.array([orch.agents.ids.index_of(f"honest_{k}") for k in range(1, 7)])
    assert orch.agents.posts[workers].sum() == 0 and orch.agents.posts[posters].sum() > 0
    assert orch.agents.n_initiated[workers].sum() > 0


def test_tool_allowlist_star_entry_and_unknown_action():
    orch, _ = _blocked_by("{tool_allowlist: {'*': []}}")
    assert sum(m.n_interactions + m.n_posts + m.n_votes for m in orch.epoch_metrics) == 0
    with pytest.raises(ScenarioError, match=r"safety.tool_allowlist: .*unknown action 'fly'"):
        scenario_from_text(
            "scenario_id: x\nagents: [{type: honest}]\nsafety: {tool_allowlist: {worker: [fly]}}\n"
        )


def test_max_interactions_per_step_counts_both_parties():
    orch, blocked = _blocked_by("{max_interactions_per_step: 1}")
    assert blocked.get("rate_limit_step", 0) > 0
    # at most one interaction per agent per step: at most n_agents/2 interactions per step
    for m in orch.epoch_metrics:
        assert m.n_interactions <= 8 * 12 // 2


def test_min_time_between_posts():
    free, _ = _blocked_by("{}")
    orch, blocked = _blocked_by("{min_time_between_posts: 4}")
    assert blocked.get("post_cooldown", 0) > 0
    per_agent_cap = 3 * 8 // 4  # one post per 4 steps over 24 steps
    assert orch.agents.posts.max() <= per_agent_cap
    assert free.agents.posts.sum() > orch.agents.posts.sum()


def test_token_bucket_limits_actions():
    orch, blocked = _blocked_by("{token_bucket_capacity: 2, token_bucket_refill: 0.25}")
    assert blocked.get("token_bucket", 0) > 0
    # 2 tokens at start + 0.25 per step over 24 steps: at most 8 actions per agent
    assert orch.agents.posts.max() + orch.agents.votes_cast.max() + orch.agents.n_initiated.max() <= 3 * 8


@settings(max_examples=25, deadline=None)
@given(cap=st.floats(1, 5), refill=st.floats(0, 1), steps=st.integers(1, 30))
def test_token_bucket_invariant(cap, refill, steps):
    """However the agents act, no agent acts more than capacity + refill * (steps - 1) times."""
    from distsafe.core.config import OrchestratorConfig
    from distsafe.env.state import SafetyConfig as S

    cfg = OrchestratorConfig(
        n_epochs=1, steps_per_epoch=steps, seed=1,
        safety=S(token_bucket_capacity=cap, token_bucket_refill=refill, kill_switch_enabled=False),
    )  # fmt: skip
    orch = Orchestrator(cfg)
    orch.add_population(
        "honest", 5, params={"p_interact": 0.3, "p_post": 0.3, "p_vote": 0.3, "p_reply": 0.1, "p_claim": 0.0}
    )
    orch.run()
    acted = orch.agents.epoch_actions
    assert acted.max() <= cap + refill * (steps - 1) + 1e-9


def test_seed_safety_form_max_posts_per_epoch_is_the_rate_limit():
    spec = scenario_from_text("scenario_id: x\nagents: [{type: honest}]\nsafety: {max_posts_per_epoch: 3}\n")
    assert spec.rate_limits.max_posts_per_epoch == 3
    with pytest.raises(ScenarioError, match="same limit; set it once"):
        scenario_from_text(
            "scenario_id: x\nagents: [{type: honest}]\nsafety: {max_posts_per_epoch: 3}\n"
            "rate_limits: {max_posts_per_epoch: 4}\n"
        )


def test_action_codes_cover_the_allowlist_tools():
    from distsafe.env.state import TOOLS

    assert len({POST, REPLY, VOTE, PROPOSE, CLAIM, NOOP}) == 6 and len(TOOLS) == 5
