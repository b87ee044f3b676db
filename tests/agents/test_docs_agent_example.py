"""The custom agent of docs/agents.md runs, passes the conformance check, and behaves as written."""

import re
from pathlib import Path

from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.testing.conformance import check_agent

DOC = Path(__file__).resolve().parents[2] / "docs" / "agents.md"


def _doc_namespace():
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    ns: dict = {}
    exec(next(b for b in blocks if "class Reciprocator" in b), ns)
    return ns


def test_doc_agent_runs_and_conforms():
    Reciprocator = _doc_namespace()["Reciprocator"]
    check_agent(lambda: Reciprocator("r1"))
    orch = Orchestrator(OrchestratorConfig(n_epochs=3, steps_per_epoch=5, seed=2))
    orch.add_population("honest", 10)
    agent = orch.register_agent(Reciprocator("r1"))
    orch.run()
    assert orch.get_agent_state("r1").posts > 0
    assert agent.history  # it received outcomes of its interactions
