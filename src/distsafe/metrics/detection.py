"""Detection against ground truth: which agents governance named (a `DETECTION_EVENTS` event: frozen,
audited and caught, flagged, penalized or quarantined by the security lever) against which agents are bad
actors by type (`BAD_ACTOR_TYPES`). Agent level: an agent counts once, however often it was named.

    detection_rate                 named bad actors / bad actors (recall)
    detection_precision            named bad actors / named agents
    honest_false_positive_rate     named honest agents / honest agents
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from distsafe.models.agent import BAD_ACTOR_TYPES, AgentType
from distsafe.models.agent_table import AgentTable

_BAD = np.array(sorted(t.code for t in BAD_ACTOR_TYPES))


def safe_div(num: float, den: float) -> float:
    return num / den if den > 0 else float("nan")


def bad_actor_mask(agents: AgentTable) -> npt.NDArray[np.bool_]:
    out: npt.NDArray[np.bool_] = np.isin(agents.type_code, _BAD)
    return out


def detection_summary(agents: AgentTable, named: npt.NDArray[np.bool_] | None) -> dict[str, float]:
    """The three rates above; nan where the denominator is 0. `named`: per agent row, named at least once."""
    n = len(agents)
    hit = np.zeros(n, dtype=bool)
    if named is not None:
        hit[: min(n, named.shape[0])] = named[:n]
    bad = bad_actor_mask(agents)
    honest = agents.type_code == AgentType.HONEST.code
    return {
        "detection_rate": safe_div(float(np.count_nonzero(hit & bad)), float(np.count_nonzero(bad))),
        "detection_precision": safe_div(float(np.count_nonzero(hit & bad)), float(np.count_nonzero(hit))),
        "honest_false_positive_rate": safe_div(
            float(np.count_nonzero(hit & honest)), float(np.count_nonzero(honest))
        ),
    }
