"""poster role mixin."""

from distsafe.agents.roles.mixins import PosterRole

__all__ = ["PosterRole"]
