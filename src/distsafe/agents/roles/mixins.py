"""Role mixins. Each contributes its name to `role_names`, which `ScriptedAgent` turns into the
action-mix multipliers of `ROLE_MIX`; custom `BaseAgent`s can read `self.roles`."""

from __future__ import annotations


class PlannerRole:
    role_names = ("planner",)


class WorkerRole:
    role_names = ("worker",)


class VerifierRole:
    role_names = ("verifier",)


class PosterRole:
    role_names = ("poster",)


class ModeratorRole:
    role_names = ("moderator",)
