"""The reference's action names, as role-based access control (`governance.rbac`) checks them: the
vocabulary, the default role -> actions map, and bit masks over it. Apart from the lever so that
`GovernanceConfig` can validate names without importing the lever."""

from __future__ import annotations

from collections.abc import Sequence

#: the reference's action names (swarm/agents/base.py `ActionType` values); an action's code is its index
ACTIONS: tuple[str, ...] = tuple(
    """post reply vote propose_interaction accept_interaction reject_interaction claim_task submit_output
    verify_output post_bounty place_bid accept_bid reject_bid withdraw_bid file_dispute create_page edit_page
    file_objection policy_flag moltbook_post moltbook_comment moltbook_verify moltbook_vote write_memory
    promote_memory verify_memory search_memory challenge_memory retrieve_passages synthesize_answer
    verify_citation submit_kernel verify_kernel audit_kernel spawn_subagent rivals_produce rivals_review
    awm_execute_task awm_tool_call awm_finish_task evo_game_move resource_negotiate noop""".split()
)
CODE: dict[str, int] = {name: i for i, name in enumerate(ACTIONS)}

_COMMON = ("propose_interaction", "accept_interaction", "reject_interaction")
#: the reference's default role -> permitted actions (swarm/governance/rbac.py DEFAULT_ROLE_ACTION_MAP),
#: used when `rbac_role_action_map` is empty
DEFAULT_ROLE_ACTIONS: dict[str, tuple[str, ...]] = {
    "worker": ("claim_task", "submit_output", *_COMMON, "write_memory", "search_memory"),
    "verifier": ("verify_output", "verify_memory", "verify_kernel", "moltbook_verify", *_COMMON),
    "planner": (
        "post_bounty",
        "accept_bid",
        "reject_bid",
        "claim_task",
        "submit_output",
        "verify_output",
        *_COMMON,
        "spawn_subagent",
    ),  # fmt: skip
    "poster": ("post", "reply", "vote", "moltbook_post", "moltbook_comment", "moltbook_vote"),
    "moderator": ("policy_flag", "file_objection", "file_dispute", "verify_output", *_COMMON),
}


def unknown_actions(names: Sequence[str]) -> list[str]:
    """The names in `names` that are not actions of the reference (for one-line config errors)."""
    return [n for n in names if n not in CODE]


def action_bits(names: Sequence[str]) -> int:
    """A set of action names as a bit mask over `ACTIONS`."""
    bits = 0
    for n in names:
        bits |= 1 << CODE[n]
    return bits
