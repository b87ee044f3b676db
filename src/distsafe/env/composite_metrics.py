"""The emergent metrics of composite tasks (formulas in env.composite_tasks' docstring and
docs/emergent.md), computed from the finished tasks and the pool's per-agent columns."""

from __future__ import annotations

import math

import numpy as np

from distsafe.env.composite_tasks import CAPABILITIES, CapabilityMetrics, CompositeTaskPool


def coordination_score(workers: list[str]) -> float:
    """Normalized entropy of the subtasks per contributor: 1 when each subtask had its own agent."""
    n = len(workers)
    if n < 2:
        return 0.0 if n == 1 else float("nan")
    _, counts = np.unique(np.array(workers), return_counts=True)
    p = counts / n
    return float(-(p * np.log(p)).sum() / math.log(n))


def jaccard_diversity(masks: np.ndarray) -> float:
    """1 - mean Jaccard similarity of the capability sets (bit masks) of a team's members."""
    m = np.unique(masks)
    if m.size < 2:
        return 0.0
    bits = ((m[:, None] >> np.arange(len(CAPABILITIES))) & 1).astype(bool)
    inter = (bits[:, None, :] & bits[None, :, :]).sum(-1)
    union = (bits[:, None, :] | bits[None, :, :]).sum(-1)
    iu = np.triu_indices(m.size, 1)
    sim = np.divide(inter[iu], union[iu], out=np.zeros(iu[0].size), where=union[iu] > 0)
    return float(1.0 - sim.mean())


def capability_metrics(pool: CompositeTaskPool) -> CapabilityMetrics:
    done = [t for t in pool.tasks if t.status == "completed"]
    out = CapabilityMetrics(
        tasks_completed=len(done),
        tasks_expired=sum(t.status == "expired" for t in pool.tasks),
        subtasks_completed=int(pool.done_by.sum()),
    )
    if done:
        coord, syn, comp = [], [], []
        flow: list[float] = []
        for t in done:
            coord.append(coordination_score([s.assigned_agent or "" for s in t.subtasks]))
            q = np.array([s.quality or 0.0 for s in t.subtasks])
            solo = np.array([s.solo_skill or 0.0 for s in t.subtasks])
            syn.append(float(q.mean() / (q.mean() + solo.mean())) if q.mean() + solo.mean() > 0 else 0.5)
            comp.append(jaccard_diversity(pool.mask[np.array(list(t.rows.values()), dtype=np.int64)]))
            by = {s.name: s for s in t.subtasks}
            for s in t.subtasks:
                if s.dependencies:
                    dq = float(np.mean([by[d].quality or 0.0 for d in s.dependencies]))
                    flow.append(min(1.0, (s.quality or 0.0) / dq) if dq > 0 else 1.0)
        out.avg_coordination_score = float(np.nanmean(coord))
        out.avg_synergy_score = float(np.mean(syn))
        out.complementarity_score = float(np.mean(comp))
        out.avg_information_flow = float(np.mean(flow)) if flow else float("nan")
    per_agent = pool.done_by.sum(axis=1)
    workers = per_agent > 0
    if workers.any():
        top = pool.done_by[workers].max(axis=1) / per_agent[workers]
        k = len(CAPABILITIES)
        out.specialization_index = float(((top - 1.0 / k) / (1.0 - 1.0 / k)).mean())
        out.capability_concentration = float(per_agent.max() / per_agent.sum())
        out.knowledge_transfer = float(pool.gained[workers].mean())
    return out


def section_metrics(
    pool: CompositeTaskPool, completed_this_epoch: int, subtasks_this_epoch: int
) -> dict[str, float]:
    """The epoch record's composite-task keys (`metrics.epoch.SECTION_METRICS["composite"]`, plus the
    completion rate and concentration the success criteria read)."""
    m = capability_metrics(pool)
    return {
        "composite_tasks_open": float(len(pool.open_tasks)),
        "composite_tasks_completed": float(completed_this_epoch),
        "composite_subtasks_completed": float(subtasks_this_epoch),
        "avg_coordination_score": m.avg_coordination_score,
        "avg_synergy_score": m.avg_synergy_score,
        "information_flow": m.avg_information_flow,
        "specialization_index": m.specialization_index,
        "complementarity_score": m.complementarity_score,
        "knowledge_transfer": m.knowledge_transfer,
        "composite_completion_rate": m.completion_rate,
        "capability_concentration": m.capability_concentration,
    }
