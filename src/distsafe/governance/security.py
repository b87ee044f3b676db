"""Security lever (seed 001, "Security Evaluation"): detects the seed's threat types from what the
interactions show, and contains them (quarantine, penalties, real-time charges).

Detectors read only what governance can see: each accepted interaction's initiator, counterparty, `p`,
its observables (tool misuse flags, verifier rejections), and public reputations; never an agent's type or
an interaction's hidden outcome. Per agent, over its accepted initiations since the start (or since the
last epoch with `security_clear_history_on_epoch`), with m = `security_min_interactions` and
den = n + m (shares shrunk toward 0, so a few unlucky interactions of an honest agent score low):

    prompt_injection          #(p < 0.5 with a tool misuse flag or a verifier rejection) / den
    exfiltration              #(two or more tool misuse flags) / den
    cross_agent_manipulation  #(low-p interactions with its most targeted counterparty) / den
                              (repeated targeting of one victim with harmful work: reputation extraction)
    information_laundering    #(p < 0.5 accepted by a counterparty at least `trust_gap` more reputable) / den
    contagion                 #(p < 0.5) / den, for agents in a contagion chain of the epoch whose depth
                              is >= `min_chain_length` and whose velocity (links per step) is >=
                              `contagion_velocity`

A chain: every accepted interaction with p < 0.5 is a link; an agent a link reaches joins the chain of
the link's initiator one hop deeper, unless it already sits at least as deep in a chain (an initiator in
no chain starts its own, as root). A chain's velocity is the links its members initiated per step since
its first link; its source, reported and contained, is the member that initiated the most links. Links of
a step read the depths before the step. An agent's threat score is the largest of its five scores, 0 until
it has m accepted initiations. Each epoch start: agents with a score at or over a detector's threshold are
flagged (a `security_threat` event when an agent is first seen with that threat type), those at or over
`security_penalty_threshold` lose `penalty_multiplier x score` in resources, payoff and reputation
(`security_penalty`), those at or over `security_quarantine_threshold` are quarantined
(`agent_quarantined`): they cannot act until released (`GovernanceEngine.release_from_quarantine`, which
clears their record). Chains whose origin is quarantined are marked contained. With
`security_realtime_penalty`, every accepted interaction whose real-time score (1 - p, halved when it raised
no flag) is >= `security_realtime_threshold` costs its initiator `security_realtime_rate x score`.

Cost: O(interactions) per step; O(agents + distinct low-p pairs) once per epoch.

Length (just over ~400 lines): the five detectors share one set of per-agent records and one analysis;
the report's data types are apart (`security_report.py`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from distsafe.governance.config import GovernanceConfig
from distsafe.governance.levers import GovernanceContext, GovernanceLever
from distsafe.governance.security_report import (
    ContagionChain,
    ContainmentAction,
    SecurityReport,
    ThreatIndicator,
    ThreatType,
)
from distsafe.models.agent_table import AgentNames, AgentTable
from distsafe.models.column_store import Column, ColumnStore
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import EventType

F64 = npt.NDArray[np.float64]
_LOW_P = 0.5
#: detectors in report order
THREATS: tuple[ThreatType, ...] = tuple(ThreatType)


class SecurityRecords(ColumnStore):
    """Per-agent counts of the security detectors, one row per agent row."""

    n_acc: Column[np.int64] = Column(np.int64, 0, "accepted initiations in the window")
    n_inj: Column[np.int64] = Column(np.int64, 0, "of which p < 0.5 with a misuse flag or rejection")
    n_exfil: Column[np.int64] = Column(np.int64, 0, "of which two or more tool misuse flags")
    n_lowp: Column[np.int64] = Column(np.int64, 0, "of which p < 0.5")
    n_launder: Column[np.int64] = Column(np.int64, 0, "of which p < 0.5 up a reputation gap")
    quarantined: Column[np.bool_] = Column(np.bool_, False, "quarantined: cannot act")
    flagged: Column[np.bool_] = Column(np.bool_, False, "flagged at least once")
    flag_bits: Column[np.int8] = Column(np.int8, 0, "threat types it was flagged for (bit i: THREATS[i])")
    in_chain: Column[np.bool_] = Column(np.bool_, False, "in a contagion chain this epoch")
    depth: Column[np.int32] = Column(np.int32, 0, "hops from the chain's origin")
    origin: Column[np.int32] = Column(np.int32, -1, "origin row of the agent's chain")
    links: Column[np.int64] = Column(np.int64, 0, "low-p links the agent initiated this epoch")
    chain_start: Column[np.int64] = Column(np.int64, -1, "time of the first link of the chain it started")
    last_link: Column[np.int64] = Column(np.int64, -1, "time of the agent's last link this epoch")


class SecurityLever(GovernanceLever):
    name = "security"

    def __init__(self, config: GovernanceConfig) -> None:
        self.cfg = config
        self.records = SecurityRecords()
        #: low-p accepted pairs (initiator << 32 | counterparty) seen since the last compaction, and the
        #: compacted distinct pairs with their counts
        self._new_pairs: list[npt.NDArray[np.int64]] = []
        self.pair_keys = np.zeros(0, dtype=np.int64)
        self.pair_counts = np.zeros(0, dtype=np.int64)
        self.indicators: list[ThreatIndicator] = []
        self.chains: list[ContagionChain] = []
        self.containment: list[ContainmentAction] = []
        self.epoch_acc = 0
        self.epoch_inj = 0
        self.epoch_depth = 0
        self.quarantines = 0
        self.releases = 0
        self.penalty_total = 0.0
        self.realtime_charges = 0
        self.realtime_total = 0.0
        self.time = 0

    # ---- per step ----------------------------------------------------------------------------------------
    def can_act(self, ctx: GovernanceContext, agents: np.ndarray) -> np.ndarray:
        q = self.records.quarantined
        inside = agents < q.shape[0]
        out = np.ones(agents.shape[0], dtype=bool)
        out[inside] = ~q[agents[inside]]
        return out

    def on_interactions(self, ctx: GovernanceContext, batch: InteractionBatch) -> None:
        if not self.cfg.security_realtime_penalty or len(batch) == 0:
            return
        score = self.realtime_scores(batch)
        hit = batch.accepted & (score >= self.cfg.security_realtime_threshold)
        charge = np.where(hit, self.cfg.security_realtime_rate * score, 0.0)
        batch.c_a = batch.c_a + charge
        self.realtime_charges += int(np.count_nonzero(hit))
        self.realtime_total += float(charge.sum())

    @staticmethod
    def realtime_scores(batch: InteractionBatch) -> F64:
        """Per interaction: 1 - p, halved when it raised no misuse flag and no verifier rejection."""
        flagged = (batch.tool_misuse_flags > 0) | (batch.verifier_rejections > 0)
        out: F64 = (1.0 - batch.p) * np.where(flagged, 1.0, 0.5)
        return out

    def after_payoffs(self, ctx: GovernanceContext, batch: InteractionBatch) -> None:
        r = self.records
        n_agents = len(ctx.agents)
        r.grow_to(n_agents)
        self.time = ctx.epoch * 1_000_000 + ctx.step
        acc = batch.accepted
        if not acc.any():
            return
        init, cp, p = batch.initiator[acc], batch.counterparty[acc], batch.p[acc]
        misuse, rej = batch.tool_misuse_flags[acc], batch.verifier_rejections[acc]
        low = p < _LOW_P
        inj = low & ((misuse > 0) | (rej > 0))
        rep = ctx.agents.reputation
        launder = low & (rep[cp] - rep[init] >= self.cfg.security_laundering_trust_gap)
        np.add.at(r.n_acc, init, 1)
        np.add.at(r.n_inj, init[inj], 1)
        np.add.at(r.n_exfil, init[misuse >= 2], 1)
        np.add.at(r.n_lowp, init[low], 1)
        np.add.at(r.n_launder, init[launder], 1)
        self.epoch_acc += int(init.shape[0])
        self.epoch_inj += int(np.count_nonzero(inj))
        if low.any():
            li, lc = init[low].astype(np.int64), cp[low].astype(np.int64)
            self._new_pairs.append((li << 32) | lc)
            self._spread(li, lc)

    def _spread(self, init: npt.NDArray[np.int64], cp: npt.NDArray[np.int64]) -> None:
        """One step's low-p links extend the contagion chains (depths read before the step)."""
        r, t = self.records, self.time
        member = r.in_chain[init]
        org = np.where(member, r.origin[init], init).astype(np.int32)
        nd = np.where(member, r.depth[init] + 1, 1).astype(np.int32)
        better = ~r.in_chain[cp] | (nd > r.depth[cp])  # a deeper link moves the agent to that chain
        starts = np.unique(init[~member])
        r.in_chain[starts], r.origin[starts], r.depth[starts] = True, starts, 0
        r.chain_start[starts] = t
        order = np.argsort(nd, kind="stable")
        order = order[better[order]]
        tgt = cp[order]
        r.in_chain[tgt], r.depth[tgt], r.origin[tgt] = True, nd[order], org[order]
        np.add.at(r.links, init, 1)
        r.last_link[init] = t
        if nd.size:
            self.epoch_depth = max(self.epoch_depth, int(nd.max()))

    # ---- scores ------------------------------------------------------------------------------------------
    def _pairs(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Distinct low-p pairs and their counts (compacts what was added since the last call)."""
        if self._new_pairs:
            keys = np.concatenate([self.pair_keys, *self._new_pairs])
            counts = np.concatenate(
                [self.pair_counts, np.ones(keys.shape[0] - self.pair_keys.shape[0], np.int64)]
            )
            self.pair_keys, inv = np.unique(keys, return_inverse=True)
            self.pair_counts = np.bincount(inv, weights=counts).astype(np.int64)
            self._new_pairs = []
        return self.pair_keys, self.pair_counts

    def _chain_sizes(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Per origin row: the chain's depth, links (initiated by its members) and velocity (links/step)."""
        r = self.records
        n = len(r)
        members = np.flatnonzero(r.in_chain)
        org = r.origin[members].astype(np.int64)
        depth = np.zeros(n, dtype=np.int64)
        np.maximum.at(depth, org, r.depth[members])
        links = np.bincount(org, weights=r.links[members], minlength=n).astype(np.int64)
        last = np.full(n, -1, dtype=np.int64)
        np.maximum.at(last, org, r.last_link[members])
        span = (last - r.chain_start + 1).astype(np.float64)
        velocity = np.divide(links, span, out=np.zeros(n), where=(r.chain_start >= 0) & (span > 0))
        return depth, links, velocity

    def _chains(self) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
        """(in a qualifying chain, per agent; the qualifying origins)."""
        r, cfg = self.records, self.cfg
        n = len(r)
        if not r.in_chain[:n].any():
            return np.zeros(n, dtype=bool), np.zeros(0, dtype=np.int64)
        members = np.flatnonzero(r.in_chain)
        org = r.origin[members].astype(np.int64)
        depth, _, velocity = self._chain_sizes()
        ok = (depth >= cfg.security_min_chain_length) & (velocity >= cfg.security_contagion_velocity)
        origins = np.flatnonzero(ok & (r.origin == np.arange(n)) & r.in_chain)
        inside = np.zeros(n, dtype=bool)
        inside[members[np.isin(org, origins)]] = True
        return inside, origins

    def scores(self) -> dict[ThreatType, F64]:
        """Each detector's score per agent row (0 below `security_min_interactions`)."""
        r, cfg = self.records, self.cfg
        n = len(r)
        m = cfg.security_min_interactions
        den = (r.n_acc + m).astype(np.float64)
        eligible = r.n_acc >= m
        keys, counts = self._pairs()
        top = np.zeros(n, dtype=np.int64)
        if keys.size:
            np.maximum.at(top, (keys >> 32).astype(np.int64), counts)
        in_chain, _ = self._chains()
        lowp = r.n_lowp / den
        raw = {
            ThreatType.PROMPT_INJECTION: r.n_inj / den,
            ThreatType.CROSS_AGENT_MANIPULATION: top / den,
            ThreatType.INFORMATION_LAUNDERING: r.n_launder / den,
            ThreatType.CONTAGION: np.where(in_chain, lowp, 0.0),
            ThreatType.EXFILTRATION: r.n_exfil / den,
        }
        return {k: np.where(eligible, v, 0.0) for k, v in raw.items()}

    def thresholds(self) -> dict[ThreatType, float]:
        c = self.cfg
        return {
            ThreatType.PROMPT_INJECTION: c.security_injection_threshold,
            ThreatType.CROSS_AGENT_MANIPULATION: c.security_manipulation_threshold,
            ThreatType.INFORMATION_LAUNDERING: c.security_laundering_threshold,
            ThreatType.CONTAGION: c.security_injection_threshold,
            ThreatType.EXFILTRATION: c.security_exfiltration_threshold,
        }

    def threat_score(self, scores: dict[ThreatType, F64] | None = None) -> F64:
        s = scores if scores is not None else self.scores()
        out: F64 = np.max(np.stack([s[t] for t in THREATS]), axis=0) if len(self.records) else np.zeros(0)
        return out

    # ---- epoch start: analyse and contain ---------------------------------------------------------------
    def on_epoch_start(self, ctx: GovernanceContext) -> None:
        r, cfg, a = self.records, self.cfg, ctx.agents
        r.grow_to(len(a))
        if len(a) == 0:
            return
        scores = self.scores()
        score = self.threat_score(scores)
        ids = a.ids
        for bit, (t, thr) in enumerate(self.thresholds().items()):
            hit = np.flatnonzero(scores[t] >= thr)
            hit = hit[(r.flag_bits[hit] & (1 << bit)) == 0]  # an indicator when a threat is first seen
            r.flag_bits[hit] |= np.int8(1 << bit)
            for i, targets in zip(hit.tolist(), self._targets(hit, ids), strict=True):
                ind = ThreatIndicator(t, ids[i], targets, float(scores[t][i]), ctx.epoch)
                self.indicators.append(ind)
                r.flagged[i] = True
                payload = {
                    "threat_type": t.value,
                    "score": round(float(scores[t][i]), 6),
                    "targets": list(targets),
                }
                ctx.events.append((EventType.SECURITY_THREAT.value, i, payload))
        pen = np.flatnonzero((score >= cfg.security_penalty_threshold) & ~r.quarantined & (score > 0))
        if pen.size and cfg.security_penalty_multiplier > 0:
            amount = cfg.security_penalty_multiplier * score[pen]
            a.resources[pen] -= amount
            a.total_payoff[pen] -= amount
            a.reputation[pen] -= amount
            self.penalty_total += float(amount.sum())
            for i, amt in zip(pen.tolist(), amount.tolist()):
                self.containment.append(ContainmentAction("penalty", ids[i], ctx.epoch, float(score[i]), amt))
                ctx.events.append((EventType.SECURITY_PENALTY.value, i, {
                    "threat_score": round(float(score[i]), 6), "amount": round(amt, 6)}))  # fmt: skip
        quar = np.flatnonzero((score >= cfg.security_quarantine_threshold) & (score > 0) & ~r.quarantined)
        for i in quar.tolist():
            r.quarantined[i] = True
            self.quarantines += 1
            self.containment.append(ContainmentAction("quarantine", ids[i], ctx.epoch, float(score[i])))
            ctx.events.append(
                (EventType.AGENT_QUARANTINED.value, i, {"threat_score": round(float(score[i]), 6)})
            )
        self._close_chains(ids, ctx.epoch)
        if cfg.security_clear_history_on_epoch:
            self._clear(np.arange(len(r)))
        self.epoch_acc = self.epoch_inj = self.epoch_depth = 0

    def _targets(self, rows: npt.NDArray[np.int64], ids: AgentNames, k: int = 5) -> list[tuple[str, ...]]:
        """Each row's `k` most frequent low-p counterparties, most frequent first (one sort for all rows)."""
        if rows.size == 0:
            return []
        keys, counts = self._pairs()
        src = keys >> 32
        order = np.lexsort((-counts, src))  # by initiator, then most frequent first
        src_sorted = src[order]
        rows64 = rows.astype(np.int64)
        lo = np.searchsorted(src_sorted, rows64, side="left")
        hi = np.searchsorted(src_sorted, rows64, side="right")
        idx = lo[:, None] + np.arange(k)[None, :]
        valid = idx < hi[:, None]
        if order.size == 0:
            return [() for _ in range(rows.size)]
        cp = keys[order][np.minimum(idx, order.size - 1)] & 0xFFFFFFFF
        return [tuple(ids[int(c)] for c in row[ok].tolist()) for row, ok in zip(cp, valid, strict=True)]

    def _close_chains(self, ids: AgentNames, epoch: int) -> None:
        """Record the epoch's qualifying chains, then start the next epoch without chains."""
        r = self.records
        _, origins = self._chains()
        if origins.size:
            members = np.flatnonzero(r.in_chain)
            org = r.origin[members]
            depth, links, velocity = self._chain_sizes()
            for o in origins.tolist():
                mine = members[org == o]
                src = int(mine[np.argmax(r.links[mine])])
                self.chains.append(ContagionChain(
                    origin=ids[src], agents=tuple(ids[i] for i in mine.tolist()), depth=int(depth[o]),
                    n_interactions=int(links[o]), velocity=float(velocity[o]), epoch=epoch - 1,
                    contained=bool(r.quarantined[src]),
                ))  # fmt: skip
        r.in_chain[:], r.depth[:], r.origin[:] = False, 0, -1
        r.links[:], r.chain_start[:], r.last_link[:] = 0, -1, -1

    def _clear(self, rows: npt.NDArray[np.int64]) -> None:
        r = self.records
        for col in (r.n_acc, r.n_inj, r.n_exfil, r.n_lowp, r.n_launder):
            col[rows] = 0
        keys, counts = self._pairs()
        drop = np.isin(keys >> 32, rows)
        self.pair_keys, self.pair_counts = keys[~drop], counts[~drop]

    # ---- operator actions ------------------------------------------------------------------------------
    def release(self, row: int, name: str, epoch: int) -> bool:
        """Release `row` from quarantine and clear its record; False if it was not quarantined."""
        r = self.records
        if row >= len(r) or not r.quarantined[row]:
            return False
        r.quarantined[row] = False
        r.flag_bits[row] = 0
        self._clear(np.array([row], dtype=np.int64))
        self.releases += 1
        self.containment.append(ContainmentAction("release", name, epoch, 0.0, reason="released"))
        for c in self.chains:
            if c.origin == name:
                c.contained = False
        return True

    def reset_agents(self, ctx: GovernanceContext, rows: np.ndarray) -> None:
        self.records.grow_to(len(ctx.agents))
        self.records.quarantined[rows] = False
        self.records.flagged[rows] = False
        self.records.flag_bits[rows] = 0
        self._clear(rows.astype(np.int64))

    # ---- reports -----------------------------------------------------------------------------------------
    def epoch_metrics(self) -> dict[str, float]:
        """Seed 001's security metrics of the epoch now ending (the scores as of now)."""
        r = self.records
        scores = self.scores()
        score = self.threat_score(scores)
        n = max(len(r), 1)
        acc = r.n_acc.astype(np.float64)
        man = scores[ThreatType.CROSS_AGENT_MANIPULATION] >= self.cfg.security_manipulation_threshold
        return {
            "ecosystem_threat_level": float((acc * score).sum() / acc.sum()) if acc.sum() > 0 else 0.0,
            "prompt_injection_rate": self.epoch_inj / self.epoch_acc if self.epoch_acc else 0.0,
            "manipulation_rate": float(np.count_nonzero(man)) / n,
            "contagion_depth": float(self.epoch_depth),
            "agents_flagged": float(np.count_nonzero(r.flagged)),
            "n_quarantined": float(np.count_nonzero(r.quarantined)),
        }

    def report(self, agents: AgentTable, epoch: int) -> SecurityReport:
        r = self.records
        r.grow_to(len(agents))
        ids = agents.ids
        m = self.epoch_metrics()
        score = self.threat_score()
        active = {(i.threat_type, i.source_agent) for i in self.indicators if i.source_agent not in
                  {ids[j] for j in np.flatnonzero(r.quarantined).tolist()}}  # fmt: skip
        return SecurityReport(
            ecosystem_threat_level=m["ecosystem_threat_level"], active_threat_count=len(active),
            threat_indicators=list(self.indicators),
            agents_flagged={ids[i] for i in np.flatnonzero(r.flagged).tolist()},
            quarantined_agents={ids[i] for i in np.flatnonzero(r.quarantined).tolist()},
            prompt_injection_rate=m["prompt_injection_rate"], manipulation_rate=m["manipulation_rate"],
            contagion_depth=max([c.depth for c in self.chains] + [int(m["contagion_depth"])]),
            contagion_chains=list(self.chains), containment_actions=list(self.containment),
            threat_scores={ids[i]: float(score[i]) for i in np.flatnonzero(score > 0).tolist()},
        )  # fmt: skip

    def stats(self) -> dict[str, float]:
        contained = sum(c.contained for c in self.chains)
        return {
            "security_flags": float(len(self.indicators)),
            "quarantines": float(self.quarantines),
            "security_releases": float(self.releases),
            "security_penalties": self.penalty_total,
            "realtime_charges": float(self.realtime_charges),
            "contagion_chains": float(len(self.chains)),
            "max_contagion_depth": float(max([c.depth for c in self.chains], default=0)),
            "containment_effectiveness": contained / len(self.chains) if self.chains else 1.0,
        }
