"""Print the held-out calibration figures of docs/metrics.md ("Calibration"): ECE, soft toxicity and
realized harm at the shipped proxy defaults, on the population of tests/metrics/test_calibration_defaults.py
(20 honest + 20 opportunistic agents, 20 epochs x 15 steps, seeds 100-103), without signal gaming and with
the opportunistic agents gaming at 1.0 (their gaming is their choice over `boost_levels`; a single level
fixes it: (0.0,) is a population that does not game, (1.0,) one that games at full strength).

    python scripts/calibration_check.py
"""

from __future__ import annotations

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.metrics.soft_metrics import SoftMetrics
from distsafe.models.columns import InteractionBatch


def interactions(boost: float, seeds: tuple[int, ...] = (100, 101, 102, 103)) -> InteractionBatch:
    parts: list[InteractionBatch] = []
    for seed in seeds:
        o = Orchestrator(OrchestratorConfig(n_epochs=20, steps_per_epoch=15, seed=seed))
        o.add_population("honest", 20)
        o.add_population("opportunistic", 20, params={"boost_levels": (boost,)})
        o.interaction_sink = parts.append
        o.run()
    return InteractionBatch.concat(parts)


def main() -> None:
    sm = SoftMetrics()
    for boost in (0.0, 1.0):
        b = interactions(boost)
        print(
            f"opportunistic boost_levels ({boost},): {len(b)} interactions, ECE {sm.ece(b):.4f}, "
            f"toxicity {sm.toxicity_rate(b):.4f}, realized harm {sm.realized_harm(b):.4f}"
        )


if __name__ == "__main__":
    main()
