"""Conformance checks for third-party agents and governance levers (PettingZoo-style, shipped in the package).

    from distsafe.testing.conformance import check_agent, check_lever
    check_agent(lambda: MyAgent("me"))          # raises ConformanceError listing what is wrong
    check_lever(lambda: MyLever())

Each check builds small runs around the object (a few honest and adversarial agents), and verifies the
engine's contract: the right types come back, arrays have the right shapes, costs are finite and never
negative, and the same seed gives the same event log, byte for byte (an agent or lever that draws from
the `random` module, the clock or a global numpy state fails this).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from distsafe.agents.base import Action, BaseAgent, InteractionProposal, Observation
from distsafe.core.config import OrchestratorConfig
from distsafe.core.orchestrator import Orchestrator
from distsafe.governance.levers import GovernanceContext, GovernanceLever
from distsafe.models.columns import InteractionBatch


class ConformanceError(AssertionError):
    """What a conformance check found, one problem per line."""


def _run(
    build: Callable[[Orchestrator], None],
    seed: int,
    epochs: int,
    steps: int,
    log: Path | None,
    use_async: bool = False,
) -> Orchestrator:
    cfg = OrchestratorConfig(
        n_epochs=epochs, steps_per_epoch=steps, seed=seed, log_path=log, log_events=log is not None
    )
    orch = Orchestrator(cfg)
    orch.add_population("honest", 6)
    orch.add_population("adversarial", 2)
    build(orch)
    if use_async:
        asyncio.run(orch.run_async())
    else:
        orch.run()
    return orch


def _same_log(build: Callable[[Orchestrator], None], epochs: int, steps: int, use_async: bool) -> bool:
    with tempfile.TemporaryDirectory(prefix="distsafe-conformance-") as tmp:
        logs = [Path(tmp) / f"run{i}.jsonl" for i in range(2)]
        for path in logs:
            _run(build, 11, epochs, steps, path, use_async)
        return logs[0].read_bytes() == logs[1].read_bytes()


class _Probe:
    """Wraps an agent's methods to record what they return."""

    def __init__(self, agent: BaseAgent, problems: list[str]):
        self.problems = problems
        self.calls = 0
        act, act_async, accept = agent.act, agent.act_async, agent.accept_interaction

        def checked(action: object, where: str) -> Action:
            self.calls += 1
            if not isinstance(action, Action):
                problems.append(f"{where} returned {type(action).__name__}, not an Action")
                return Action.noop(agent.agent_id, reason="conformance: not an Action")
            return action

        def act_wrapped(observation: Observation) -> Action:
            return checked(act(observation), "act()")

        async def act_async_wrapped(observation: Observation) -> Action:
            return checked(await act_async(observation), "act_async()")

        def accept_wrapped(proposal: InteractionProposal, observation: Observation | None = None) -> bool:
            got = accept(proposal, observation)
            if not isinstance(got, (bool, np.bool_)):
                problems.append(f"accept_interaction() returned {type(got).__name__}, not a bool")
            return bool(got)

        agent.act = act_wrapped  # type: ignore[method-assign]
        agent.act_async = act_async_wrapped  # type: ignore[method-assign]
        agent.accept_interaction = accept_wrapped  # type: ignore[method-assign]


def check_agent(factory: Callable[[], BaseAgent], epochs: int = 2, steps: int = 5) -> None:
    """Check a custom agent class against the engine's contract; raise `ConformanceError` if it fails."""
    problems: list[str] = []
    probes: list[_Probe] = []

    def build(orch: Orchestrator) -> None:
        agent = factory()
        if not isinstance(agent, BaseAgent):
            raise ConformanceError(f"factory returned {type(agent).__name__}, not a BaseAgent")
        probes.append(_Probe(agent, problems))
        orch.register_agent(agent, as_group=False)  # one call per turn, so act() itself is checked

    use_async = bool(getattr(factory(), "is_async", False))
    try:
        orch = _run(build, 3, epochs, steps, None, use_async)
    except ConformanceError:
        raise
    except Exception as e:  # the agent broke the run
        raise ConformanceError(f"the run failed with the agent: {type(e).__name__}: {e}") from e
    if probes and probes[0].calls != epochs * steps:
        problems.append(f"the agent decided {probes[0].calls} times in {epochs * steps} turns")
    if len(orch.agents) != 9:
        problems.append("registering the agent did not add exactly one row")
    if not _same_log(build, epochs, steps, use_async):
        problems.append(
            "the same seed gave different event logs: draw randomness only from what the "
            "engine gives (e.g. a numpy Generator seeded in __init__), never the clock"
        )
    if problems:
        raise ConformanceError("\n".join(dict.fromkeys(problems)))


def check_lever(factory: Callable[[], GovernanceLever], epochs: int = 3, steps: int = 5) -> None:
    """Check a custom governance lever against the hooks' contract; raise `ConformanceError` if it fails."""
    problems: list[str] = []

    def wrap(lever: GovernanceLever) -> GovernanceLever:
        can_act, on_inter, vote_weight = lever.can_act, lever.on_interactions, lever.vote_weight

        def can_act_checked(ctx: GovernanceContext, agents: np.ndarray) -> np.ndarray:
            rows = agents
            mask = np.asarray(can_act(ctx, rows))
            if mask.shape != rows.shape or mask.dtype != np.bool_:
                problems.append(
                    f"can_act returned shape {mask.shape} dtype {mask.dtype}, want {rows.shape} bool"
                )
                return np.ones(rows.shape[0], dtype=bool)
            return mask

        def vote_weight_checked(
            ctx: GovernanceContext, voters: np.ndarray, weights: np.ndarray
        ) -> np.ndarray:
            out = np.asarray(vote_weight(ctx, voters, weights), dtype=float)
            if out.shape != voters.shape or not np.all(np.isfinite(out)) or np.any(out < 0):
                problems.append("vote_weight must return one finite, non-negative weight per voter")
                return weights
            return out

        def on_interactions_checked(ctx: GovernanceContext, batch: InteractionBatch) -> None:
            before_a, before_b = batch.c_a.copy(), batch.c_b.copy()
            on_inter(ctx, batch)
            for name, before in (("c_a", before_a), ("c_b", before_b)):
                col = getattr(batch, name)
                if col.shape != before.shape or not np.all(np.isfinite(col)):
                    problems.append(f"on_interactions left {name} with a wrong shape or non-finite values")
                elif np.any(col < before - 1e-12):
                    problems.append(f"on_interactions lowered {name}: governance costs only add")

        lever.can_act = can_act_checked  # type: ignore[method-assign]
        lever.vote_weight = vote_weight_checked  # type: ignore[method-assign]
        lever.on_interactions = on_interactions_checked  # type: ignore[method-assign]
        return lever

    def build(orch: Orchestrator) -> None:
        lever = factory()
        if not isinstance(lever, GovernanceLever):
            raise ConformanceError(f"factory returned {type(lever).__name__}, not a GovernanceLever")
        orch.governance.add_lever(wrap(lever))

    try:
        _run(build, 5, epochs, steps, None)
    except ConformanceError:
        raise
    except Exception as e:
        raise ConformanceError(f"the run failed with the lever: {type(e).__name__}: {e}") from e
    if not _same_log(build, epochs, steps, False):
        problems.append("the same seed gave different event logs: draw randomness only from ctx.rng")
    if problems:
        raise ConformanceError("\n".join(dict.fromkeys(problems)))
