"""env.network: the topologies, dynamic edges, metrics against networkx, the engine's constraints, the
seed's Network Topology snippets (run as written with `src.` -> `distsafe.`), and bad configurations."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import textwrap
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsafe.agents.base import Action, ActionType, BaseAgent
from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.env.network import AgentNetwork, NetworkConfig, NetworkParams, NetworkTopology
from distsafe.models.agent_table import AgentIds
from distsafe.models.schema import RejectReason
from distsafe.scenarios.loader import ScenarioError, scenario_from_text


def ids(n: int) -> AgentIds:
    out = AgentIds()
    out.add_population("a", n)
    return out


def build(cfg: NetworkConfig, n: int, seed: int = 0) -> AgentNetwork:
    return AgentNetwork.build(cfg, ids(n), np.random.default_rng(seed))


@pytest.mark.parametrize(
    ("topology", "params", "n", "edges"),
    [
        ("complete", {}, 10, 45),
        ("ring", {"k": 4}, 10, 20),
        ("star", {}, 10, 9),
        ("small_world", {"k": 4, "p": 0.0}, 12, 24),
        ("scale_free", {"m": 2}, 20, 36),
        ("custom", {"edges": [["a_1", "a_2"], ["a_2", "a_3"]]}, 5, 2),
    ],
)
def test_topologies_have_the_expected_edges(topology: str, params: dict, n: int, edges: int) -> None:
    net = build(NetworkConfig(topology=topology, params=params), n)
    assert net.n_edges == edges
    deg = net.degree()
    assert deg.sum() == 2 * edges
    if topology == "star":
        assert deg[0] == n - 1 and (deg[1:] == 1).all()
    if topology == "ring":
        assert (deg == 4).all()


def test_random_topology_density_follows_p() -> None:
    net = build(NetworkConfig(topology="random", params={"p": 0.2}), 200)
    assert abs(net.get_metrics()["density"] - 0.2) < 0.02


def test_python_names_and_params_block_agree() -> None:
    a = NetworkConfig(topology=NetworkTopology.SMALL_WORLD, k_neighbors=6, rewire_probability=0.3)
    b = NetworkConfig(topology="small_world", params=NetworkParams(k=6, p=0.3))
    assert (a.k, a.p) == (b.k, b.p) == (6, 0.3)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 40), p=st.floats(0.05, 0.6), seed=st.integers(0, 10_000))
def test_metrics_match_networkx(n: int, p: float, seed: int) -> None:
    net = build(NetworkConfig(topology="random", params={"p": p}, path_length_sources=1000), n, seed)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    u, v = net.endpoints()
    g.add_edges_from(zip(u.tolist(), v.tolist()))
    m = net.get_metrics()
    assert m["n_edges"] == g.number_of_edges()
    assert m["n_components"] == nx.number_connected_components(g)
    assert m["avg_clustering"] == pytest.approx(nx.average_clustering(g))
    assert m["density"] == pytest.approx(nx.density(g))
    lengths = [d for s, row in nx.all_pairs_shortest_path_length(g) for t, d in row.items() if s != t]
    if lengths:
        assert m["avg_path_length"] == pytest.approx(np.mean(lengths))
    else:
        assert np.isnan(m["avg_path_length"])
    comps = net.connected_components()
    assert sorted(len(c) for c in comps) == sorted(len(c) for c in nx.connected_components(g))


def test_strengthen_caps_decay_prunes_and_disconnect() -> None:
    cfg = NetworkConfig(
        topology="ring",
        params={"k": 2},
        dynamic=True,
        initial_edge_weight=0.5,
        edge_strengthen_rate=0.3,
        edge_decay_rate=0.5,
        min_edge_weight=0.2,
        max_edge_weight=0.7,
    )
    net = build(cfg, 6)
    assert net.strengthen(np.array([0, 0, 0]), np.array([1, 1, 3])) == 2  # 0-3 is no edge
    assert net.edge_weight("a_1", "a_2") == pytest.approx(0.7)  # 0.5 + 0.6, capped
    change = net.end_epoch(np.zeros(6))
    # 0.7 -> 0.35 stays; 0.5 -> 0.25 stays
    assert change["n_pruned"] == 0 and net.n_edges == 6
    change = net.end_epoch(np.zeros(6))  # 0.175 and 0.125: all pruned
    assert change["n_pruned"] == 6 and net.n_edges == 0
    cfg2 = NetworkConfig(topology="complete", reputation_disconnect_threshold=-1.0)
    net2 = build(cfg2, 5)
    change = net2.end_epoch(np.array([0.0, -2.0, 0.0, 0.0, 0.0]))
    assert change["disconnected"].tolist() == [1]
    assert net2.n_edges == 6 and net2.degree()[1] == 0


class FarProposer(BaseAgent):
    """Proposes to agent a fixed partner every step (to test the network's rejection)."""

    def __init__(self, agent_id: str, target: str) -> None:
        super().__init__(agent_id)
        self.target = target

    def act(self, observation):  # type: ignore[no-untyped-def]
        self.seen = [p.agent_id for p in observation.peers]
        return Action(
            action_type=ActionType.PROPOSE_INTERACTION, agent_id=self.agent_id, target_id=self.target
        )

    def accept_interaction(self, proposal, observation) -> bool:  # type: ignore[no-untyped-def]
        return True


def run_ring(seed: int = 1) -> tuple[Orchestrator, list]:
    cfg = OrchestratorConfig(n_epochs=3, steps_per_epoch=5, seed=seed,
                             network_config=NetworkConfig(topology="ring", params={"k": 2},
                                                          dynamic=True))  # fmt: skip
    orch = Orchestrator(config=cfg)
    orch.add_population("honest", 6)
    far = orch.register_agent(FarProposer("far", "honest_3"), as_group=False)
    batches: list = []
    orch.interaction_sink = batches.append
    orch.run()
    return orch, batches, far  # type: ignore[return-value]


def test_engine_keeps_interactions_on_edges() -> None:
    orch, batches, far = run_ring()
    net = orch.network
    assert net is not None
    far_row = orch.agents.ids.index_of("far")
    # honest_1 .. honest_6 are rows 0..5, far is row 6: in a ring of 7 with k=2, far's neighbours are
    # rows 5 and 0; honest_3 (row 2) is not one of them
    assert not net.has_edge(np.array([far_row]), np.array([2]))[0]
    assert set(far.seen) <= {orch.agents.ids[int(r)] for r in np.flatnonzero(
        net.has_edge(np.full(7, far_row), np.arange(7)))}  # fmt: skip
    n_far = 0
    for b in batches:
        mine = (b.initiator == far_row) & (b.counterparty == 2)
        n_far += int(mine.sum())
        assert not b.accepted[mine].any()
        assert (b.reject_reason[mine] == RejectReason.NOT_NEIGHBOUR.value).all()
    assert n_far > 0
    last = orch.epoch_metrics[-1].values
    assert last["n_edges"] == net.n_edges and last["n_components"] >= 1


def test_scripted_proposals_never_hit_non_neighbours() -> None:
    cfg = OrchestratorConfig(n_epochs=2, steps_per_epoch=10, seed=3,
                             network_config=NetworkConfig(topology="ring", params={"k": 2}))  # fmt: skip
    orch = Orchestrator(config=cfg)
    orch.add_population("honest", 10)
    orch.add_population("opportunistic", 10)
    batches: list = []
    orch.interaction_sink = batches.append
    orch.run()
    total = sum(int((b.reject_reason == RejectReason.NOT_NEIGHBOUR.value).sum()) for b in batches)
    assert total == 0
    assert sum(len(b) for b in batches) > 0


# ---- the seed's snippets, as written (src. -> distsafe.) ---------------------------------------------------
QUICK_START = """
from distsafe.core.orchestrator import Orchestrator, OrchestratorConfig
from distsafe.env.network import NetworkConfig, NetworkTopology

# Configure small-world network
network_config = NetworkConfig(
    topology=NetworkTopology.SMALL_WORLD,
    k_neighbors=4,           # Initial connections to nearest neighbors
    rewire_probability=0.1,  # 10% chance to rewire each edge
    dynamic=True,            # Enable edge evolution
    edge_strengthen_rate=0.1,  # Strengthen on interaction
    edge_decay_rate=0.05,      # 5% decay per epoch
    min_edge_weight=0.2,       # Prune weak edges
)

config = OrchestratorConfig(
    n_epochs=20,
    network_config=network_config,
)
orchestrator = Orchestrator(config=config)
"""

AFTER = """
# After simulation, inspect network state
network = orchestrator.network
print(f"Connected components: {network.connected_components()}")
print(f"Average clustering: {network.get_metrics()['avg_clustering']}")
"""

YAML_BLOCK = """
network:
  topology: small_world
  params:
    k: 4     # k_neighbors
    p: 0.1   # rewire_probability

  dynamic: true
  edge_strengthen_rate: 0.1
  edge_decay_rate: 0.05
  min_edge_weight: 0.2
  max_edge_weight: 1.0

  # Optional: disconnect from agents with bad reputation
  # reputation_disconnect_threshold: -2.0

success_criteria:
  min_connected_components: 1
  max_avg_path_length: 4.0
"""


def test_seed_quick_start_runs_as_written() -> None:
    ns: dict = {}
    exec(QUICK_START, ns)  # noqa: S102 - the seed's own snippet
    orch = ns["orchestrator"]
    orch.add_population("honest", 12)
    orch.add_population("opportunistic", 6)
    orch.run()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(AFTER, ns)  # noqa: S102
    text = out.getvalue()
    assert "Connected components: [{" in text and "Average clustering: " in text
    assert "avg_clustering" in orch.epoch_metrics[-1].values


def test_seed_yaml_block_loads_and_its_criteria_are_checked() -> None:
    text = "scenario_id: net\nagents:\n  - type: honest\n    count: 10\n" + YAML_BLOCK
    spec = scenario_from_text(text)
    assert spec.network is not None and spec.network.k == 4 and spec.network.p == 0.1
    from distsafe.scenarios.runner import run_scenario

    result = run_scenario(spec)
    names = {name for name, _, _ in result.criteria}
    assert {"min_connected_components", "max_avg_path_length"} <= names


@pytest.mark.parametrize(
    ("block", "where", "what"),
    [
        ("network:\n  topology: small_world\n  params:\n    k: 40\n", ":8: network.params.k:",
         "below the number"),
        ("network:\n  topology: small_world\n  params:\n    p: 1.5\n", ":8: network.params.p:",
         "less than or equal"),
        ("network:\n  topology: custom\n  params:\n    edges:\n      - [honest_1, ghost]\n",
         ":9: network.params.edges.0:", "unknown agent 'ghost'"),
        ("network:\n  topology: scale_free\n  m_edges: 10\n", ":7: network.m_edges:", "below the number"),
        ("network:\n  topology: ring\n  min_edge_weight: 2\n", ":5: network:", "above max_edge_weight"),
    ],
)  # fmt: skip
def test_bad_network_config_is_one_line_with_file_line_and_field(block: str, where: str, what: str) -> None:
    text = "scenario_id: net\nagents:\n  - type: honest\n    count: 5\n" + block
    with pytest.raises(ScenarioError) as e:
        scenario_from_text(text, source="s.yaml")
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("s.yaml") and where in msg and what in msg, msg


def test_cli_bad_network_exits_2(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("scenario_id: net\nagents:\n  - type: honest\n    count: 5\nnetwork:\n  topology: ring\n"
                 "  params:\n    k: 9\n")  # fmt: skip
    r = subprocess.run([sys.executable, "-m", "distsafe.cli", "run", str(p), "-q"], capture_output=True,
                       text=True, timeout=120)  # fmt: skip
    assert r.returncode == 2
    assert "bad.yaml:8: network.params.k:" in r.stderr and "Traceback" not in r.stderr
    assert len(textwrap.dedent(r.stderr).strip().splitlines()) == 1
