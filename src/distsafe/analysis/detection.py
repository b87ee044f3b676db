"""The collusion detector measured against ground truth: `distsafe detection SCENARIO --seeds N`.

A scenario with planted collusion rings (policy param `collusion_group`; docs/collusion.md) is run at N
seeds; after each run the agents the detector flagged (`Orchestrator.get_collusion_report()`) are compared
with the ring members, agent by agent:

    precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2 P R / (P + R)
    false-positive rate on honest agents = honest agents flagged / honest agents

"honest agents" are the agents in no ring (whatever their type); the rate is also given for the agents of
type `honest` alone. An agent counts as flagged if the detector flagged it at the end of any epoch (it
was penalized then). Each figure is the mean over seeds with a 95% bootstrap interval (`mean_ci`); a
seed where the detector flagged nobody has no precision and is left out of the precision mean
(the count is printed). Pair-level figures (flagged pairs that are inside a ring) are reported beside.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from distsafe.core.orchestrator import Orchestrator
from distsafe.models.agent import AgentType
from distsafe.scenarios.builder import build_orchestrator
from distsafe.scenarios.loader import ScenarioError, load_scenario


@dataclass(frozen=True)
class SeedOutcome:
    seed: int
    n_agents: int
    n_colluders: int
    tp: int
    fp: int
    fn: int
    honest_agents: int
    honest_flagged: int
    type_honest: int
    type_honest_flagged: int
    flagged_pairs: int
    ring_pairs_flagged: int
    first_flag_epoch: int | None

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        if math.isnan(p) or math.isnan(r) or p + r == 0:
            return 0.0 if not math.isnan(r) else float("nan")
        return 2 * p * r / (p + r)

    @property
    def fp_rate(self) -> float:
        return self.honest_flagged / self.honest_agents if self.honest_agents else float("nan")

    @property
    def fp_rate_type_honest(self) -> float:
        return self.type_honest_flagged / self.type_honest if self.type_honest else float("nan")


#: bootstrap resamples of the seeds for the 95% intervals (fixed generator: the same runs print the same)
N_BOOT = 10_000


def mean_ci(values: list[float]) -> tuple[float, float, float, int]:
    """(mean, low, high, n) of the finite values: the 2.5 and 97.5 percentiles of the mean over
    `N_BOOT` bootstrap resamples of the seeds (so a rate's interval stays inside [0, 1]); nan when none."""
    x = np.array([v for v in values if not math.isnan(v)], dtype=np.float64)
    if x.size == 0:
        return float("nan"), float("nan"), float("nan"), 0
    m = float(x.mean())
    if x.size == 1:
        return m, float("nan"), float("nan"), 1
    rng = np.random.default_rng(0)
    means = x[rng.integers(0, x.size, size=(N_BOOT, x.size))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return m, float(lo), float(hi), int(x.size)


@dataclass
class DetectionStudy:
    scenario: str
    outcomes: list[SeedOutcome] = field(default_factory=list)

    def summary(self) -> dict[str, tuple[float, float, float, int]]:
        o = self.outcomes
        return {
            "precision": mean_ci([x.precision for x in o]),
            "recall": mean_ci([x.recall for x in o]),
            "f1": mean_ci([x.f1 for x in o]),
            "fp_rate_honest": mean_ci([x.fp_rate for x in o]),
            "fp_rate_type_honest": mean_ci([x.fp_rate_type_honest for x in o]),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "seeds": [vars(x) | {"precision": x.precision, "recall": x.recall, "f1": x.f1,
                                 "fp_rate": x.fp_rate} for x in self.outcomes],
            "summary": {k: dict(zip(("mean", "low", "high", "n"), v)) for k, v in self.summary().items()},
        }  # fmt: skip


def score_run(orch: Orchestrator, seed: int) -> SeedOutcome:
    """Compare a finished run's collusion report with its planted rings."""
    report = orch.get_collusion_report()
    if report is None:
        raise ScenarioError("collusion detection is off: set governance.collusion_detection_enabled: true")
    rings = orch.collusion_rings
    if not rings:
        raise ScenarioError("the scenario plants no collusion ring (agent params collusion_group)")
    ids = orch.agents.ids
    n = len(orch.agents)
    truth = np.zeros(n, dtype=bool)
    ring_of = np.full(n, -1)
    for j, rows in enumerate(rings.values()):
        truth[rows] = True
        ring_of[rows] = j
    flagged = np.zeros(n, dtype=bool)
    for name in report.ever_flagged_agents:
        r = ids.index_of(name)
        if r is not None:
            flagged[r] = True
    is_type_honest = orch.agents.type_code == AgentType.HONEST.code
    ring_pairs = 0
    for p in report.suspicious_pairs:
        a, b = ids.index_of(p.agent_a), ids.index_of(p.agent_b)
        if a is not None and b is not None and ring_of[a] >= 0 and ring_of[a] == ring_of[b]:
            ring_pairs += 1
    first = next((m.epoch for m in orch.epoch_metrics if m.values.get("n_flagged_agents", 0) > 0), None)
    return SeedOutcome(
        seed=seed, n_agents=n, n_colluders=int(truth.sum()), tp=int((flagged & truth).sum()),
        fp=int((flagged & ~truth).sum()), fn=int((~flagged & truth).sum()), honest_agents=int((~truth).sum()),
        honest_flagged=int((flagged & ~truth).sum()), type_honest=int((is_type_honest & ~truth).sum()),
        type_honest_flagged=int((flagged & is_type_honest & ~truth).sum()),
        flagged_pairs=report.n_flagged_pairs, ring_pairs_flagged=ring_pairs, first_flag_epoch=first,
    )  # fmt: skip


def detection_study(
    scenario: str,
    seeds: int = 10,
    overrides: list[str] | None = None,
    first_seed: int = 0,
    on_seed: Callable[[SeedOutcome], None] | None = None,
) -> DetectionStudy:
    """Run `scenario` at seeds first_seed .. first_seed + seeds - 1 and score each run."""
    study = DetectionStudy(scenario=scenario)
    for seed in range(first_seed, first_seed + seeds):
        spec = load_scenario(scenario, list(overrides or []) + [f"simulation.seed={seed}"])
        orch = build_orchestrator(spec)
        orch.run()
        out = score_run(orch, seed)
        study.outcomes.append(out)
        if on_seed is not None:
            on_seed(out)
    return study
