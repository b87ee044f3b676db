"""`ScriptedAgent`: the seed-style object face of a vectorized policy.

Inside the engine, scripted agents of one class (and the same parameters) form a group and are run by
their policy over arrays; the object only names a row. Used on its own, `act()` runs the very same
policy on a group of one built from the `Observation`, so both paths share one set of rules.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from distsafe.agents.base import Action, ActionType, BaseAgent, InteractionProposal, Observation
from distsafe.agents.policies import GroupView, ScriptedPolicy
from distsafe.models.agent_table import AgentTable
from distsafe.models.interaction import InteractionType


class ScriptedAgent(BaseAgent):
    policy_class: type[ScriptedPolicy] = ScriptedPolicy

    def __init__(self, agent_id: str, roles: list[str] | None = None, seed: int | None = None, **params: Any):
        role_names = list(roles or [])
        for klass in type(self).__mro__:
            for r in getattr(klass, "role_names", ()):
                if r not in role_names:
                    role_names.append(r)
        super().__init__(agent_id, roles=role_names, **params)
        self.policy = self.policy_class(params, roles=role_names)
        # Standalone, an unseeded agent still draws deterministically (from its id); inside an engine it
        # draws from the stream the engine gives it (`bind_rng`), which follows the run's seed.
        self._seed = seed
        self._rng = np.random.default_rng(seed if seed is not None else zlib.crc32(agent_id.encode()))

    def bind_rng(self, rng: np.random.Generator) -> None:
        """Take the engine's random stream for this agent, unless it was built with an explicit seed."""
        if self._seed is None:
            self._rng = rng

    def replay_init(self) -> dict[str, Any]:
        """Keyword arguments that rebuild this agent (recorded in the event log header)."""
        return {"roles": list(self.roles), **self.config}

    @classmethod
    def runs_as_group(cls, agent: BaseAgent) -> bool:
        """True if the engine may run this object through its vectorized policy (no overridden hooks)."""
        t = type(agent)
        return (
            isinstance(agent, ScriptedAgent)
            and t.act is ScriptedAgent.act
            and t.accept_interaction is ScriptedAgent.accept_interaction
            and t.act_async is BaseAgent.act_async
        )

    def group_key(self) -> tuple[Any, ...]:
        return (
            type(self).__name__,
            tuple(sorted(self.policy.params.model_dump().items())),
            tuple(self.policy.roles),
        )

    # ---- standalone use: a group of one --------------------------------------------------------------------
    def _mini_table(self, observation: Observation) -> AgentTable:
        """Row 0 is this agent, rows 1.. the peers it observes (with their public reputation)."""
        names = [self.agent_id]
        reps = [observation.state.reputation]
        seen = {self.agent_id}
        for peer in observation.peers:
            if peer.agent_id not in seen:
                seen.add(peer.agent_id)
                names.append(peer.agent_id)
                reps.append(peer.reputation)
        n_peers = len(names)
        for post in observation.visible_posts:
            if post.author_id not in seen:
                seen.add(post.author_id)
                names.append(post.author_id)
                reps.append(post.author_reputation)
        table = AgentTable()
        groups = np.ones(len(names), dtype=np.int32)
        groups[0] = 0
        groups[n_peers:] = 2  # post authors: known by their posts, not candidates for proposals
        res = np.zeros(len(names))
        res[0] = observation.state.resources
        table.add_named_batch(names, self.agent_type, groups, np.array(reps), res)
        return table

    def act(self, observation: Observation) -> Action:
        table = self._mini_table(observation)
        posts = observation.visible_posts
        quality = np.array([p.quality_signal for p in posts], dtype=np.float32)
        index = {name: i for i, name in enumerate(table.ids)}
        authors = np.array([index[p.author_id] for p in posts], dtype=np.int32)
        view = GroupView(
            members=np.array([0]),
            agents=table,
            epoch=observation.epoch,
            step=observation.step,
            time=observation.step,
            group_rows=np.array([0]),
            top_posts=np.arange(len(posts), dtype=np.int64),
            top_authors=authors,
            top_quality=quality,
            open_tasks=np.arange(len(observation.available_tasks), dtype=np.int64),
            open_bounties=np.array([t.bounty for t in observation.available_tasks]),
            rng=self._rng,
            n_candidates=int(np.count_nonzero(table.group <= 1)),
        )
        arr = self.policy.act_batch(view)
        kind = ActionType.from_code(int(arr.action[0]))
        common: dict[str, Any] = dict(
            agent_id=self.agent_id, effort=float(arr.effort[0]), signal_boost=float(arr.boost[0])
        )
        t = int(arr.target[0])
        if kind == ActionType.PROPOSE_INTERACTION:
            return Action(
                action_type=kind,
                target_id=table.ids[t],
                tau=float(arr.tau[0]),
                interaction_type=InteractionType.from_code(int(arr.itype[0])),
                **common,
            )
        if kind in (ActionType.REPLY, ActionType.VOTE):
            return Action(
                action_type=kind,
                target_id=posts[t].post_id,
                vote=int(arr.vote[0]),
                interaction_type=InteractionType.REPLY,
                **common,
            )
        if kind == ActionType.CLAIM_TASK:
            return Action(action_type=kind, target_id=observation.available_tasks[t].task_id, **common)
        if kind == ActionType.POST:
            return Action(action_type=kind, **common)
        return Action.noop(self.agent_id)

    def accept_interaction(
        self, proposal: InteractionProposal, observation: Observation | None = None
    ) -> bool:
        table = AgentTable()
        other = proposal.initiator_id if proposal.initiator_id != self.agent_id else "initiator"
        table.add_named_batch(
            [self.agent_id, other],
            self.agent_type,
            np.array([0, 1]),
            np.array([0.0, proposal.initiator_reputation]),
            np.zeros(2),
        )
        return bool(
            self.policy.accept_batch(
                table,
                np.array([0]),
                np.array([1]),
                np.array([proposal.tau]),
                np.array([InteractionType(proposal.interaction_type).code]),
                np.array([0]),
                self._rng,
            )[0]
        )
