"""Attackers: each threat runs in the engine and leaves its trace; unknown threats are refused."""

import numpy as np
import pytest
from pydantic import ValidationError

from distsafe.agents.attackers import THREATS, AttackerPolicy
from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.governance import GovernanceConfig


def _run(threat: str, security: bool = True, seed: int = 1):
    o = Orchestrator(
        OrchestratorConfig(
            n_epochs=5,
            steps_per_epoch=10,
            seed=seed,
            governance_config=GovernanceConfig(security_enabled=security),
        )
    )
    o.add_population("honest", 12)
    o.add_population("attacker", 3, params={"threat": threat})
    batches = []
    o.interaction_sink = batches.append
    o.run()
    return o, batches


@pytest.mark.parametrize("threat", THREATS)
def test_each_threat_is_flagged_by_the_security_lever_and_no_honest_agent_is(threat):
    o, _ = _run(threat)
    rep = o.get_security_report()
    assert {a for a in rep.agents_flagged if a.startswith("attacker")}, threat
    assert not {a for a in rep.agents_flagged if a.startswith("honest")}


def test_exfiltration_raises_tool_misuse_flags():
    def mean_flags(threat):
        o, batches = _run(threat, security=False)
        init = np.concatenate([b.initiator for b in batches])
        flags = np.concatenate([b.tool_misuse_flags for b in batches])
        attacker = np.isin(init, np.flatnonzero(np.char.startswith(np.array(list(o.agents.ids)), "attacker")))
        return flags[attacker].mean()

    assert mean_flags("exfiltration") > mean_flags("prompt_injection") + 1.0


def test_manipulation_keeps_one_victim():
    o, batches = _run("manipulation", security=False)
    ids = np.array(list(o.agents.ids))
    init = np.concatenate([b.initiator for b in batches])
    cp = np.concatenate([b.counterparty for b in batches])
    first = np.flatnonzero(ids == "attacker_1")[0]
    mine = cp[init == first]
    assert np.unique(mine).size <= 2  # its victim (and a post author it replied to, if any)


def test_unknown_threat_is_refused():
    with pytest.raises(ValidationError):
        AttackerPolicy({"threat": "phishing"})
