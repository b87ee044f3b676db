"""moderator role mixin."""

from distsafe.agents.roles.mixins import ModeratorRole

__all__ = ["ModeratorRole"]
