"""The agents' economics: what an action is expected to pay, with the levers in force.

`MarketModel` is what every agent may know about the world's rules: the payoff equations (A3b, with the
cost of effort and of signal gaming), the reputation rates, and how the proxy scores work of a given effort
and gaming (`SignalTable`, a fixed numerical integration of the observable model and the proxy, the same for
every run). `IncentiveView` (governance.incentives) is what the levers in force do. From the two, for an
action variant (effort e, gaming b) and an expected transfer, an initiator's expected payoff is

    q        = E[p | e, b] = e * P+(b) + (1 - e) * P-(b)
    own      = theta * S(q) - rho_a * E(q) + w_rep * r_init * (2q - 1) + transfer
               - tax_rate * tax_split * |tau| - (effort_cost * e^2 + gaming_cost * b^2)
    audit    = audit_probability * (audit_multiplier * E[(thr - p)+ | e, b] + slash * P(p < thr | e, b))
    future   = reputation_weight * persistence * r_init * (2q - 1),  persistence = mean_{t<=H} decay^t
    U        = own - audit + future - freeze - lockout

`audit` is Becker's expected penalty (probability of detection x penalty); `freeze` the share of a freeze
(duration x the value of a step of activity) that one more interaction at toxicity 1 - q brings about,
given the agent's own breaker record; `lockout` (staking with audits) the chance of a failed audit times
the activity a slashed bond costs: the rest of the epoch (until the next top-up), or the rest of the run
when the free resources cannot pay the top-up. A counterparty's
estimate of an initiator's quality is q_hat = clip(prior + 0.5 * tanh(reputation / rep_scale)), the prior
being last epoch's mean p of accepted work (the market's average quality: Akerlof's lemons).
Every function is vectorized over agents (rows) and variants (columns).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from distsafe.core.observables import ObservableGenerator
from distsafe.core.payoff import PayoffConfig
from distsafe.core.proxy import ProxyComputer
from distsafe.governance.incentives import IncentiveView
from distsafe.models.interaction import InteractionType

F64 = npt.NDArray[np.float64]

#: boost grid of the signal table; values between are interpolated linearly
BOOST_GRID = np.linspace(0.0, 1.0, 11)
#: draws per (outcome, boost) cell of the signal table
TABLE_DRAWS = 4096
#: fixed seed of the table's numerical integration (a property of the model, not a draw of the run)
TABLE_SEED = 20240610


class SignalTable:
    """p's distribution for work of outcome v (-1 / +1) gamed by b, from the observable model and the
    proxy, by common random numbers over the boost grid (so it is smooth in b)."""

    def __init__(self, observables: ObservableGenerator, proxy: ProxyComputer) -> None:
        p = np.empty((2, BOOST_GRID.size, TABLE_DRAWS))
        for vi, effort in enumerate((0.0, 1.0)):
            for bi, b in enumerate(BOOST_GRID.tolist()):
                rng = np.random.default_rng(TABLE_SEED)
                obs = observables.draw(np.full(TABLE_DRAWS, effort), np.full(TABLE_DRAWS, b), rng)
                _, p[vi, bi] = proxy.compute_arrays(
                    obs["task_progress_delta"], obs["rework_count"], obs["verifier_rejections"],
                    obs["tool_misuse_flags"], obs["counterparty_engagement_delta"],
                )  # fmt: skip
        self.samples = p
        self.mean = p.mean(axis=2)  # [2, B]
        self._audit: dict[float, tuple[F64, F64]] = {}

    def _interp(self, table: F64, effort: F64, boost: F64) -> F64:
        lo = np.interp(boost, BOOST_GRID, table[0])
        hi = np.interp(boost, BOOST_GRID, table[1])
        out: F64 = effort * hi + (1.0 - effort) * lo
        return out

    def quality(self, effort: F64, boost: F64) -> F64:
        """E[p | e, b]."""
        return self._interp(self.mean, effort, boost)

    def audit_terms(self, effort: F64, boost: F64, threshold: float) -> tuple[F64, F64]:
        """(P(p < threshold), E[(threshold - p)+]) for work of effort e gamed by b."""
        key = float(threshold)
        if key not in self._audit:
            self._audit[key] = (
                (self.samples < key).mean(axis=2),
                np.maximum(key - self.samples, 0.0).mean(axis=2),
            )
        fail, gap = self._audit[key]
        return self._interp(fail, effort, boost), self._interp(gap, effort, boost)


@dataclass(kw_only=True, eq=False)
class MarketModel:
    """The rules every agent knows. `prior_quality` is public market information the engine updates at
    each epoch end (mean p of the epoch's accepted interactions); 0.5 before any."""

    payoff: PayoffConfig = field(default_factory=PayoffConfig)
    rate_initiator: float = 0.1
    rate_counterparty: float = 0.05
    signals: SignalTable | None = None
    prior_quality: float = 0.5
    max_interactions_per_epoch: int = -1  # -1: no limit

    def table(self) -> SignalTable:
        if self.signals is None:
            self.signals = _default_table()
        return self.signals

    # ---- the A3b terms ---------------------------------------------------------------------------------
    def surplus(self, q: F64) -> F64:
        c = self.payoff
        out: F64 = q * c.s_plus - (1.0 - q) * c.s_minus
        return out

    def harm(self, q: F64) -> F64:
        out: F64 = (1.0 - q) * self.payoff.h
        return out

    def action_cost(self, effort: F64, boost: F64) -> F64:
        c = self.payoff
        out: F64 = c.effort_cost * np.square(effort) + c.gaming_cost * np.square(boost)
        return out


_TABLE_CACHE: list[SignalTable] = []


def _default_table() -> SignalTable:
    if not _TABLE_CACHE:
        _TABLE_CACHE.append(SignalTable(ObservableGenerator(), ProxyComputer()))
    return _TABLE_CACHE[0]


def persistence(inc: IncentiveView, horizon: int) -> float:
    """Mean over the next `horizon` epochs of how much of a reputation change is left (decay^t)."""
    d = inc.reputation_decay
    h = max(1, horizon)
    return float(np.mean(d ** np.arange(1, h + 1))) if d < 1.0 else 1.0


@dataclass
class Valuation:
    """An initiator's expected payoff of K variants, and its parts (each shape [K])."""

    quality: F64
    own: F64
    audit: F64
    future: F64
    fail: F64  # P(a failed audit | audited)

    @property
    def value(self) -> F64:
        out: F64 = self.own - self.audit + self.future
        return out


def initiator_value(
    m: MarketModel,
    inc: IncentiveView,
    effort: F64,
    boost: F64,
    transfer: F64,
    gross_tau: F64,
    reputation_weight: float,
    horizon: int,
) -> Valuation:
    """Expected payoff to an initiator of each variant (effort[k], boost[k]) with expected transfer
    `transfer[k]` received (negative: paid) on |tau| = `gross_tau[k]`."""
    c = m.payoff
    t = m.table()
    q = t.quality(effort, boost)
    rep = m.rate_initiator * (2.0 * q - 1.0)
    own = (
        c.theta * m.surplus(q) - c.rho_a * m.harm(q) + c.w_rep * rep + transfer
        - inc.tax_rate * inc.tax_split * gross_tau - m.action_cost(effort, boost)
    )  # fmt: skip
    fail, gap = t.audit_terms(effort, boost, inc.audit_threshold)
    audit = inc.audit_probability * (inc.audit_multiplier * gap + inc.slash * fail)
    future = reputation_weight * persistence(inc, horizon) * rep
    return Valuation(quality=q, own=own, audit=audit, future=future, fail=fail)


def partner_value(m: MarketModel, inc: IncentiveView, q: F64, tau: F64) -> F64:
    """Expected payoff to the counterparty of work of quality q with transfer tau (received)."""
    c = m.payoff
    out: F64 = (
        (1.0 - c.theta) * m.surplus(q) - c.rho_b * m.harm(q) + c.w_rep * m.rate_counterparty * (2.0 * q - 1.0)
        + tau - inc.tax_rate * (1.0 - inc.tax_split) * np.abs(tau)
    )  # fmt: skip
    return out


def risk_costs(
    inc: IncentiveView,
    rows: npt.NDArray[np.integer],
    resources: F64,
    val: Valuation,
    step_value: float,
) -> F64:
    """Per agent and variant ([len(rows), K]): the freeze and stake-suspension terms, in units of
    `step_value` (what a step of activity is worth to the agent); `resources` are the free resources."""
    tox = np.broadcast_to(1.0 - val.quality, (rows.shape[0], val.quality.shape[0]))
    out: F64 = inc.freeze_hazard(rows, tox) * (inc.freeze_epochs * inc.steps_per_epoch * step_value)
    if inc.min_stake > 0 and inc.audit_probability > 0 and inc.slash > 0:
        # a failed audit slashes the bond: suspended for the rest of the epoch (the next epoch's top-up
        # restores the bond), or for the rest of the run when the free resources cannot pay the top-up
        steps = np.where(
            resources < inc.slash, inc.epochs_left * inc.steps_per_epoch, inc.steps_left_in_epoch
        ).astype(np.float64)
        out = out + inc.audit_probability * val.fail[None, :] * (steps * step_value)[:, None]
    return out


def logit_choice(utility: F64, temperature: float, u: F64) -> npt.NDArray[np.int64]:
    """Noisy best response (logit / quantal response): variant k with probability
    exp(U_k / T) / sum_j exp(U_j / T), by inverse CDF of the uniforms `u`; T = 0 is the exact best
    response (argmax, first on ties)."""
    if temperature <= 0:
        best: npt.NDArray[np.int64] = np.argmax(utility, axis=1)
        return best
    z = (utility - utility.max(axis=1, keepdims=True)) / temperature
    w = np.exp(z)
    cdf = np.cumsum(w, axis=1)
    pick: npt.NDArray[np.int64] = np.minimum(
        (cdf < (u * cdf[:, -1])[:, None]).sum(axis=1), utility.shape[1] - 1
    )
    return pick


def quality_estimate(m: MarketModel, reputation: F64, rep_scale: float) -> F64:
    """A counterparty's estimate of an initiator's quality from its public reputation."""
    out: F64 = np.clip(m.prior_quality + 0.5 * np.tanh(reputation / rep_scale), 0.01, 0.99)
    return out


_COLLABORATION, _TRADE = InteractionType.COLLABORATION.code, InteractionType.TRADE.code


def trust_threshold_accepts(
    trust: np.ndarray, itype: np.ndarray, threshold: float, trust_weight: float
) -> np.ndarray:
    """The reference implementation's acceptance rule (swarm/agents/honest.py `accept_interaction`): accept
    when trust_weight * trust + (1 - trust_weight) * 0.5 >= threshold, the threshold lowered by 0.1 for a
    collaboration and raised by 0.1 for a trade. There `trust` is the agent's own running average of the p
    of its past interactions with that initiator; here it is the estimate of the initiator's quality from
    its public reputation (`agents.incentives.quality_estimate`), which is built from the same p's."""
    bar = threshold + np.where(itype == _COLLABORATION, -0.1, np.where(itype == _TRADE, 0.1, 0.0))
    score = trust_weight * trust + (1.0 - trust_weight) * 0.5
    out: np.ndarray = score >= bar - 1e-12
    return out
