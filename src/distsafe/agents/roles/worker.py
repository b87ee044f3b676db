"""worker role mixin."""

from distsafe.agents.roles.mixins import WorkerRole

__all__ = ["WorkerRole"]
