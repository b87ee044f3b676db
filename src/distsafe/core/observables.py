"""Ground truth and noisy observable signals.

For each interaction the engine draws the hidden outcome v in {-1, +1} from what the initiator really
did (`effort` = P(v = +1)), then draws the observables from v alone plus the initiator's `signal_boost`
(how much it games engagement and apparent progress). The type of the agent is never an input: a new
agent type gets exactly the signals its actions earn.

    v                      = +1 with probability effort, else -1
    task_progress_delta    = clip(progress_mean[v] + boost * progress_boost + N(0, progress_noise), -1, 1)
    rework_count           ~ Poisson(rework_rate[v])
    verifier_rejections    ~ Poisson(rejection_rate[v])
    tool_misuse_flags      ~ Poisson(misuse_rate[v] + extra), extra: the initiator's tool misuse (0 unless
                             an attack misuses tools, `agents.attackers`)
    counterparty_engagement_delta
                   = clip(engagement_mean[v] + boost * engagement_boost + N(0, engagement_noise), -1, 1)
"""

from __future__ import annotations

import numpy as np
from pydantic import ConfigDict, Field

from distsafe.models.config_base import ConfigModel


class ObservableConfig(ConfigModel):
    """Signal model. Index 0 of each pair is for v = -1, index 1 for v = +1."""

    model_config = ConfigDict(extra="forbid")

    progress_mean: tuple[float, float] = (-0.6, 0.6)
    progress_noise: float = Field(default=0.3, ge=0)
    progress_boost: float = Field(default=0.5, ge=0)
    rework_rate: tuple[float, float] = (2.0, 0.3)
    rejection_rate: tuple[float, float] = (1.5, 0.1)
    misuse_rate: tuple[float, float] = (0.8, 0.02)
    engagement_mean: tuple[float, float] = (-0.5, 0.4)
    engagement_noise: float = Field(default=0.3, ge=0)
    engagement_boost: float = Field(default=0.8, ge=0)


class ObservableGenerator:
    def __init__(self, config: ObservableConfig | None = None):
        self.config = config or ObservableConfig()
        c = self.config
        self._progress_mean = np.array(c.progress_mean)
        self._engagement_mean = np.array(c.engagement_mean)
        self._rework = np.array(c.rework_rate)
        self._reject = np.array(c.rejection_rate)
        self._misuse = np.array(c.misuse_rate)

    def draw(
        self,
        effort: np.ndarray,
        boost: np.ndarray,
        rng: np.random.Generator,
        extra_misuse: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """Draw v and the observables for n interactions (arrays of length n). `extra_misuse` adds to the
        tool-misuse rate of each interaction (work that misuses tools whatever its outcome)."""
        c = self.config
        n = effort.shape[0]
        v = np.where(rng.random(n) < effort, 1, -1).astype(np.int8)
        k = (v > 0).astype(np.intp)
        progress = np.clip(
            self._progress_mean[k] + boost * c.progress_boost + rng.normal(0.0, c.progress_noise, n),
            -1.0,
            1.0,
        )
        engagement = np.clip(
            self._engagement_mean[k] + boost * c.engagement_boost + rng.normal(0.0, c.engagement_noise, n),
            -1.0,
            1.0,
        )
        return {
            "v": v,
            "task_progress_delta": progress,
            "rework_count": rng.poisson(self._rework[k]).astype(np.int16),
            "verifier_rejections": rng.poisson(self._reject[k]).astype(np.int16),
            "tool_misuse_flags": rng.poisson(
                self._misuse[k] if extra_misuse is None else self._misuse[k] + extra_misuse
            ).astype(np.int16),
            "counterparty_engagement_delta": engagement,
        }
