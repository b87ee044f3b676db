"""Change a running governance engine's settings in place (the reference's parameter shocks,
`core.parts.perturbations`): the levers keep what they have counted and learned, and take the new settings.

A lever reads its settings when it is built (`RegisteredLever.build(config)`). A lever's *settings* are the
attributes in which a lever freshly built from the old config differs from one freshly built from the new
config; `reconfigure` copies exactly those onto the running lever, and leaves every other attribute (its
counters, records, state per agent) as the run made it. A lever the new settings switch on is built fresh
(in the registry's place); one they switch off is dropped. Levers added by hand (`extra_levers`) are kept.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from distsafe.governance.config import GovernanceConfig
from distsafe.governance.engine import GovernanceEngine
from distsafe.governance.levers import GovernanceLever
from distsafe.governance.registry import LEVERS


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and bool(np.array_equal(a, b))
        )
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b


def settings_changed(old: GovernanceLever, new: GovernanceLever) -> dict[str, Any]:
    """The attributes of lever `new` (built from the new config) that differ from `old` (built from the
    old config): the lever's settings that the change moves."""
    before, after = vars(old), vars(new)
    return {k: v for k, v in after.items() if k not in before or not _same(before[k], v)}


def shocked(config: GovernanceConfig, params: dict[str, Any]) -> GovernanceConfig:
    """`config` with `params` (GovernanceConfig field names) set, each value validated as the field's."""
    unknown = sorted(set(params) - set(GovernanceConfig.model_fields))
    if unknown:
        raise ValueError(f"not governance settings: {', '.join(unknown)}")
    update = {k: getattr(GovernanceConfig.model_validate({k: v}), k) for k, v in params.items()}
    return config.model_copy(update=update)


def reconfigure(engine: GovernanceEngine, config: GovernanceConfig) -> None:
    """Give `engine` and its levers the settings of `config` (module docstring)."""
    old = engine.config
    running = {lv.name: lv for lv in engine.levers}
    registered = {e.name for e in LEVERS}
    levers: list[GovernanceLever] = []
    for entry in LEVERS:
        if not entry.enabled(config):
            continue
        lever = running.get(entry.name)
        if lever is None or not entry.enabled(old):
            levers.append(entry.build(config))
            continue
        for k, v in settings_changed(entry.build(old), entry.build(config)).items():
            setattr(lever, k, v)
        levers.append(lever)
    levers.extend(lv for lv in engine.levers if lv.name not in registered)
    engine.config = config
    engine.levers = levers
