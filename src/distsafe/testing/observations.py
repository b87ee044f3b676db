"""A hand-built observation for testing an agent one decision at a time (no engine needed).

obs = sample_observation("llm_1", step=3)            # two posts, one task, two peers
action = await agent.act_async(obs)
"""

from __future__ import annotations

from collections.abc import Sequence

from distsafe.agents.base import Observation, PeerInfo, VisiblePost, VisibleTask
from distsafe.models.agent import AgentState

DEFAULT_POSTS = (
    VisiblePost(
        post_id="p1",
        author_id="h1",
        content="Tasks t1 and t2 need reviewers.",
        votes=3,
        replies=1,
        age=2,
        score=0.8,
    ),
    VisiblePost(
        post_id="p2",
        author_id="h2",
        content="I finished my part of t1.",
        votes=1,
        replies=0,
        age=1,
        score=0.5,
    ),
)


def sample_observation(
    agent_id: str = "llm_1",
    *,
    epoch: int = 1,
    step: int = 0,
    posts: Sequence[VisiblePost] = (),
    resources: float = 100.0,
    frozen: bool = False,
    posts_left: int = 2,
    votes_left: int = 2,
    interactions_left: int = 1,
) -> Observation:
    """`agent_id`'s view: `posts` (default: p1 by h1, p2 by h2), task t1, peers h1 (reputation 0.6) and
    h2 (-0.2) and itself, reputation 0.4, `resources`, and the given budgets left this step."""
    return Observation(
        agent_id=agent_id,
        epoch=epoch,
        step=step,
        state=AgentState(agent_id=agent_id, reputation=0.4, resources=resources, is_frozen=frozen),
        visible_posts=tuple(posts) or DEFAULT_POSTS,
        available_tasks=(VisibleTask(task_id="t1", bounty=5.0, deadline_epoch=4, difficulty=0.3),),
        peers=(
            PeerInfo(agent_id="h1", reputation=0.6),
            PeerInfo(agent_id="h2", reputation=-0.2),
            PeerInfo(agent_id=agent_id, reputation=0.4),
        ),
        posts_left=posts_left,
        votes_left=votes_left,
        interactions_left=interactions_left,
    )
