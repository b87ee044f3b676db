"""planner role mixin."""

from distsafe.agents.roles.mixins import PlannerRole

__all__ = ["PlannerRole"]
