"""Red-team measurement against ground truth (seed 001, "Evasion Metrics" and "Governance Effectiveness").

A run is watched through its event stream (`RunWatcher`, an event sink): who each detector named and when
(`DETECTORS`: the lever events that name an agent; and `security:<threat>` for each of the security
lever's five detectors, from its `security_threat` events; their recall is over all bad actors, not only
those attacking with that threat), and, from the interactions, the harm each agent did per epoch (h for
each accepted initiation whose hidden outcome was bad). Ground truth is the agent's type: bad actors
are `BAD_ACTOR_TYPES`, honest agents the `honest` type. Per detector and run:

    precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = their harmonic mean   (agents, named ever)
    honest false-positive rate = honest agents named / honest agents
    detection latency = epochs from a bad actor's first harm to its first naming (0 if named first),
                        mean over the bad actors named
    damage before detection = harm bad actors did before their first naming (all of it if never named)
and per run: evasion rate (share of the epochs in which a bad actor did harm that no detector named it in,
that epoch or at the next one's start, when the security lever analyses the epoch before),
prevention rate (share of bad actors' proposals that were refused), the adaptive adversaries' strategy
counts per epoch. `summarize` turns runs into means with 95% bootstrap intervals over seeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from distsafe.governance.security_report import ThreatType
from distsafe.models.agent import BAD_ACTOR_TYPES, AgentType
from distsafe.models.columns import InteractionBatch
from distsafe.models.events import Event

#: detector name -> the events by which it names an agent
DETECTORS: dict[str, frozenset[str]] = {
    "security": frozenset({"security_threat", "security_penalty", "agent_quarantined"}),
    "security_quarantine": frozenset({"agent_quarantined"}),
    "circuit_breaker": frozenset({"agent_frozen"}),
    "random_audit": frozenset({"audit"}),
    "collusion": frozenset({"collusion_flagged"}),
}
ANY = "any_lever"
#: the security lever's five detectors, each scored on its own
THREAT_DETECTORS: tuple[str, ...] = tuple(f"security:{t.value}" for t in ThreatType)


class RunWatcher:
    """An event sink that keeps what the measurement needs (the engine's `EventSink` protocol)."""

    fmt = "jsonl"

    def __init__(self, n_agents: int, n_epochs: int, h: float) -> None:
        self.closed = False
        self.h = h
        self.harm = np.zeros((n_agents, n_epochs))
        self.proposals = np.zeros(n_agents)
        self.refused = np.zeros(n_agents)
        self.named: dict[str, dict[str, int]] = {d: {} for d in (*DETECTORS, *THREAT_DETECTORS, ANY)}
        self.named_epochs: set[tuple[str, int]] = set()
        self.strategy_counts: list[dict[str, int]] = []
        #: over the run, per strategy: member-epochs played, and those in which the member was named
        self.strategy_plays_total: dict[str, int] = {}
        self.strategy_detected: dict[str, int] = {}
        self._events_by_type = {t: [d for d, ts in DETECTORS.items() if t in ts] for ts in DETECTORS.values()
                                for t in ts}  # fmt: skip

    def append(self, event: Event) -> None:
        t = event.event_type.value
        if t == "adversary_updated":
            used = event.payload.get("strategies_used", {})
            while len(self.strategy_counts) <= event.epoch:
                self.strategy_counts.append({})
            row = self.strategy_counts[event.epoch]
            for name, n in used.items():
                row[name] = row.get(name, 0) + int(n)
            for name, n in event.payload.get("detected_by_strategy", {}).items():
                self.strategy_detected[name] = self.strategy_detected.get(name, 0) + int(n)
                self.strategy_plays_total[name] = self.strategy_plays_total.get(name, 0)
            for name, n in used.items():
                self.strategy_plays_total[name] = self.strategy_plays_total.get(name, 0) + int(n)
            return
        detectors = self._events_by_type.get(t)
        if t == "security_threat" and event.agent_id is not None:  # each threat detector on its own
            name = f"security:{event.payload.get('threat_type', '?')}"
            self.named.setdefault(name, {}).setdefault(event.agent_id, event.epoch)
        if detectors and event.agent_id is not None:
            for d in (*detectors, ANY):
                self.named[d].setdefault(event.agent_id, event.epoch)
            self.named_epochs.add((event.agent_id, event.epoch))

    def append_interactions(self, batch: InteractionBatch, agent_ids: Any, timestamp: float) -> None:
        if len(batch) == 0:
            return
        bad = batch.accepted & (batch.v < 0)
        ep = np.minimum(batch.epoch, self.harm.shape[1] - 1)
        np.add.at(self.harm, (batch.initiator[bad], ep[bad]), self.h)
        np.add.at(self.proposals, batch.initiator, 1.0)
        np.add.at(self.refused, batch.initiator[~batch.accepted], 1.0)

    def close(self) -> None:
        self.closed = True


@dataclass
class RunMeasure:
    """One run's measures: per detector (precision, recall, f1, honest_fpr, latency, damage_before)."""

    seed: int
    detectors: dict[str, dict[str, float]]
    evasion_rate: float
    prevention_rate: float
    bad_actor_damage: float
    strategy_counts: list[dict[str, int]] = field(default_factory=list)
    strategy_plays: dict[str, int] = field(default_factory=dict)
    strategy_detected: dict[str, int] = field(default_factory=dict)


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")


def measure_run(seed: int, ids: list[str], type_codes: np.ndarray, w: RunWatcher) -> RunMeasure:
    bad = np.isin(type_codes, [t.code for t in BAD_ACTOR_TYPES])
    honest = type_codes == AgentType.HONEST.code
    harm = w.harm
    first_harm = np.where(harm.sum(axis=1) > 0, np.argmax(harm > 0, axis=1), -1)
    out: dict[str, dict[str, float]] = {}
    for d, named in w.named.items():
        hit = np.array([i in named for i in ids], dtype=bool)
        when = np.array([named.get(i, harm.shape[1]) for i in ids])
        tp = float(np.count_nonzero(hit & bad))
        fp = float(np.count_nonzero(hit & ~bad))
        fn = float(np.count_nonzero(~hit & bad))
        prec, rec = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        f1 = _ratio(2 * prec * rec, prec + rec) if prec == prec and rec == rec else float("nan")
        lat_rows = np.flatnonzero(hit & bad & (first_harm >= 0))
        latency = (
            float(np.mean(np.maximum(when[lat_rows] - first_harm[lat_rows], 0)))
            if lat_rows.size
            else float("nan")
        )
        cols = np.arange(harm.shape[1])[None, :]
        before = float((harm[bad] * (cols < when[bad][:, None])).sum())
        fpr = _ratio(float(np.count_nonzero(hit & honest)), float(np.count_nonzero(honest)))
        out[d] = {"precision": prec, "recall": rec, "f1": f1, "honest_fpr": fpr, "latency": latency,
                  "damage_before": before}  # fmt: skip
    harmful = [(ids[i], e) for i, e in zip(*np.nonzero(harm > 0)) if bad[i]]
    caught = w.named_epochs  # an epoch's harm is caught by a naming in it or at the next epoch's start
    evaded = sum((a, int(e)) not in caught and (a, int(e) + 1) not in caught for a, e in harmful)
    return RunMeasure(
        seed=seed, detectors=out, evasion_rate=_ratio(float(evaded), float(len(harmful))),
        prevention_rate=_ratio(float(w.refused[bad].sum()), float(w.proposals[bad].sum())),
        bad_actor_damage=float(harm[bad].sum()), strategy_counts=w.strategy_counts,
        strategy_plays=w.strategy_plays_total, strategy_detected=w.strategy_detected,
    )  # fmt: skip


def mean_ci(values: list[float], n_boot: int = 2000) -> tuple[float, float, float]:
    """(mean, low, high): the mean over the defined values and its 95% percentile-bootstrap interval over
    them (fixed resampling stream, so a report is reproducible); nans when none is defined."""
    x = np.array([v for v in values if v == v], dtype=np.float64)
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    if x.size == 1:
        return float(x[0]), float(x[0]), float(x[0])
    rng = np.random.default_rng(0)
    means = x[rng.integers(0, x.size, (n_boot, x.size))].mean(axis=1)
    return float(x.mean()), float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


@dataclass
class EffectivenessReport:
    """Governance effectiveness over seeds: per detector each measure as (mean, low, high)."""

    scenario: str
    seeds: list[int]
    detectors: dict[str, dict[str, tuple[float, float, float]]]
    evasion_rate: tuple[float, float, float]
    prevention_rate: tuple[float, float, float]
    bad_actor_damage: tuple[float, float, float]
    #: per epoch, each strategy's share of the adaptive adversaries' plays (summed over seeds)
    strategy_shares: list[dict[str, float]]
    #: per strategy over all seeds and epochs: share of the member-epochs playing it in which the member
    #: was named by a lever
    strategy_detection_rate: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario, "seeds": self.seeds, "detectors": self.detectors,
            "evasion_rate": self.evasion_rate, "prevention_rate": self.prevention_rate,
            "bad_actor_damage": self.bad_actor_damage, "strategy_shares": self.strategy_shares,
            "strategy_detection_rate": self.strategy_detection_rate,
        }  # fmt: skip


def summarize(scenario: str, runs: list[RunMeasure]) -> EffectivenessReport:
    names = [d for d in (*DETECTORS, *THREAT_DETECTORS, ANY) if runs and all(d in r.detectors for r in runs)]
    detectors = {
        d: {k: mean_ci([r.detectors[d][k] for r in runs]) for k in runs[0].detectors[d]} for d in names
    }
    n_ep = max((len(r.strategy_counts) for r in runs), default=0)
    shares = []
    for e in range(n_ep):
        tot: dict[str, int] = {}
        for r in runs:
            for k, v in (r.strategy_counts[e] if e < len(r.strategy_counts) else {}).items():
                tot[k] = tot.get(k, 0) + v
        n = sum(tot.values())
        shares.append({k: v / n for k, v in sorted(tot.items())} if n else {})
    plays: dict[str, int] = {}
    caught: dict[str, int] = {}
    for r in runs:
        for k, v in r.strategy_plays.items():
            plays[k] = plays.get(k, 0) + v
        for k, v in r.strategy_detected.items():
            caught[k] = caught.get(k, 0) + v
    rates = {k: caught.get(k, 0) / v for k, v in sorted(plays.items()) if v}
    return EffectivenessReport(
        scenario=scenario, seeds=[r.seed for r in runs], detectors=detectors, strategy_detection_rate=rates,
        evasion_rate=mean_ci([r.evasion_rate for r in runs]),
        prevention_rate=mean_ci([r.prevention_rate for r in runs]),
        bad_actor_damage=mean_ci([r.bad_actor_damage for r in runs]), strategy_shares=shares,
    )  # fmt: skip
