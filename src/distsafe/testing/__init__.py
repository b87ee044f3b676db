"""Test helpers: deterministic synthetic interaction generators, conformance checks for custom agents and
levers (`distsafe.testing.conformance.check_agent`, `check_lever`), a scripted mock model
(`ScriptedModel`), a hand-built observation (`sample_observation`) and a launcher for a real small local
model (`LocalModelServer`, `local_model_missing`; `distsafe.testing.local_model`)."""

from distsafe.testing.generators import generate_batch_columns, generate_mixed_batch
from distsafe.testing.local_model import LocalModelServer, local_model_missing
from distsafe.testing.mock_model import ScriptedModel
from distsafe.testing.observations import sample_observation

__all__ = [
    "LocalModelServer",
    "ScriptedModel",
    "generate_batch_columns",
    "generate_mixed_batch",
    "local_model_missing",
    "sample_observation",
]
