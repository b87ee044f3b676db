"""distsafe: distributional safety in multi-agent AI systems.

Soft (probabilistic) labels for every interaction, scripted and LLM-backed agents, governance levers,
a columnar simulation engine, and replayable, hash-chained event logs.
"""

__version__ = "0.1.0"
