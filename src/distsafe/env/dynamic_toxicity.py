"""Dynamic toxicity: feedback from an epoch's toxicity to the next epochs (the reference implementation's
`dynamic_toxicity:` section, swarm/core/dynamic_toxicity.py; the same three mechanisms and parameters).

1. **Proxy calibration drift** (`proxy_drift`: alpha, k_floor). Each epoch end, the epoch's toxicity is
   added to a running sum C and the proxy's sigmoid is flattened: k = k0 * max(k_floor / k0, 1 - alpha C).
   distsafe's sigmoid has a bias (p = sigmoid(k v_hat + b)); it is scaled by the same factor, so p
   flattens toward 0.5 around the same centre (the reference's has no bias: the same rule there).
2. **Trust erosion** (`trust_erosion`: beta, exit_threshold, window, min_honest). Each epoch end, the mean
   toxicity of the last `window` epochs; above `exit_threshold`, each honest agent still active leaves
   (frozen for the rest of the run) with probability min(1, beta * excess), in row order, while more than
   `min_honest` of them remain.
3. **Quality contagion** (`quality_contagion`: gamma, neutral). Each epoch end, each agent's bias moves by
   gamma * (mean p of its accepted interactions this epoch - neutral), clamped to [-0.5, 0.5]. There the
   bias shifts the agent's private trust in the counterparties it knows; here agents estimate a
   counterparty's quality from its public reputation, and the bias shifts that estimate when the agent
   decides whether to accept (agents/policies.py `ScriptedPolicy.trust_bias`).

An epoch without accepted interactions changes nothing (there, toxicity is then 0 and skipped as here).
This module is the model (config and the three rules as pure numpy functions); `core.parts.
dynamic_toxicity` drives it in the engine, with its own random stream.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import ConfigDict, Field

from distsafe.models.config_base import ConfigModel

Mechanism = Literal["proxy_drift", "trust_erosion", "quality_contagion"]


class ProxyDriftConfig(ConfigModel):
    model_config = ConfigDict(extra="forbid")

    alpha: float = Field(default=0.5, ge=0, description="sigmoid sharpness lost per unit of summed toxicity")
    k_floor: float = Field(default=0.5, gt=0, description="the sharpness never drops below this")


class TrustErosionConfig(ConfigModel):
    model_config = ConfigDict(extra="forbid")

    beta: float = Field(default=0.3, ge=0, description="exit probability per unit of excess toxicity")
    exit_threshold: float = Field(
        default=0.35, ge=0, le=1, description="rolling toxicity above which exits begin"
    )
    window: int = Field(default=3, ge=1, description="epochs in the rolling mean")
    min_honest: int = Field(default=1, ge=0, description="honest agents that never leave")


class QualityContagionConfig(ConfigModel):
    model_config = ConfigDict(extra="forbid")

    gamma: float = Field(default=0.1, ge=0, description="pull of counterparts' quality on an agent's bias")
    neutral: float = Field(default=0.5, ge=0, le=1, description="the quality that moves nothing")


class DynamicToxicityConfig(ConfigModel):
    """A scenario's `dynamic_toxicity:` block (the reference's names); `enabled` lists the mechanisms on."""

    model_config = ConfigDict(extra="forbid")

    enabled: list[Mechanism] = Field(default_factory=list)
    proxy_drift: ProxyDriftConfig = Field(default_factory=ProxyDriftConfig)
    trust_erosion: TrustErosionConfig = Field(default_factory=TrustErosionConfig)
    quality_contagion: QualityContagionConfig = Field(default_factory=QualityContagionConfig)


def drift_factor(k0: float, cumulative_toxicity: float, alpha: float, k_floor: float) -> float:
    """k / k0 after drift: max(k_floor / k0, 1 - alpha * cumulative_toxicity)."""
    return max(k_floor / k0, 1.0 - alpha * cumulative_toxicity)


def exit_probability(recent_toxicity: list[float], threshold: float, beta: float) -> float:
    """min(1, beta * (mean(recent) - threshold)) when the mean is above the threshold, else 0."""
    if not recent_toxicity:
        return 0.0
    rolling = float(np.mean(recent_toxicity))
    return min(1.0, beta * (rolling - threshold)) if rolling > threshold else 0.0


def choose_exits(candidates: np.ndarray, prob: float, min_keep: int, rng: np.random.Generator) -> np.ndarray:
    """Rows of `candidates` (in order) that leave: each with probability `prob`, at most
    len(candidates) - min_keep of them (the first ones drawn, in row order)."""
    room = max(0, candidates.size - min_keep)
    if room == 0 or prob <= 0:
        return candidates[:0]
    hit = rng.random(candidates.size) < prob
    out: np.ndarray = candidates[hit][:room]
    return out


def contagion_update(
    bias: np.ndarray, parties: np.ndarray, p: np.ndarray, gamma: float, neutral: float
) -> np.ndarray:
    """Each agent's new bias: bias + gamma * (mean p over its accepted interactions - neutral), clamped to
    [-0.5, 0.5]; `parties` holds, for each accepted interaction, both sides' rows ([2, m]) and `p` its p.
    Agents without an interaction keep their bias (a new array)."""
    n = bias.shape[0]
    rows = parties.reshape(-1)
    pp = np.concatenate([p, p])
    total = np.bincount(rows, weights=pp, minlength=n)
    count = np.bincount(rows, minlength=n)
    out = bias.astype(np.float64, copy=True)
    has = count > 0
    out[has] = np.clip(out[has] + gamma * (total[has] / count[has] - neutral), -0.5, 0.5)
    return out
