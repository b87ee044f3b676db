"""verifier role mixin."""

from distsafe.agents.roles.mixins import VerifierRole

__all__ = ["VerifierRole"]
