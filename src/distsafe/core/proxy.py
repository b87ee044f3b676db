"""Proxy: observable signals -> v_hat in [-1, 1] -> p via the calibrated sigmoid.

v_hat = w_progress * clip(task_progress_delta)
      + w_rework   * (2 * rework_decay^rework_count - 1)
      + w_verifier * ((2 * rejection_decay^rejections - 1) + (2 * misuse_decay^misuse_flags - 1)) / 2
      + w_engage   * clip(counterparty_engagement_delta)
with weights 0.4 / 0.2 / 0.2 / 0.2 (normalized to sum to 1), then p = 1 / (1 + exp(-(k * v_hat + b))).

The seeds' sigmoid has b = 0 and k = 2; at those values p is not a probability (it stays in [0.12, 0.88]
while the signals separate the outcomes almost perfectly). The defaults here are a fitted calibration
(`FITTED_K`, `FITTED_BIAS`, Platt scaling on honest signals, `distsafe calibrate`); giving `sigmoid_k`
without `sigmoid_bias` (`ProxyComputer(sigmoid_k=2)`, a YAML `proxy: {sigmoid_k: 2}`) is the seeds' form
with b = 0. See docs/metrics.md, "Calibration".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import ConfigDict, Field, model_validator

from distsafe.core.sigmoid import calibrated_sigmoid
from distsafe.models.config_base import ConfigModel

if TYPE_CHECKING:
    from distsafe.models.columns import InteractionBatch

#: p = sigmoid_k(v_hat) for a float or an array (typed here: the sigmoid module takes either)
_sigmoid: Callable[[Any, float, float], Any] = calibrated_sigmoid


class ProxyWeights(ConfigModel):
    model_config = ConfigDict(extra="forbid")

    task_progress: float = Field(default=0.4, ge=0)
    rework_penalty: float = Field(default=0.2, ge=0)
    verifier_penalty: float = Field(default=0.2, ge=0)
    engagement_signal: float = Field(default=0.2, ge=0)

    def normalize(self) -> ProxyWeights:
        total = self.task_progress + self.rework_penalty + self.verifier_penalty + self.engagement_signal
        if total == 0:
            return ProxyWeights(
                task_progress=0.25, rework_penalty=0.25, verifier_penalty=0.25, engagement_signal=0.25
            )
        return ProxyWeights(
            task_progress=self.task_progress / total,
            rework_penalty=self.rework_penalty / total,
            verifier_penalty=self.verifier_penalty / total,
            engagement_signal=self.engagement_signal / total,
        )


class ProxyObservables(ConfigModel):
    """Raw observable signals of one interaction."""

    task_progress_delta: float = 0.0
    rework_count: int = Field(default=0, ge=0)
    verifier_rejections: int = Field(default=0, ge=0)
    tool_misuse_flags: int = Field(default=0, ge=0)
    counterparty_engagement_delta: float = 0.0

    @classmethod
    def from_interaction(cls, interaction: Any) -> ProxyObservables:
        """From anything with the five observable attributes (a `SoftInteraction`, an `Observables`)."""
        return cls(
            task_progress_delta=interaction.task_progress_delta,
            rework_count=interaction.rework_count,
            verifier_rejections=interaction.verifier_rejections,
            tool_misuse_flags=interaction.tool_misuse_flags,
            counterparty_engagement_delta=interaction.counterparty_engagement_delta,
        )


#: The shipped calibration: (k, b) fitted by `distsafe calibrate baseline --seeds 10` (the seeds' population
#: with its signal gaming switched off, default signal model; see docs/metrics.md, "Calibration"), run
#: with the agents that respond to the levers, starting from the previous fit (22.5002, -2.4873).
FITTED_K = 24.0862
FITTED_BIAS = -1.599


class ProxyConfig(ConfigModel):
    """Weights, decays and the sigmoid p = 1 / (1 + exp(-(sigmoid_k * v_hat + sigmoid_bias))).

    Defaults: the fitted calibration (`FITTED_K`, `FITTED_BIAS`). `sigmoid_k` given without `sigmoid_bias`
    means the seeds' sigmoid, bias 0.
    """

    model_config = ConfigDict(extra="forbid")

    weights: ProxyWeights = Field(default_factory=ProxyWeights)
    sigmoid_k: float = Field(default=FITTED_K, gt=0, le=100)
    sigmoid_bias: float = Field(default=FITTED_BIAS, ge=-50, le=50)
    rework_decay: float = Field(default=0.3, gt=0, lt=1)
    rejection_decay: float = Field(default=0.4, gt=0, lt=1)
    misuse_decay: float = Field(default=0.5, gt=0, lt=1)

    @model_validator(mode="before")
    @classmethod
    def _seed_sigmoid(cls, data: Any) -> Any:
        """`sigmoid_k` alone is the seeds' sigmoid p = 1 / (1 + exp(-k * v_hat)): its bias is 0, not the
        fitted default's."""
        if isinstance(data, dict) and "sigmoid_k" in data and "sigmoid_bias" not in data:
            return {**data, "sigmoid_bias": 0.0}
        return data


class ProxyComputer:
    """Turns observables into (v_hat, p). `compute_labels` for one, `compute_arrays` for columns.

    `ProxyComputer(config)` takes a `ProxyConfig`; the seeds' keywords (`ProxyComputer(sigmoid_k=2)`,
    `weights=...`) set single fields, over `config` when both are given (`sigmoid_k` without
    `sigmoid_bias` sets the bias to 0: the seeds' sigmoid). The weights are used normalized.
    """

    def __init__(
        self,
        config: ProxyConfig | None = None,
        *,
        weights: ProxyWeights | None = None,
        sigmoid_k: float | None = None,
        sigmoid_bias: float | None = None,
        rework_decay: float | None = None,
        rejection_decay: float | None = None,
        misuse_decay: float | None = None,
    ) -> None:
        given = {
            "weights": weights,
            "sigmoid_k": sigmoid_k,
            "sigmoid_bias": sigmoid_bias,
            "rework_decay": rework_decay,
            "rejection_decay": rejection_decay,
            "misuse_decay": misuse_decay,
        }
        fields = {k: v for k, v in given.items() if v is not None}
        cfg = config or ProxyConfig()
        if fields:  # validated again, so a bad keyword is an error as in ProxyConfig
            base = dict(cfg)
            if "sigmoid_k" in fields and "sigmoid_bias" not in fields:
                base.pop("sigmoid_bias")  # the seeds' sigmoid (see ProxyConfig)
            cfg = ProxyConfig(**{**base, **fields})
        self.config = cfg
        self.weights = cfg.weights.normalize()
        self.sigmoid_k = cfg.sigmoid_k
        self.sigmoid_bias = cfg.sigmoid_bias
        self.rework_decay = cfg.rework_decay
        self.rejection_decay = cfg.rejection_decay
        self.misuse_decay = cfg.misuse_decay

    @classmethod
    def from_config(cls, cfg: ProxyConfig) -> ProxyComputer:
        """The same as `ProxyComputer(cfg)`."""
        return cls(cfg)

    def compute_v_hat_arrays(
        self,
        progress: ArrayLike,
        rework: ArrayLike,
        rejections: ArrayLike,
        misuse: ArrayLike,
        engagement: ArrayLike,
    ) -> NDArray[np.float64]:
        w = self.weights
        prog = np.clip(np.asarray(progress, dtype=np.float64), -1.0, 1.0)
        eng = np.clip(np.asarray(engagement, dtype=np.float64), -1.0, 1.0)
        rework_sig = 2.0 * np.power(self.rework_decay, np.asarray(rework, dtype=np.float64)) - 1.0
        reject_sig = 2.0 * np.power(self.rejection_decay, np.asarray(rejections, dtype=np.float64)) - 1.0
        misuse_sig = 2.0 * np.power(self.misuse_decay, np.asarray(misuse, dtype=np.float64)) - 1.0
        v_hat = (
            w.task_progress * prog
            + w.rework_penalty * rework_sig
            + w.verifier_penalty * 0.5 * (reject_sig + misuse_sig)
            + w.engagement_signal * eng
        )
        clipped: NDArray[np.float64] = np.clip(v_hat, -1.0, 1.0)
        return clipped

    def compute_arrays(
        self,
        progress: ArrayLike,
        rework: ArrayLike,
        rejections: ArrayLike,
        misuse: ArrayLike,
        engagement: ArrayLike,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        v_hat = self.compute_v_hat_arrays(progress, rework, rejections, misuse, engagement)
        p: NDArray[np.float64] = _sigmoid(v_hat, self.sigmoid_k, self.sigmoid_bias)
        return v_hat, p

    def compute_v_hat(self, obs: ProxyObservables) -> float:
        return float(
            self.compute_v_hat_arrays(
                [obs.task_progress_delta],
                [obs.rework_count],
                [obs.verifier_rejections],
                [obs.tool_misuse_flags],
                [obs.counterparty_engagement_delta],
            )[0]
        )

    def compute_p(self, v_hat: float) -> float:
        return float(_sigmoid(float(v_hat), self.sigmoid_k, self.sigmoid_bias))

    def p_bounds(self) -> tuple[float, float]:
        """The lowest and highest p this proxy can give (v_hat = -1 and +1)."""
        return self.compute_p(-1.0), self.compute_p(1.0)

    def compute_labels(self, obs: ProxyObservables) -> tuple[float, float]:
        v_hat = self.compute_v_hat(obs)
        return v_hat, self.compute_p(v_hat)

    def apply_to_batch(self, batch: InteractionBatch) -> None:
        """Fill `v_hat` and `p` of an `InteractionBatch` in place from its observable columns."""
        batch.v_hat, batch.p = self.compute_arrays(
            batch.task_progress_delta,
            batch.rework_count,
            batch.verifier_rejections,
            batch.tool_misuse_flags,
            batch.counterparty_engagement_delta,
        )
