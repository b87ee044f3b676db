"""`ScriptedAgent`: the seed-style object face of a vectorized policy.

Inside the engine, scripted agents of one class (and the same parameters) form a group and are run by
their policy over arrays; the object only names a row. Used on its own, `act()` runs the very same
policy on a group of one built from the `Observation`, so both paths share one set of rules.
"""

from __future__ import annotations

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
        self._rng = np.random.default_rng(seed)

    def replay_init(self) -> dict[str, Any]:
        """Keyword arguments that rebuild this agent (recorded in the event log header)."""
        return {"roles": list(self.roles), **self.config}

    @classmethod
    def runs_as_group(cls, agent: BaseAgent) -> bool:
        """True if the engine may run this object through its vectorized policy (no overridden hooks)."""
        t = type(agent)
        return (isinstance(agent, ScriptedAgent) and t.act is ScriptedAgent.act
                and t.accept_interaction is ScriptedAgent.accept_interaction
                and t.act_async is BaseAgent.act_async)

    def group_key(self) -> tuple:
        return (type(self).__name__, tuple(sorted(self.policy.params.model_dump().items())),
                tuple(self.policy.roles))

    # ---- standalone use: a group of one --------------------------------------------------------------------
    def _mini_table(self, observation: Observation) -> AgentTable:
        table = AgentTable()
        table.add(self.agent_type, 0, name=self.agent_id, reputation=observation.state.reputation,
                  resources=observation.state.resources)
        for peer in observation.peers:
            if peer.agent_id != self.agent_id and peer.agent_id not in table.ids:
                table.add(self.agent_type, 1, name=peer.agent_id, reputation=peer.reputation)
        return table

    def act(self, observation: Observation) -> Action:
        table = self._mini_table(observation)
        posts = observation.visible_posts
        # Without the engine's view of hidden post quality, a standalone agent judges posts by their votes.
        quality = np.array([0.5 + 0.5 * np.tanh(p.votes) for p in posts], dtype=np.float32)
        authors = np.array([table.ids.index_of(p.author_id) if p.author_id in table.ids else 0 for p in posts],
                           dtype=np.int32)
        view = GroupView(
            members=np.array([0]), agents=table, epoch=observation.epoch, step=observation.step,
            time=observation.step, group_rows=np.array([0]),
            top_posts=np.arange(len(posts), dtype=np.int64), top_authors=authors, top_quality=quality,
            open_tasks=np.arange(len(observation.available_tasks), dtype=np.int64),
            open_bounties=np.array([t.bounty for t in observation.available_tasks]), rng=self._rng,
        )
        arr = self.policy.act_batch(view)
        kind = ActionType.from_code(int(arr.action[0]))
        common = dict(agent_id=self.agent_id, effort=float(arr.effort[0]), signal_boost=float(arr.boost[0]))
        t = int(arr.target[0])
        if kind == ActionType.PROPOSE_INTERACTION:
            return Action(action_type=kind, target_id=table.ids[t], tau=float(arr.tau[0]),
                          interaction_type=InteractionType.from_code(int(arr.itype[0])), **common)
        if kind in (ActionType.REPLY, ActionType.VOTE):
            return Action(action_type=kind, target_id=posts[t].post_id, vote=int(arr.vote[0]),
                          interaction_type=InteractionType.REPLY, **common)
        if kind == ActionType.CLAIM_TASK:
            return Action(action_type=kind, target_id=observation.available_tasks[t].task_id, **common)
        if kind == ActionType.POST:
            return Action(action_type=kind, **common)
        return Action.noop(self.agent_id)

    def accept_interaction(self, proposal: InteractionProposal, observation: Observation | None = None) -> bool:
        table = AgentTable()
        table.add(self.agent_type, 0, name=self.agent_id)
        table.add(self.agent_type, 1, name=proposal.initiator_id or "initiator",
                  reputation=proposal.initiator_reputation)
        return bool(self.policy.accept_batch(
            table, np.array([0]), np.array([1]), np.array([proposal.tau]),
            np.array([InteractionType(proposal.interaction_type).code]), np.array([0]), self._rng)[0])
