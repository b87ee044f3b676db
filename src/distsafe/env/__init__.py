"""Environment: rate limits and safety rails, the feed, the task pool."""

from distsafe.env.feed import Feed, FeedConfig, Post
from distsafe.env.state import EnvState, RateLimits, SafetyConfig
from distsafe.env.tasks import Task, TaskConfig, TaskPool, TaskStatus

__all__ = [
    "EnvState",
    "Feed",
    "FeedConfig",
    "Post",
    "RateLimits",
    "SafetyConfig",
    "Task",
    "TaskConfig",
    "TaskPool",
    "TaskStatus",
]
