"""core.parts.motifs in the engine: events and epoch fields of a motif run, an adopted rule enforced by the
rails, replay --verify, the log analysis (analysis.motifs, `distsafe motifs`), bad config in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from distsafe.analysis.motifs import motif_diffusion
from distsafe.cli import main
from distsafe.eventlog import read_log
from distsafe.metrics import community
from distsafe.metrics.epoch import SECTION_METRICS
from distsafe.scenarios import ScenarioError, load_scenario
from distsafe.scenarios.builder import build_orchestrator
from distsafe.scenarios.runner import run_scenario, verify_log

SMALL = ["simulation.n_epochs=3", "simulation.steps_per_epoch=6"]


@pytest.fixture(scope="module")
def meme_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("motifs") / "meme"
    run_scenario(load_scenario("meme_warfare", SMALL), out)
    return out


def test_a_motif_run_logs_its_adoptions_and_reports_its_fields(meme_run: Path) -> None:
    events = read_log(meme_run / "events.jsonl").events
    adopted = [e for e in events if e.event_type.value == "meme_adopted"]
    assert adopted and {e.payload["motif"] for e in adopted} == {"meme_warfare"}
    seeds = [e for e in adopted if e.payload["parent"] == -1]
    assert len(seeds) == 6  # the backers: 2 adversarial (meme 0), 2 + 2 honest (memes 1, 2)
    assert all(e.payload["source"] is not None for e in adopted if e.payload["parent"] >= 0)
    epochs = json.loads((meme_run / "metrics.json").read_text())
    last = epochs[-1] if isinstance(epochs, list) else epochs["epochs"][-1]
    for field in SECTION_METRICS["motifs"]:
        assert field in last
    # the epoch fields are the log's forest: cascades and R0 read back from the events agree
    d = motif_diffusion(meme_run / "events.jsonl")
    assert last["n_cascades"] == d.cascade_sizes.size == 6
    assert last["max_cascade"] == int(d.cascade_sizes.max())
    assert last["meme_r0"] == pytest.approx(community.r0(d.parent))
    assert int(d.cascade_sizes.sum()) == len(adopted)


def test_replay_verify_passes_on_a_motif_run(meme_run: Path) -> None:
    assert verify_log(meme_run / "events.jsonl").ok


def test_api_component_and_summary() -> None:
    orch = build_orchestrator(load_scenario("myth_making", SMALL))
    orch.run()
    comp = orch.get_component("motifs")
    s = orch.summary()["components"]["motifs"]
    assert s["kind"] == "myth_making" and s["adoptions"] > 0
    assert sum(s["cascade_sizes"]) == len(comp.world.node_parent)


def test_an_adopted_rule_becomes_the_rails_limit_and_is_broken(tmp_path: Path) -> None:
    res = run_scenario(load_scenario("norm_drafting", ["simulation.n_epochs=3"]), tmp_path / "nd")
    assert res.passed
    events = read_log(tmp_path / "nd" / "events.jsonl").events
    adopted = [e.payload for e in events if e.event_type.value == "rule_adopted"]
    assert adopted, "no rule adopted"
    posts_rule = [r for r in adopted if r["limit"] == "max_posts_per_epoch"]
    assert posts_rule and posts_rule[0]["old"] == 10 and posts_rule[0]["new"] == 4
    epoch_adopted = posts_rule[0]["epoch"]
    # after adoption, the rails block posts beyond 4 per epoch: rate-limit blocks and rule violations
    later = [e for e in events if e.epoch > epoch_adopted]
    blocked = [
        e
        for e in later
        if e.event_type.value == "action_blocked" and e.payload["reason"] == "rate_limit_posts"
    ]
    violated = [e for e in later if e.event_type.value == "rule_violated"]
    assert blocked and violated
    # the flooders break the rules; the honest keep to them
    who = {e.agent_id.rsplit("_", 1)[0] for e in violated}
    assert who <= {"adversarial", "deceptive"}
    assert {e.event_type.value for e in events} >= {"rule_proposed", "rule_adopted", "rule_violated"}


def test_motifs_off_adds_no_fields() -> None:
    orch = build_orchestrator(load_scenario("baseline", ["simulation.n_epochs=1"]))
    m = orch.run()[-1].to_dict()
    assert "meme_r0" not in m and "modularity" not in m


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ("motifs.kind=telepathy", "motifs.kind"),
        ("motifs.p_post=0.9", "p_post + p_reply + p_vote"),
        ("motifs.conformity=nan", "motifs.conformity"),
        ("motifs.backers.backer_a=7", "backers.backer_a"),
    ],
)
def test_bad_motif_config_is_one_line(override: str, needle: str) -> None:
    with pytest.raises(ScenarioError) as e:
        load_scenario("meme_warfare", [override])
    msg = str(e.value)
    assert "\n" not in msg and needle in msg


def test_constitution_without_rules_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenario_id: x\nagents: [{type: honest, count: 2}]\nmotifs:\n  kind: constitution\n")
    with pytest.raises(ScenarioError, match=r"bad.yaml:\d+: motifs.*needs rules"):
        load_scenario(bad)


def test_cli_motifs_reads_a_log_and_plots(meme_run: Path, tmp_path: Path) -> None:
    png = tmp_path / "c.png"
    assert (
        main(
            ["motifs", str(meme_run / "events.jsonl"), "--plot", str(png), "--json", str(tmp_path / "s.json")]
        )
        == 0
    )
    assert png.stat().st_size > 1000
    assert (tmp_path / "s.json").read_text().count('"r0"') >= 1


def test_cli_motifs_rejects_a_log_without_motifs(tmp_path: Path) -> None:
    out = tmp_path / "b"
    run_scenario(load_scenario("baseline", ["simulation.n_epochs=1"]), out)
    proc = subprocess.run(
        [sys.executable, "-m", "distsafe.cli", "motifs", str(out / "events.jsonl")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "no motif events" in proc.stderr and "Traceback" not in proc.stderr
