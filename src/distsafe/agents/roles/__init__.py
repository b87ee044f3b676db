"""Role mixins (planner, worker, verifier, poster, moderator).

A role shifts an agent's action mix (see `distsafe.agents.policies.ROLE_MIX`): mix it into a scripted
agent class (`class HonestWorker(WorkerRole, HonestAgent)`) or give `role: worker` in a scenario. Tasks
are posted preferentially by planners; moderators vote more (down-voting low-quality posts).
"""

from distsafe.agents.roles.mixins import ModeratorRole, PlannerRole, PosterRole, VerifierRole, WorkerRole

__all__ = ["ModeratorRole", "PlannerRole", "PosterRole", "VerifierRole", "WorkerRole"]
