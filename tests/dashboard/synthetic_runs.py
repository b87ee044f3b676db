"""Synthetic run and sweep folders for the dashboard tests: a run whose epoch metrics carry network_,
collusion_ and threat_ keys (what other parts of distsafe may add), written through the event log writer,
and a sweep folder in the sweep contract's format (runs/<run_id>.parquet, failed/*.json, sweep.yaml)."""

from __future__ import annotations

import json
from pathlib import Path

from distsafe.eventlog import open_event_log
from distsafe.models.events import Event, EventType

AGENTS = ("honest_1", "honest_2", "adversarial_1")
POPULATION = [
    {"type": "honest", "prefix": "honest", "count": 2, "kind": "population"},
    {"type": "adversarial", "prefix": "adversarial", "count": 1, "kind": "population"},
]


def epoch_metrics(epoch: int) -> dict[str, float]:
    return {
        "epoch": epoch,
        "toxicity_rate": 0.1 + 0.05 * epoch,
        "quality_gap": 0.3,
        "total_welfare": 10.0 + epoch,
        "n_interactions": 3.0,
        "network_clustering": 0.2 + 0.1 * epoch,
        "network_edges": 3.0 + epoch,
        "collusion_risk": 0.05 * (epoch + 1),
        "threat_level": 0.3 + 0.1 * epoch,
    }


def write_run(folder: Path, n_epochs: int = 3, finished: bool = True) -> Path:
    """A run folder: events.jsonl (3 interactions an epoch, one freeze) and, when finished, a manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    header = {"scenario": "synthetic", "seed": 7, "n_agents": 3, "n_epochs": n_epochs, "steps_per_epoch": 2,
              "population": POPULATION, "config": {"initial_reputation": 1.0}}  # fmt: skip
    log = open_event_log(folder / "events.jsonl", "w", header=header)
    seq = 0

    def emit(kind: EventType, epoch: int, agent: str | None = None, **payload: object) -> None:
        nonlocal seq
        log.append(Event(seq=seq, event_type=kind, epoch=epoch, agent_id=agent, payload=dict(payload)))
        seq += 1

    emit(EventType.SIMULATION_STARTED, 0)
    for e in range(n_epochs):
        emit(EventType.EPOCH_STARTED, e)
        for a, b, p in (
            ("honest_1", "honest_2", 0.9),
            ("adversarial_1", "honest_1", 0.2),
            ("honest_2", "adversarial_1", 0.7),
        ):
            emit(
                EventType.INTERACTION_COMPLETED, e, initiator=a, counterparty=b, accepted=True, p=p,
                payoff_a=1.0, payoff_b=2.0, r_a=0.1, r_b=-0.05, v=1,
            )  # fmt: skip
        if e == 1:
            emit(EventType.AGENT_FROZEN, e, "adversarial_1", reason="circuit breaker")
        emit(EventType.EPOCH_COMPLETED, e, metrics=epoch_metrics(e))
    if finished:
        emit(EventType.SIMULATION_ENDED, n_epochs - 1, epochs_run=n_epochs)
    log.close()
    if finished:
        criteria = [{"name": "min_epochs", "passed": True, "detail": f"{n_epochs} >= 1"}]
        manifest = {"status": "complete", "summary": {"epochs": n_epochs, "avg_toxicity": 0.15}}
        manifest["success_criteria"] = criteria
        (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def write_sweep(folder: Path, seeds: int = 3) -> Path:
    """A 2 x 2 grid over governance.transaction_tax_rate and governance.audit_probability, `seeds` runs a
    cell, 2 epochs a run; toxicity = 0.5 - tax + 0.1 * audit + 0.01 * seed (so the answers are known)."""
    import pandas as pd

    (folder / "runs").mkdir(parents=True, exist_ok=True)
    (folder / "failed").mkdir(exist_ok=True)
    (folder / "sweep.yaml").write_text(
        "base: baseline\nparameters:\n  governance.transaction_tax_rate: [0.0, 0.2]\n"
        "  governance.audit_probability: [0.0, 0.5]\nseeds: 3\n"
    )
    n = 0
    for tax in (0.0, 0.2):
        for audit in (0.0, 0.5):
            config_id = f"c{int(tax * 10)}{int(audit * 10)}"
            for seed in range(seeds):
                run_id = f"{config_id}-s{seed}"
                rows = [
                    {"run_id": run_id, "config_id": config_id, "seed": seed, "status": "complete",
                     "param.governance.transaction_tax_rate": tax,
                     "param.governance.audit_probability": audit,
                     "epoch": e, "toxicity_rate": 0.5 - tax + 0.1 * audit + 0.01 * seed + 0.001 * e,
                     "total_welfare": 10.0 + seed + e}
                    for e in range(2)
                ]  # fmt: skip
                pd.DataFrame(rows).to_parquet(folder / "runs" / f"{run_id}.parquet")
                n += 1
    (folder / "failed" / "c99-s0.json").write_text(json.dumps({"run_id": "c99-s0", "error": "boom"}))
    return folder
