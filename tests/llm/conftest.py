"""Fixtures for the LLM tests (helpers live in `llm_fixtures`, a uniquely named module)."""

from llm_fixtures import free_port, observation, scripted_server  # noqa: F401
