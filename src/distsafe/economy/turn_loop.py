"""The turn loop: build each agent's context, ask its strategy for actions, sign, validate, post the turn.

Invalid actions never crash a turn: a strategy that raises, returns unparsable output or a malformed action
is recorded as a client-side rejection; actions the engine refuses come back as engine rejections.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import ValidationError

from distsafe.economy.actions import MAX_BUNDLE, PARAM_MODELS
from distsafe.economy.client import EconomyClient, Wallet
from distsafe.economy.config import WorldConfig
from distsafe.economy.context import AgentContext, Decision, build_contexts
from distsafe.economy.strategies import Strategy


@dataclass
class Rejection:
    turn: int
    agent_id: str
    kind: str
    reason: str
    where: str  # "client" (never sent) or "engine"


class LLMCallError(RuntimeError):
    """An LLM strategy's model could not be asked, and the turn loop was told to stop on that."""


@dataclass
class RunReport:
    turns: int
    agents: int
    supply: dict[str, Any]
    blocks_by_kind: dict[str, int]
    contracts_by_status: dict[str, int]
    balances: list[dict[str, Any]]
    accepted: int
    rejected: int
    rejection_reasons: dict[str, int] = field(default_factory=dict)
    # runs with LLM strategies: {"agents", "calls", "failures", "accepted", "rejected"} of those agents
    llm: dict[str, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = self.__dict__.copy()
        if d["llm"] is None:
            del d["llm"]
        return d


def world_config_with_seed(cfg: WorldConfig | Mapping[str, Any] | None, seed: int) -> WorldConfig:
    """The world config to initialise with: `cfg` validated, its seed the run's seed unless `cfg` sets one."""
    if cfg is None:
        return WorldConfig(seed=seed)
    if isinstance(cfg, WorldConfig):
        return (
            cfg
            if "seed" in cfg.model_fields_set
            else WorldConfig.model_validate({**cfg.model_dump(), "seed": seed})
        )
    return WorldConfig.model_validate({"seed": seed, **cfg})


def _reason_class(reason: str) -> str:
    """Reason without its numbers and names, to count rejections by kind."""
    head = reason.split(":")[0].split(" (")[0]
    return re.sub(r"'[^']*'|\d+", "#", head)[:60]


class TurnLoop:
    def __init__(
        self,
        client: EconomyClient,
        strategies: dict[str, Strategy],
        seed: int = 0,
        world_config: WorldConfig | Mapping[str, Any] | None = None,
        max_rejections_kept: int = 2000,
        stop_on_llm_error: bool = False,
    ) -> None:
        """`stop_on_llm_error`: a failed LLM call ends the run with `LLMCallError` before its turn is sent;
        otherwise the agent loses that turn and the failure is counted in the report's `llm` section."""
        if not strategies:
            raise ValueError("at least one agent is needed")
        self.client = client
        self.strategies = strategies
        self.seed = seed
        self.world_config = world_config_with_seed(world_config, seed)
        self.wallets = {aid: Wallet.derive(seed, aid) for aid in strategies}
        self.last_signed: dict[str, dict[str, Any]] = {}
        self.rejections: list[Rejection] = []
        self.rejection_counts: Counter[str] = Counter()
        self.accepted = 0
        self.rejected = 0
        self.max_rejections_kept = max_rejections_kept
        self.config: dict[str, Any] = {}
        self.stop_on_llm_error = stop_on_llm_error
        self.llm_ids = {aid for aid, s in strategies.items() if getattr(s, "uses_llm", False)}
        self.llm_counts = Counter({"calls": 0, "failures": 0, "accepted": 0, "rejected": 0})

    async def setup(self, force: bool = False) -> dict[str, Any]:
        """POST /init with every agent's public key and the world config."""
        keys = {a: w.public_key for a, w in self.wallets.items()}
        out = await self.client.init(keys, self.world_config.model_dump(), force)
        self.config = await self.client.config()
        return out

    async def attach(self) -> None:
        """Join an existing world: pick up the config and each agent's last nonce."""
        self.config = await self.client.config()
        for aid, w in self.wallets.items():
            w.nonce = int((await self.client.agent(aid))["last_nonce"])

    def _reject(self, turn: int, aid: str, kind: str, reason: str, where: str) -> None:
        self.rejected += 1
        if aid in self.llm_ids:
            self.llm_counts["rejected"] += 1
        self.rejection_counts[f"{where}: {_reason_class(reason)}"] += 1
        if len(self.rejections) < self.max_rejections_kept:
            self.rejections.append(Rejection(turn, aid, kind, reason, where))

    async def _decide(self, aid: str, ctx: AgentContext) -> Decision:
        try:
            d = await self.strategies[aid].decide(ctx)
            if not isinstance(d, Decision):
                return Decision(errors=[f"strategy returned {type(d).__name__}, not a Decision"])
            return d
        except Exception as exc:  # a broken strategy costs its agent the turn, never the run
            return Decision(errors=[f"strategy error: {type(exc).__name__}: {exc}"])

    def _body(self, w: Wallet, raw: Any, nonce: int, terms: dict[str, str]) -> dict[str, Any]:
        """A strategy's raw action -> a checked {"kind", "params"} body (contract signatures added)."""
        if not isinstance(raw, dict) or not isinstance(raw.get("kind"), str):
            raise ValueError("action must be an object with a string 'kind'")
        kind, params = raw["kind"], raw.get("params") or {}
        if not isinstance(params, dict):
            raise ValueError("params must be an object")
        if kind == "propose_contract":
            missing = [k for k in ("type", "counterparty", "arbitrator", "terms") if k not in params]
            if missing:
                raise ValueError(f"propose_contract needs {missing}")
            if not isinstance(params["terms"], dict):
                raise ValueError("propose_contract terms must be an object")
            body, _, _ = w.propose_body(
                str(params["type"]),
                str(params["counterparty"]),
                str(params["arbitrator"]),
                params["terms"],
                nonce,
            )
        elif kind == "sign_contract":
            cid = params.get("contract_id")
            if cid not in terms:
                raise ValueError(f"unknown or closed contract {cid!r}")
            body = w.sign_contract_body(str(cid), str(params.get("role")), terms[cid])
        else:
            body = {"kind": kind, "params": params}
        if kind not in PARAM_MODELS:
            raise ValueError(f"unknown action kind {kind!r}")
        try:
            PARAM_MODELS[kind].model_validate(body["params"])
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(x) for x in err["loc"]) or "params"
            raise ValueError(f"{kind} params invalid at {loc}: {err['msg']}") from None
        return body

    def _sign_agent(
        self,
        aid: str,
        turn: int,
        raws: list[Any],
        terms: dict[str, str],
        state_agents: dict[str, dict[str, Any]],
        actions: list[dict[str, Any]],
        bundles: list[dict[str, Any]],
    ) -> None:
        """Sign one agent's actions as one bundle; honour the cheater's forge/replay hooks."""
        w = self.wallets[aid]
        nonce = w.nonce + 1
        bodies: list[dict[str, Any]] = []
        for raw in raws:
            kind = raw.get("kind", "?") if isinstance(raw, dict) else "?"
            try:
                if isinstance(raw, dict) and raw.get("_replay_last"):
                    if aid in self.last_signed:
                        bundles.append(dict(self.last_signed[aid]))
                    continue
                if isinstance(raw, dict) and raw.get("_forge_as"):
                    body = self._body(w, {"kind": kind, "params": raw.get("params")}, nonce, terms)
                    victim = str(raw["_forge_as"])
                    forged = Wallet(victim, w.key, int(state_agents.get(victim, {}).get("last_nonce", 0)))
                    actions.append(forged.action(turn, body["kind"], body["params"]))
                    continue
                if len(bodies) >= MAX_BUNDLE:
                    raise ValueError(f"more than {MAX_BUNDLE} actions in one turn")
                bodies.append(self._body(w, raw, nonce, terms))
            except (ValueError, ValidationError, TypeError) as exc:
                msg = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc).splitlines()[0]
                self._reject(turn, aid, str(kind), msg.replace("Value error, ", ""), "client")
        if bodies:
            bundle = w.bundle(turn, bodies)
            self.last_signed[aid] = bundle
            bundles.append(bundle)

    async def step(self) -> dict[str, Any]:
        state = await self.client.state()
        turn = state["turn"] + 1
        ids = list(self.strategies)
        ctxs = build_contexts(state, self.config, ids)
        for aid, ctx in ctxs.items():
            if getattr(self.strategies[aid], "needs_purchases", False) and any(
                c["type"] == "information_sale" and c["proposer"] == aid and c["status"] == "active"
                for c in ctx.contracts
            ):
                me = await self.client.agent(aid, wallet=self.wallets[aid])  # a signed read: only the buyer
                ctx.purchased = me["purchased_information"]
        decisions = await asyncio.gather(*(self._decide(aid, ctxs[aid]) for aid in ids))
        for aid, d in zip(ids, decisions):
            if aid in self.llm_ids:
                self.llm_counts["calls"] += 1
                if d.llm_error is not None:
                    self.llm_counts["failures"] += 1
                    if self.stop_on_llm_error:
                        raise LLMCallError(f"LLM call failed for {aid} on turn {turn}: {d.llm_error}")
        terms = {c["contract_id"]: c["terms_hash"] for c in state["open_contracts"]}
        agents = {a["agent_id"]: a for a in state["agents"]}
        actions: list[dict[str, Any]] = []
        bundles: list[dict[str, Any]] = []
        usage: dict[str, int] = {}
        for aid, d in zip(ids, decisions):
            if d.output_tokens > 0:
                usage[aid] = int(d.output_tokens)
            for err in d.errors:
                self._reject(turn, aid, "parse", err, "client")
            if not isinstance(d.actions, list):
                self._reject(turn, aid, "parse", "strategy actions must be a list", "client")
                continue
            self._sign_agent(aid, turn, d.actions, terms, agents, actions, bundles)
        result = await self._post(turn, actions, bundles, usage)
        for r in result["results"]:
            if r["accepted"]:
                self.accepted += 1
                if r["agent_id"] in self.llm_ids:
                    self.llm_counts["accepted"] += 1
            else:
                self._reject(turn, r["agent_id"], r["kind"], r["reason"], "engine")
        return result

    async def _post(
        self, turn: int, actions: list[dict[str, Any]], bundles: list[dict[str, Any]], usage: dict[str, int]
    ) -> dict[str, Any]:
        for attempt in range(3):  # the same body is idempotent, so a retry after a lost reply is safe
            try:
                return await self.client.turn(turn, actions, usage, bundles=bundles)
            except httpx.TransportError:
                if attempt == 2:
                    raise
                await asyncio.sleep(0.2 * (attempt + 1))
        raise RuntimeError("unreachable")

    async def run(
        self, turns: int, progress: Callable[[int, dict[str, Any]], None] | None = None
    ) -> RunReport:
        for _ in range(turns):
            result = await self.step()
            if progress is not None:
                progress(result["turn"], result)
        return await self.report()

    async def report(self) -> RunReport:
        st = await self.client.state()
        balances = sorted(
            (
                {
                    k: a[k]
                    for k in (
                        "agent_id",
                        "balance",
                        "staked",
                        "burn_score",
                        "study_level",
                        "cores",
                        "blocks_won",
                    )
                }
                for a in st["agents"]
            ),
            key=lambda a: (-a["balance"], a["agent_id"]),
        )
        return RunReport(
            turns=st["turn"],
            agents=len(st["agents"]),
            supply=st["supply"],
            blocks_by_kind=st["chain"]["blocks_by_kind"],
            contracts_by_status=st["contracts_by_status"],
            balances=balances,
            accepted=self.accepted,
            rejected=self.rejected,
            rejection_reasons=dict(self.rejection_counts.most_common()),
            llm={"agents": len(self.llm_ids), **self.llm_counts} if self.llm_ids else None,
        )
