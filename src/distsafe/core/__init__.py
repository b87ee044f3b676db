"""Soft-label math (sigmoid, proxy, payoff) and the simulation engine (orchestrator)."""
