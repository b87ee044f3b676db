"""The plan's (seed 002) module paths for the scenario runner, kept as thin entry points over the CLI:

    python -m distsafe.runner.runner scenarios/baseline.yaml --epochs 10 [--override a.b=v] [--output DIR]
    python -m distsafe.runner.replay DIR_OR_LOG --verify

They are `distsafe run ...` and `distsafe replay ...`, with the same options, errors and exit codes.
"""
