"""The engine's side of the resample protocol (`governance.resample`): the monitor looks at the acting
agents before they decide (true reputations), and a flagged scripted agent's action is drawn
`resample_n_samples` more times from its own group's policy (the same view, the group's own random stream);
the majority of the original and the samples is played. The lever keeps the evidence and settles it on the
agent's proposal. Object agents (one LLM or Python object each, `core.turns.decide_objects`) are not
resampled: asking them again would be another model call per sample.

Off (no `resample` lever in the run) every function here returns at once and draws nothing.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from distsafe.agents.policies import PROPOSE, ActionArrays, GroupView, ScriptedPolicy
from distsafe.core.state import EngineState
from distsafe.governance.resample import ResampleLever, majority

#: the fields that make two actions the same action (the reference's action signature: type, target,
#: vote direction, interaction type)
SIGNATURE = ("action", "target", "vote", "itype")
_FIELDS = ("action", "target", "vote", "itype", "tau", "effort", "boost")


def _lever(state: EngineState) -> ResampleLever | None:
    lever = state.governance.get_lever(ResampleLever.name)
    return lever if isinstance(lever, ResampleLever) else None


def monitor(state: EngineState) -> None:
    """Before the step's decisions: the lever flags the acting agents it suspects."""
    lever = _lever(state)
    if lever is not None:
        lever.monitor(state.gov_context(), state.active.astype(np.int64))


def resample_group(
    state: EngineState, policy: ScriptedPolicy, view: GroupView, res: ActionArrays
) -> ActionArrays:
    """`res` (the group's actions for `view.members`) with each flagged member's action replaced by the
    majority of it and `n_samples` more draws from `policy`."""
    lever = _lever(state)
    if lever is None or view.members.size == 0:
        return res
    pos = np.flatnonzero(lever.flagged(view.members.astype(np.int64)))
    if pos.size == 0:
        return res
    rows = view.members[pos].astype(np.int64)
    sub = replace(view, members=view.members[pos])
    samples = [policy.act_batch(sub) for _ in range(lever.n_samples)]
    cands = [{f: getattr(res, f)[pos] for f in _FIELDS}] + [
        {f: getattr(s, f) for f in _FIELDS} for s in samples
    ]
    misuse = [None if res.misuse is None else res.misuse[pos]] + [s.misuse for s in samples]
    sig = np.stack([np.stack([c[f].astype(np.int64) for f in SIGNATURE], axis=-1) for c in cands], axis=1)
    choice = majority(sig)
    differs = np.any(sig[:, 1:, :] != sig[:, :1, :], axis=-1)
    for k in np.unique(choice[choice > 0]).tolist():
        take = np.flatnonzero(choice == k)
        for f in _FIELDS:
            getattr(res, f)[pos[take]] = cands[k][f][take]
        m = misuse[k]
        if m is not None or res.misuse is not None:
            if res.misuse is None:
                res.misuse = np.zeros(view.members.shape[0])
            res.misuse[pos[take]] = 0.0 if m is None else m[take]
    ctx = state.gov_context()
    lever.record(ctx, rows, differs, choice > 0, res.action[pos] == PROPOSE)
    state.flush_governance_events(ctx)
    return res


def after_rails(state: EngineState, arr: ActionArrays) -> None:
    """The rails have blocked some actions: a resampled proposal that was blocked makes no interaction."""
    lever = _lever(state)
    if lever is not None:
        lever.keep_pending(state.active[arr.action == PROPOSE].astype(np.int64))
