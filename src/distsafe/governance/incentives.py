"""`IncentiveView`: the levers in force, as the agents' decisions need them (typed, vectorized, read-only).

The engine builds one per step (`GovernanceEngine.incentive_view`) and hands it to the group policies;
policies read only this view, never a lever's internals. Scalars describe the rules (tax rate and split,
audit odds and penalty, slash, freeze rule, decay, caps); the per-agent arrays (the circuit breaker's
record of each agent, its stake margin) are indexed by agent row and are views, not copies: O(1) to build.
A lever that is off shows as its neutral value (rate 0, probability 0, no cap), so a decision rule reads
the same formula whatever is switched on, and a setting of a lever that is off cannot reach a decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

_EMPTY_F = np.zeros(0, dtype=np.float64)
_EMPTY_I = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, kw_only=True)
class IncentiveView:
    """What the levers do to an agent's next action, as seen from outside the levers."""

    # transaction tax: the initiator pays tax_rate * tax_split * |tau|, the counterparty the rest
    tax_rate: float = 0.0
    tax_split: float = 0.5
    # random audit (Becker): probability of an audit, the p below which it fails, the penalty
    # (threshold - p) * multiplier, plus `slash` (stake slashed per failed audit; 0 without staking)
    audit_probability: float = 0.0
    audit_threshold: float = 0.5
    audit_multiplier: float = 0.0
    slash: float = 0.0
    # per-target audit odds: interactions with a counterparty of reputation >= watch_min_reputation are
    # audited with `audit_probability_watched`, the others with `audit_probability_unwatched`; with
    # `targeted_audits` on, `audit_probability` is the odds for a target drawn uniformly from the population
    # (`for_population`), what a decision that does not pick its target by detection uses
    targeted_audits: bool = False
    audit_probability_unwatched: float = 0.0
    audit_probability_watched: float = 0.0
    watch_min_reputation: float = 0.0
    # staking: every agent posts a bond of min_stake; a failed audit slashes `slash` of it and suspends the
    # agent until the next epoch's top-up (0: no stake required)
    min_stake: float = 0.0
    # circuit breaker: EMA of 1 - p with weight alpha; a step with EMA >= threshold (once `min_seen`
    # interactions) is a violation; `violations_to_freeze` of them freeze for `freeze_epochs` epochs
    breaker_on: bool = False
    freeze_threshold: float = 1.0
    violations_to_freeze: int = 1
    freeze_epochs: int = 0
    breaker_alpha: float = 0.0
    breaker_min_seen: int = 0
    #: per agent row (empty when the breaker is off): EMA of toxicity, interactions seen, violations so far
    toxicity_ema: npt.NDArray[np.float64] = field(default_factory=lambda: _EMPTY_F)
    breaker_seen: npt.NDArray[np.int64] = field(default_factory=lambda: _EMPTY_I)
    violations: npt.NDArray[np.int64] = field(default_factory=lambda: _EMPTY_I)
    # reputation decay: reputation *= decay at each epoch start (1.0: no decay)
    reputation_decay: float = 1.0
    # bandwidth cap: at most this many actions per agent per epoch (0: no cap)
    bandwidth_cap: int = 0
    # Sybil detection (governance.identity_lever): per agent row, whether it is in a Sybil cluster this
    # epoch (empty when the lever is off); an accepted interaction between two flagged agents costs each
    # side `sybil_pair_rate` (0: no realtime charge); a flagged agent also loses `sybil_epoch_penalty`
    # resources at each epoch start while its pattern stays in a cluster
    sybil_flagged: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    sybil_pair_rate: float = 0.0
    sybil_epoch_penalty: float = 0.0
    # the run's clock, for the value of future activity
    steps_per_epoch: int = 1
    epochs_left: int = 1
    step: int = 0

    @property
    def steps_left_in_epoch(self) -> int:
        return max(1, self.steps_per_epoch - self.step)

    def target_audit_probability(self, reputation: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The audit odds of an interaction with a counterparty of this reputation (per element)."""
        if not self.targeted_audits:
            return np.full(np.shape(reputation), self.audit_probability)
        out: npt.NDArray[np.float64] = np.where(
            reputation >= self.watch_min_reputation,
            self.audit_probability_watched,
            self.audit_probability_unwatched,
        )
        return out

    def at_audit_probability(self, probability: float) -> IncentiveView:
        """This view with every target audited at `probability` (a decision about one class of targets)."""
        return replace(self, audit_probability=float(probability), targeted_audits=False)

    def for_population(self, reputation: npt.NDArray[np.float64]) -> IncentiveView:
        """With per-target audits: `audit_probability` set to the mean odds over these (candidate) targets,
        the odds of a target drawn uniformly. Without: this view. O(len(reputation))."""
        if not self.targeted_audits or reputation.shape[0] == 0:
            return self
        return replace(self, audit_probability=float(self.target_audit_probability(reputation).mean()))

    def projected_toxicity(self, rows: npt.NDArray[np.integer], tox: npt.NDArray[np.float64]) -> np.ndarray:
        """The breaker's EMA after one more interaction of toxicity `tox` (shape [len(rows), K])."""
        if not self.breaker_on:
            return np.zeros_like(tox)
        ema = self._pad(self.toxicity_ema, rows, 0.0)[:, None]
        seen = self._pad(self.breaker_seen, rows, 0)[:, None]
        a = self.breaker_alpha
        return np.where(seen > 0, (1.0 - a) * ema + a * tox, tox)

    def freeze_hazard(self, rows: npt.NDArray[np.integer], tox: npt.NDArray[np.float64]) -> np.ndarray:
        """Share of a freeze that one more interaction of toxicity `tox` brings about: 1 / (violations
        still needed) if it would be a violation, else 0. Shape [len(rows), K]; all 0 with the breaker off."""
        if not self.breaker_on:
            return np.zeros_like(tox)
        over = self.projected_toxicity(rows, tox) >= self.freeze_threshold
        seen = self._pad(self.breaker_seen, rows, 0)[:, None]
        over &= seen + 1 >= self.breaker_min_seen
        left = np.maximum(self.violations_to_freeze - self._pad(self.violations, rows, 0), 1)[:, None]
        return np.where(over, 1.0 / left, 0.0)

    def sybil_pair_cost(self, rows: npt.NDArray[np.integer], partners: npt.NDArray[np.integer]) -> np.ndarray:
        """What each side of an accepted interaction rows[i] -> partners[i] pays the Sybil lever's realtime
        charge (0 unless both are flagged)."""
        if self.sybil_pair_rate <= 0 or self.sybil_flagged.shape[0] == 0:
            return np.zeros(np.shape(rows))
        both = self._pad(self.sybil_flagged, rows, False) & self._pad(self.sybil_flagged, partners, False)
        return np.where(both, self.sybil_pair_rate, 0.0)

    @staticmethod
    def _pad(col: np.ndarray, rows: npt.NDArray[np.integer], fill: float) -> np.ndarray:
        """col[rows], with `fill` for rows the column does not cover yet (agents it has not seen)."""
        if col.shape[0] == 0:
            return np.full(rows.shape[0], fill)
        inside = rows < col.shape[0]
        if inside.all():
            picked: np.ndarray = col[rows]
            return picked
        return np.where(inside, col[np.minimum(rows, col.shape[0] - 1)], fill)


#: every lever off
NO_LEVERS = IncentiveView()
