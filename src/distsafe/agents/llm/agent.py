"""`LLMAgent`: a `BaseAgent` whose actions come from a language model.

One turn: render the observation into a prompt (`prompts`), ask for one JSON action (with the action
schema for this observation, `action_schema`, where the provider enforces one), validate it (`parsing`).
On an invalid answer the agent sends one repair request (the errors and its bad answer); if that fails
too it returns a no-op recorded in `usage_stats()` and in the action's metadata. Provider errors that
persist after the provider's retries (429, 5xx, timeouts) and rejected requests also give a recorded
no-op, so a run never crashes on the model's behaviour (an answer the provider cannot read, e.g. a body
that is not JSON or token counts that are not counts, is such a rejected request). With a recorder the
errors are recorded too, and a replay raises them again at the same calls. What does raise: a
configuration error (missing key or package, bad model, 401/403), a replay miss, and an unreachable
server before any request of this agent has succeeded (a server that is simply not there).

Each decision that asks the model ends on one path (`distsafe.llm.decisions`: schema or parsed first
time, repaired, invalid or error no-op), counted in `usage_stats()["decision_paths"]` with the rates.

`accept_interaction` is a synchronous rule per persona (no LLM call): cheap, deterministic, replay-exact.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter, deque
from collections.abc import Mapping
from typing import Any

from distsafe.agents.base import Action, BaseAgent, InteractionProposal, Observation
from distsafe.agents.llm.action_schema import action_schema
from distsafe.agents.llm.config import LLMConfig, LLMProvider, PersonaType
from distsafe.agents.llm.dry_run_policy import dry_run_action
from distsafe.agents.llm.parsing import ActionParseError, parse_action
from distsafe.agents.llm.prompts import allowed_actions, build_messages, repair_messages
from distsafe.llm import (
    ChatMessage,
    LLMClient,
    LLMConnectionError,
    LLMRecorder,
    LLMRequest,
    LLMRequestError,
    LLMResponse,
    LLMTransientError,
    PriceTable,
    RecordingClient,
    UsageTracker,
    create_provider,
    default_price_table,
    request_key,
)
from distsafe.llm.decisions import DecisionPaths, rates
from distsafe.models.agent import AgentType

TRANSCRIPT_LEN = 32


class LLMAgent(BaseAgent):
    agent_type = AgentType.LLM
    is_async = True

    def __init__(
        self,
        agent_id: str,
        llm_config: LLMConfig | Mapping[str, Any] | None = None,
        roles: list[str] | None = None,
        *,
        client: LLMClient | None = None,
        recorder: LLMRecorder | None = None,
        price_table: PriceTable | None = None,
        **config: Any,
    ):
        super().__init__(agent_id, roles=roles, **config)
        if llm_config is None:
            llm_config = LLMConfig()
        elif not isinstance(llm_config, LLMConfig):
            llm_config = LLMConfig.from_dict(llm_config)
        self.llm_config: LLMConfig = llm_config
        self.persona: PersonaType = llm_config.persona
        self._client = client
        self._recorder = recorder
        self._recording: RecordingClient | None = None
        prices = price_table or default_price_table()
        if llm_config.price_input_per_mtok is not None:
            prices = PriceTable(prices.as_dict())
            prices.set(
                llm_config.model,
                llm_config.price_input_per_mtok,
                llm_config.price_output_per_mtok or 0.0,
                provider=llm_config.provider.value,
            )
        self.usage = UsageTracker(prices, enabled=llm_config.cost_tracking)
        self.parse_failures = 0
        self.repairs = 0
        self.repaired = 0
        self.noops = 0
        self.errors = 0
        self.decisions = 0
        self._successes = 0
        self.paths = DecisionPaths()
        self._base_url: str | None = None  # a server the run started for `local_model`
        self.actions_by_type: Counter[str] = Counter()
        self.last_error: str = ""
        self.last_messages: tuple[ChatMessage, ...] = ()
        #: The last decisions: request keys, raw answers, the action taken (for inspection and tests).
        self.transcript: deque[dict[str, Any]] = deque(maxlen=TRANSCRIPT_LEN)

    # ---- wiring ---------------------------------------------------------------------------------------
    @property
    def provider(self) -> str:
        return self.llm_config.provider.value

    @property
    def model(self) -> str:
        return self.llm_config.model

    def set_recorder(self, recorder: LLMRecorder | None) -> None:
        """Record to / replay from `recorder` (the engine calls this before a run)."""
        self._recorder = recorder
        self._recording = None

    def set_client(self, client: LLMClient | None) -> None:
        """Use `client` instead of building one from the config (shared clients, tests)."""
        self._client = client
        self._recording = None

    def set_base_url(self, base_url: str | None) -> None:
        """Talk to `base_url` (the server a run started for `llm_config.local_model`) without changing the
        config: the config is written into the log, the server's port is not."""
        self._base_url = base_url
        self._client = None
        self._recording = None

    def _get_client(self) -> LLMClient:
        if self._client is None:
            c = self.llm_config
            if c.local_model is not None and self._base_url is None:
                from distsafe.llm import LLMConfigError

                raise LLMConfigError(
                    f"{self.agent_id}: local_model {c.local_model!r} has no server: run it through "
                    "`distsafe run` (which starts one) or call set_base_url()"
                )
            api_key = c.api_key
            if api_key is None and c.api_key_env:
                api_key = os.environ.get(c.api_key_env) or None
            options = dict(c.provider_options)
            if c.provider == LLMProvider.DRY_RUN:
                options.setdefault("responder", dry_run_action)  # the agents' protocol, not the provider's
            self._client = create_provider(
                c.provider.value,
                base_url=self._base_url or c.base_url,
                api_key=api_key,
                timeout=c.timeout,
                max_retries=c.max_retries,
                max_response_chars=c.max_response_chars,
                **options,
            )
        return self._client

    def _model(self) -> LLMClient:
        """The client, wrapped in the recorder's `RecordingClient` when there is a recorder (built lazily:
        a replay never builds a provider)."""
        if self._recorder is None:
            return self._get_client()
        if self._recording is None:
            self._recording = RecordingClient(self._recorder, self._get_client)
        return self._recording

    async def _complete(self, request: LLMRequest) -> LLMResponse:
        response = await self._model().complete(request)
        self._successes += 1
        self.usage.record(response, provider=self.provider, model=self.model)
        return response

    def build_request(
        self, observation: Observation, messages: tuple[ChatMessage, ...] | None = None
    ) -> LLMRequest:
        c = self.llm_config
        if messages is None:
            messages = build_messages(observation, c, self.agent_id, self.history)
        schema = None
        if c.sends_schema:
            schema = action_schema(
                observation, allowed_actions(observation), c.max_posts_in_prompt, c.schema_content_chars
            )
        return LLMRequest(
            provider=c.provider.value,
            model=c.model,
            messages=messages,
            temperature=c.temperature,
            max_tokens=c.max_tokens,
            json_mode=c.json_mode,
            response_schema=schema,
        )

    # ---- decisions ------------------------------------------------------------------------------------
    def _noop(self, reason: str, **meta: Any) -> Action:
        self.noops += 1
        a = Action.noop(self.agent_id, reason)
        a.metadata.update({"llm": {"provider": self.provider, "model": self.model, **meta}})
        return a

    async def _ask(self, request: LLMRequest) -> LLMResponse | Action:
        """The response, or a no-op `Action` when the provider failed in a way that must not crash a run."""
        try:
            return await self._complete(request)
        except LLMConnectionError as exc:
            if self._successes == 0:
                raise
            self.errors += 1
            self.last_error = str(exc)
            return self._noop("llm_error", error=str(exc))
        except (LLMTransientError, LLMRequestError) as exc:
            self.errors += 1
            self.last_error = str(exc)
            return self._noop("llm_error", error=str(exc))

    async def act_async(self, observation: Observation) -> Action:
        self.decisions += 1
        if observation.state.is_frozen:
            action = Action.noop(self.agent_id, "frozen")
            self.actions_by_type[action.action_type.value] += 1
            return action
        request = self.build_request(observation)
        self.last_messages = request.messages
        entry: dict[str, Any] = {
            "epoch": observation.epoch,
            "step": observation.step,
            "request_keys": [request_key(request)],
            "answers": [],
        }
        self.transcript.append(entry)
        result = await self._ask(request)
        if isinstance(result, Action):
            self.paths.add("error_noop")
            entry["action"] = result.action_type.value
            self.actions_by_type[result.action_type.value] += 1
            return result
        entry["answers"].append(result.text)
        repaired = False
        try:
            action = parse_action(
                result.text, observation, self.agent_id, self.llm_config.max_posts_in_prompt
            )
        except ActionParseError as first:
            self.parse_failures += 1
            self.repairs += 1
            fix = self.build_request(
                observation, repair_messages(request.messages, result.text, first.errors)
            )
            entry["request_keys"].append(request_key(fix))
            second = await self._ask(fix)
            if isinstance(second, Action):
                self.paths.add("error_noop")
                entry["action"] = second.action_type.value
                self.actions_by_type[second.action_type.value] += 1
                return second
            entry["answers"].append(second.text)
            try:
                action = parse_action(
                    second.text, observation, self.agent_id, self.llm_config.max_posts_in_prompt
                )
                self.repaired += 1
                self.paths.add("repaired")
                repaired = True
            except ActionParseError as again:
                self.parse_failures += 1
                self.paths.add("invalid_noop")
                action = self._noop(
                    "invalid_llm_output",
                    errors=again.errors[:8],
                    first_errors=first.errors[:8],
                    answer=second.text[:500],
                )
                entry["action"] = "noop"
                entry["errors"] = again.errors[:8]
                self.actions_by_type["noop"] += 1
                return action
        if not repaired:
            self.paths.add(
                "schema_first_time" if request.response_schema is not None else "parsed_first_time"
            )
        action.metadata["llm"] = {
            "provider": self.provider,
            "model": self.model,
            "repaired": repaired,
            "request_key": entry["request_keys"][-1][:16],
        }
        entry["action"] = action.action_type.value
        self.actions_by_type[action.action_type.value] += 1
        return action

    def act(self, observation: Observation) -> Action:
        """Synchronous wrapper for use outside an event loop (inside one, `await act_async`)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.act_async(observation))
        raise RuntimeError(
            "LLMAgent.act() was called inside a running event loop; use `await agent.act_async(obs)`"
        )

    def accept_interaction(
        self, proposal: InteractionProposal, observation: Observation | None = None
    ) -> bool:
        """Persona rule, no LLM call. `tau` > 0 means the initiator pays this agent."""
        rep = float(proposal.initiator_reputation)
        if observation is not None and observation.state.is_frozen:
            return False
        if self.persona == PersonaType.HONEST:
            return rep >= -1.0
        if self.persona == PersonaType.STRATEGIC:
            return proposal.tau > 0 or rep >= 0.0
        if self.persona == PersonaType.ADVERSARIAL:
            return True
        return rep >= -0.5

    # ---- rebuilding for replay ---------------------------------------------------------------------------
    def replay_init(self) -> dict[str, Any]:
        """JSON-safe constructor arguments (the engine writes them into the run log; no API key)."""
        return {"roles": list(self.roles), "llm_config": self.llm_config.to_dict(), **self.config}

    @classmethod
    def from_replay_init(cls, agent_id: str, init: Mapping[str, Any]) -> LLMAgent:
        init = dict(init)
        cfg = LLMConfig.from_dict(init.pop("llm_config", None) or {})
        roles = init.pop("roles", None)
        return cls(agent_id, cfg, roles=roles, **init)

    # ---- accounting -----------------------------------------------------------------------------------
    def usage_stats(self) -> dict[str, Any]:
        stats = self.usage.stats()
        stats.update(
            {
                "agent_id": self.agent_id,
                "provider": self.provider,
                "model": self.model,
                "persona": self.persona.value,
                "decisions": self.decisions,
                "parse_failures": self.parse_failures,
                "repairs": self.repairs,
                "repaired": self.repaired,
                "noops": self.noops,
                "errors": self.errors,
                "actions_by_type": dict(sorted(self.actions_by_type.items())),
                "cost_tracking": self.llm_config.cost_tracking,
                "structured_output": self.llm_config.sends_schema,
                "decision_paths": self.paths.as_dict(),
            }
        )
        r = rates(self.paths.counts)
        stats["first_time_rate"] = r["first_time_rate"]
        stats["valid_action_rate"] = r["valid_action_rate"]
        return stats

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def llm_agents_from_spec(
    spec: Mapping[str, Any],
    *,
    start_index: int = 0,
    id_prefix: str = "llm",
    price_table: PriceTable | None = None,
) -> list[LLMAgent]:
    """Agents for one YAML entry `{type: llm, count: N, llm: {...}, id_prefix?, ids?, roles?}`."""
    if str(spec.get("type", "llm")).lower() != "llm":
        raise ValueError(f"llm_agents_from_spec wants a `type: llm` entry, got type {spec.get('type')!r}")
    count = int(spec.get("count", 1))
    ids = list(spec.get("ids") or [])
    if ids and len(ids) != count and "count" in spec:
        raise ValueError(f"`ids` has {len(ids)} entries but count is {count}")
    prefix = str(spec.get("id_prefix", id_prefix))
    ids = ids or [f"{prefix}_{start_index + i + 1}" for i in range(count)]
    cfg = LLMConfig.from_dict(spec.get("llm") or {})
    return [LLMAgent(aid, cfg, roles=list(spec.get("roles") or []), price_table=price_table) for aid in ids]
