"""End-to-end demo (seed 000/001 "Quick Start: Running a Simulation"), plus the safety metrics of the run.

python examples/mvp_demo.py [--epochs 10] [--seed 42] [--log runs/mvp_demo.jsonl]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from distsafe.agents.adversarial import AdversarialAgent
from distsafe.agents.deceptive import DeceptiveAgent
from distsafe.agents.honest import HonestAgent
from distsafe.agents.opportunistic import OpportunisticAgent
from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.metrics.reporters import MetricsReporter


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--log", type=Path, default=None, help="write the hash-chained event log here")
    args = ap.parse_args()

    config = OrchestratorConfig(
        n_epochs=args.epochs,
        steps_per_epoch=10,
        seed=args.seed,
        log_path=args.log,
        log_events=args.log is not None,
    )
    orchestrator = Orchestrator(config=config)
    orchestrator.register_agent(HonestAgent(agent_id="honest_1"))
    orchestrator.register_agent(HonestAgent(agent_id="honest_2"))
    orchestrator.register_agent(OpportunisticAgent(agent_id="opp_1"))
    orchestrator.register_agent(DeceptiveAgent(agent_id="dec_1"))
    orchestrator.register_agent(AdversarialAgent(agent_id="adv_1"))

    batches = []
    orchestrator.interaction_sink = batches.append  # keep the interactions for the report below
    metrics = orchestrator.run()
    for m in metrics:
        print(
            f"Epoch {m.epoch}: toxicity={m.toxicity_rate:.3f}, welfare={m.total_welfare:.2f}, "
            f"deceptive toxicity={m.toxicity_deceptive:.3f}"
        )

    from distsafe.models.columns import InteractionBatch

    print()
    print(
        MetricsReporter(payoff_engine=orchestrator.payoff_engine).format_report(
            InteractionBatch.concat(batches), verbose=True
        )
    )
    for state in orchestrator.get_all_agent_states():
        print(
            f"{state.agent_id:>9}  {state.agent_type.value:<13} reputation={state.reputation:+.2f}  "
            f"payoff={state.total_payoff:+.2f}"
        )
    if args.log:
        print(f"\nevent log: {args.log} (verify with: distsafe replay {args.log} --verify)")


if __name__ == "__main__":
    main()
