"""Signed runs (issue 9): `distsafe keygen`, `run --sign`, `replay --verify --pubkey`. A log resealed by
someone without the key, or a file beside it that was changed, is caught."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from distsafe.eventlog import log_info, open_event_log, read_log
from distsafe.scenarios import ScenarioError, load_scenario
from distsafe.scenarios.runner import run_scenario, verify_log
from distsafe.scenarios.signing import (
    check_signature,
    fingerprint,
    keygen,
    load_public_key,
    load_signing_key,
)

SMALL = ["simulation.n_epochs=3", "simulation.steps_per_epoch=3"]
LOGS = {"jsonl": "events.jsonl", "parquet": "events.parquet.d"}


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("keys")
    pub, _ = keygen(d / "key")
    return d / "key", pub


@pytest.fixture(scope="module", params=["jsonl", "parquet"])
def signed_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, keys) -> Path:
    out = tmp_path_factory.mktemp("signed") / "run"
    run_scenario(load_scenario("baseline", SMALL), out, request.param, sign_key=load_signing_key(keys[0]))
    return out / LOGS[request.param]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "distsafe.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_keygen_writes_a_private_secret_and_never_overwrites(tmp_path):
    pub, public = keygen(tmp_path / "k")
    assert stat.S_IMODE((tmp_path / "k").stat().st_mode) == 0o600
    assert pub == tmp_path / "k.pub" and load_public_key(pub) == public
    assert load_signing_key(tmp_path / "k").verify_key.encode().hex() == public
    before = (tmp_path / "k").read_bytes()
    with pytest.raises(ScenarioError, match="already exists"):
        keygen(tmp_path / "k")
    assert (tmp_path / "k").read_bytes() == before


def test_a_secret_key_readable_by_others_is_refused(tmp_path):
    keygen(tmp_path / "k")
    os.chmod(tmp_path / "k", 0o644)
    with pytest.raises(ScenarioError, match="readable by others.*chmod 600"):
        load_signing_key(tmp_path / "k")


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("hello", "not a distsafe key file"),
        ("distsafe-ed25519-public-key " + "ab" * 32, "holds a public key, not a secret key"),
        ("distsafe-ed25519-secret-key " + "zz" * 32, "not hex"),
        ("\xff\xfe", "not a distsafe key file"),
    ],
)
def test_bad_key_files_are_one_line_errors(tmp_path, content, fragment):
    p = tmp_path / "k"
    p.write_bytes(content.encode("latin-1"))
    os.chmod(p, 0o600)
    with pytest.raises(ScenarioError, match=fragment):
        load_signing_key(p)


def test_a_signed_run_verifies_with_its_public_key(signed_run, keys):
    folder = signed_run.parent
    doc = json.loads((folder / "signature.json").read_text())
    info = log_info(signed_run)
    assert doc["signed"]["log_final_hash"] == info.last_hash and doc["signed"]["n_events"] == info.n_events
    assert set(doc["signed"]["files"]) >= {"scenario.yaml", "metrics.csv", "metrics.json"}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["signature"]["public_key"] == doc["public_key"] and "signature.json" in manifest["files"]
    public = load_public_key(keys[1])
    res = verify_log(signed_run, pubkey=public)
    assert res.ok, res.message
    assert any(n.startswith(f"signed by key {fingerprint(public)}") for n in res.notes)


def test_a_resealed_log_fails_the_signature_before_anything_runs(signed_run, keys, tmp_path, monkeypatch):
    """A forger rewrites the whole log with a valid chain (here: relabelled); without the key, the final
    hash no longer matches the signature."""
    from distsafe.core.orchestrator import Orchestrator

    folder = tmp_path / "run"
    shutil.copytree(signed_run.parent, folder)
    forged = folder / signed_run.name
    read = read_log(signed_run)
    header = {k: v for k, v in read.header.items() if k not in ("format", "log_version", "storage")}
    shutil.rmtree(forged) if forged.is_dir() else forged.unlink()
    with open_event_log(
        forged, "w", fmt="parquet" if forged.name.endswith(".d") else "jsonl", header=header
    ) as log:
        for e in read.events:
            if e.event_type.value == "epoch_completed" and e.epoch == 1:
                e.payload["metrics"]["toxicity_rate"] = 0.0  # a better-looking epoch, chain recomputed
            log.append(e)
    monkeypatch.setattr(Orchestrator, "run", lambda self: pytest.fail("re-run started"))
    res = verify_log(forged, pubkey=load_public_key(keys[1]))
    assert not res.ok and res.message.startswith("signature: the log is not the one signed")


def test_a_changed_file_beside_the_log_is_named(signed_run, keys, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(signed_run.parent, folder)
    csv = folder / "metrics.csv"
    csv.write_text(csv.read_text().replace("0.", "0.0", 1))
    res = verify_log(folder / signed_run.name, pubkey=load_public_key(keys[1]))
    assert (
        not res.ok
        and res.message == "signature: metrics.csv beside the log is not the one signed (sha256 differs)"
    )


def test_another_key_or_no_signature_fails(signed_run, tmp_path):
    other_pub, other = keygen(tmp_path / "other")
    res = verify_log(signed_run, pubkey=other)
    assert not res.ok and f"not a valid signature by key {fingerprint(other)}" in res.message
    folder = tmp_path / "run"
    shutil.copytree(signed_run.parent, folder)
    (folder / "signature.json").unlink()
    res = verify_log(folder / signed_run.name, pubkey=other)
    assert not res.ok and "not signed" in res.message


@pytest.mark.parametrize("garbage", ["{", "[]", '{"signed": {}, "signature": "zz"}', '{"a": ' * 5000])
def test_a_garbage_signature_file_is_a_clean_failure(signed_run, keys, tmp_path, garbage):
    folder = tmp_path / "run"
    shutil.copytree(signed_run.parent, folder)
    (folder / "signature.json").write_text(garbage)
    info = log_info(folder / signed_run.name)
    res = check_signature(folder / signed_run.name, info.last_hash, info.n_events, load_public_key(keys[1]))
    assert not res.ok and "not a distsafe run signature" in res.message


def test_the_cli_round_trip(tmp_path):
    r = cli("keygen", str(tmp_path / "me"))
    assert r.returncode == 0 and "me.pub" in r.stdout, r.stderr
    out = tmp_path / "run"
    r = cli(
        "run",
        "baseline",
        "--epochs",
        "2",
        "-o",
        "simulation.steps_per_epoch=3",
        "--out",
        str(out),
        "--sign",
        str(tmp_path / "me"),
        "-q",
    )
    assert r.returncode == 0 and "signature.json" in r.stdout, r.stderr
    r = cli("replay", str(out / "events.jsonl"), "--verify", "--pubkey", str(tmp_path / "me.pub"))
    assert r.returncode == 0 and "VERIFIED" in r.stdout and "signed by key" in r.stdout, r.stdout + r.stderr
    r = cli("replay", str(out / "events.jsonl"), "--pubkey", str(tmp_path / "me.pub"))
    assert r.returncode == 0 and "SIGNED" in r.stdout
    (out / "scenario.yaml").write_text((out / "scenario.yaml").read_text() + "\n")
    r = cli("replay", str(out / "events.jsonl"), "--verify", "--pubkey", str(tmp_path / "me.pub"))
    assert r.returncode == 1 and "NOT REPRODUCED" in r.stdout and "scenario.yaml" in r.stdout
    r = cli("run", "baseline", "--epochs", "1", "--sign", str(tmp_path / "me"), "-q")
    assert r.returncode == 2 and "--sign needs --out" in r.stderr
    r = cli("keygen", str(tmp_path / "me"))
    assert r.returncode == 2 and "already exists" in r.stderr and "Traceback" not in r.stderr
